package dev.segments.tenant.api;

import dev.segments.tenant.persistence.ApiKey;
import dev.segments.tenant.persistence.Tenant;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;

/** Request and response bodies of the admin API. */
public final class TenantDtos {

    private TenantDtos() {
    }

    @Schema(name = "TenantInput")
    public record TenantInput(@NotBlank @Size(max = 200) String name) {
    }

    @Schema(name = "ApiKeyInput")
    public record ApiKeyInput(@Size(max = 200) String name) {
    }

    @Schema(name = "Tenant")
    public record TenantView(long id, String name, OffsetDateTime createdAt) {
        static TenantView of(Tenant t) {
            return new TenantView(t.id, t.name, t.createdAt);
        }
    }

    @Schema(name = "ApiKey", description = "An API key; `key` is present only in the response that created it")
    public record ApiKeyView(long id, long tenantId, String name, String prefix,
                             @Schema(description = "The secret, shown once") String key,
                             OffsetDateTime createdAt, OffsetDateTime revokedAt) {
        static ApiKeyView of(ApiKey k, String secret) {
            return new ApiKeyView(k.id, k.tenantId, k.name, k.prefix, secret, k.createdAt, k.revokedAt);
        }
    }

    @Schema(name = "CreatedTenant")
    public record CreatedTenantView(TenantView tenant, ApiKeyView apiKey) {
    }
}
