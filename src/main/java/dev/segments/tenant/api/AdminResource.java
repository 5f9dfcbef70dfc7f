package dev.segments.tenant.api;

import dev.segments.common.tenancy.AdminOnly;
import dev.segments.tenant.api.TenantDtos.ApiKeyInput;
import dev.segments.tenant.api.TenantDtos.ApiKeyView;
import dev.segments.tenant.api.TenantDtos.CreatedTenantView;
import dev.segments.tenant.api.TenantDtos.TenantInput;
import dev.segments.tenant.api.TenantDtos.TenantPatch;
import dev.segments.tenant.api.TenantDtos.TenantView;
import dev.segments.tenant.service.TenantService;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.ResponseStatus;

import java.util.List;

/** Tenants and API keys; only the admin key may call it ({@link AdminOnly}, checked on the matched method). */
@AdminOnly
@Path("/admin/tenants")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Admin")
@SecurityRequirement(name = "adminKey")
public class AdminResource {

    private final TenantService service;

    AdminResource(TenantService service) {
        this.service = service;
    }

    @POST
    @ResponseStatus(201)
    @Operation(summary = "Create a tenant with a first API key (shown once)")
    @APIResponseSchema(value = CreatedTenantView.class, responseCode = "201", responseDescription = "Created")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    public Uni<CreatedTenantView> create(@Valid @NotNull TenantInput input) {
        return service.create(input.name(), "default").map(c -> new CreatedTenantView(
                TenantView.of(c.tenant()), ApiKeyView.of(c.key().key(), c.key().secret())));
    }

    @GET
    @Operation(summary = "List tenants")
    public Uni<List<TenantView>> list() {
        return service.list().map(l -> l.stream().map(TenantView::of).toList());
    }

    @GET
    @Path("/{tenantId}")
    @Operation(summary = "Get a tenant")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = TenantView.class, responseCode = "200", responseDescription = "The tenant")
    public Uni<TenantView> get(@PathParam("tenantId") long tenantId) {
        return service.get(tenantId).map(TenantView::of);
    }

    @PATCH
    @Path("/{tenantId}")
    @Operation(summary = "Rename a tenant or set its own rate limit",
            description = "The body replaces `rateLimit` as a whole: absent or null members use the service's defaults.")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    @APIResponseSchema(value = TenantView.class, responseCode = "200", responseDescription = "Changed")
    public Uni<TenantView> update(@PathParam("tenantId") long tenantId, @Valid @NotNull TenantPatch patch) {
        var limit = patch.rateLimit();
        return service.update(tenantId, patch.name(), limit == null ? null : limit.perSecond(),
                limit == null ? null : limit.burst()).map(TenantView::of);
    }

    @POST
    @Path("/{tenantId}/keys")
    @ResponseStatus(201)
    @Operation(summary = "Issue another API key for a tenant (shown once)")
    @APIResponseSchema(value = ApiKeyView.class, responseCode = "201", responseDescription = "Created")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<ApiKeyView> createKey(@PathParam("tenantId") long tenantId, @Valid ApiKeyInput input) {
        return service.createKey(tenantId, input == null ? null : input.name())
                .map(k -> ApiKeyView.of(k.key(), k.secret()));
    }

    @GET
    @Path("/{tenantId}/keys")
    @Operation(summary = "List a tenant's API keys (without secrets)")
    public Uni<List<ApiKeyView>> listKeys(@PathParam("tenantId") long tenantId) {
        return service.listKeys(tenantId).map(l -> l.stream().map(k -> ApiKeyView.of(k, null)).toList());
    }

    @DELETE
    @Path("/{tenantId}/keys/{keyId}")
    @Operation(summary = "Revoke an API key")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = ApiKeyView.class, responseCode = "200", responseDescription = "Revoked")
    public Uni<ApiKeyView> revokeKey(@PathParam("tenantId") long tenantId, @PathParam("keyId") long keyId) {
        return service.revokeKey(tenantId, keyId).map(k -> ApiKeyView.of(k, null));
    }
}
