package dev.segments.common.tenancy;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.smallrye.mutiny.Uni;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Set;

/**
 * Authentication of a GraphQL subscription socket by the key in its {@code connection_init} payload
 * ({@code {"Authorization": "Bearer <key>"}}, graphql-ws's {@code connectionParams}), the one way a browser can
 * authenticate a WebSocket. Quarkus's GraphQL WebSocket handler takes the payload entry named by
 * {@code quarkus.smallrye-graphql.authorization-client-init-payload-name}, treats it as the upgrade request's
 * {@code Authorization} header and asks this mechanism; a refused key closes the socket with 4403, and a key in
 * both the upgrade and the payload with 4400.
 * <p>
 * The decision is {@link ApiKeyAuthentication#authenticate}'s, the same as for every request (throttle, lookup,
 * rate): this class only adapts it to Quarkus security and puts the principal on the socket's request, where
 * {@link CurrentTenant} reads it. Proactive authentication is off, so ordinary requests never come here.
 */
@ApplicationScoped
public class ConnectionInitAuthentication implements HttpAuthenticationMechanism {

    private final ApiKeyAuthentication authentication;

    ConnectionInitAuthentication(ApiKeyAuthentication authentication) {
        this.authentication = authentication;
    }

    @Override
    public Uni<SecurityIdentity> authenticate(RoutingContext rc, IdentityProviderManager identityProviderManager) {
        Principal known = ApiKeyAuthentication.principal(rc);
        if (known != null) {
            return Uni.createFrom().item(identity(known));
        }
        String key = ApiKeyAuthentication.bearer(rc);
        if (key == null) {
            return Uni.createFrom().nullItem();
        }
        return authentication.authenticate(key, ApiKeyAuthentication.clientAddress(rc)).flatMap(outcome -> {
            if (outcome.principal() == null) {
                return Uni.createFrom().failure(new AuthenticationFailedException(outcome.detail()));
            }
            ApiKeyAuthentication.setPrincipal(rc, outcome.principal());
            return Uni.createFrom().item(identity(outcome.principal()));
        });
    }

    private static SecurityIdentity identity(Principal principal) {
        String name = switch (principal) {
            case Principal.Admin a -> "admin";
            case Principal.TenantKey t -> "tenant-" + t.tenantId() + "-key-" + t.keyId();
        };
        return QuarkusSecurityIdentity.builder().setPrincipal(new QuarkusPrincipal(name)).build();
    }

    @Override
    public Uni<ChallengeData> getChallenge(RoutingContext context) {
        return Uni.createFrom().item(new ChallengeData(401, "WWW-Authenticate", "Bearer"));
    }

    @Override
    public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
        return Set.of();
    }
}
