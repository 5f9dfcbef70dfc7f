package dev.segments.common.tenancy;

/**
 * Who a request authenticated as, decided by {@link ApiKeyAuthentication} from the key alone (never from the
 * path). What that principal may do is decided on the matched endpoint: {@link EndpointAuthorization} for REST
 * resource methods, {@link CurrentTenant#id()} for GraphQL resolvers.
 */
public sealed interface Principal {

    /** The operator's admin key: may call {@link AdminOnly} endpoints, and nothing that reads a tenant's data. */
    record Admin() implements Principal {
    }

    /** A tenant API key: may call every tenant endpoint, for its own tenant only; never an admin endpoint. */
    record TenantKey(long tenantId, long keyId) implements Principal {
    }
}
