package dev.segments.tenant.api;

import dev.segments.tenant.persistence.ApiKey;
import dev.segments.tenant.persistence.Tenant;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
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

    @Schema(name = "RateLimit", description = "A tenant's own request rate over all its keys; an absent member keeps"
            + " the service's default (segments.rate-limit.tenant-per-second / tenant-burst)")
    public record RateLimitView(@Min(1) @Max(1_000_000) Integer perSecond, @Min(1) @Max(1_000_000) Integer burst) {
    }

    @Schema(name = "TenantPatch", description = "Changes to a tenant; `rateLimit: null` returns to the defaults")
    public record TenantPatch(@Size(max = 200) @Pattern(regexp = ".*\\S.*", message = "must not be blank") String name,
                              @Valid RateLimitView rateLimit) {
    }

    @Schema(name = "Tenant")
    public record TenantView(long id, String name, OffsetDateTime createdAt, RateLimitView rateLimit) {
        static TenantView of(Tenant t) {
            return new TenantView(t.id, t.name, t.createdAt, new RateLimitView(t.rateLimitPerSecond, t.rateLimitBurst));
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
