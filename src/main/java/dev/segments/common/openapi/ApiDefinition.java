package dev.segments.common.openapi;

import jakarta.ws.rs.core.Application;
import org.eclipse.microprofile.openapi.annotations.OpenAPIDefinition;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;
import org.eclipse.microprofile.openapi.annotations.info.Info;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;

/** OpenAPI document header: every operation needs a tenant API key unless it names another scheme. */
@OpenAPIDefinition(
        info = @Info(title = "Segments API", version = "1.0.0",
                description = "Headless customer segmentation: customers and their activity in, "
                        + "segments compiled to PostgreSQL out. Errors are application/problem+json (RFC 9457)."),
        security = @SecurityRequirement(name = "apiKey"))
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "A tenant API key: `Authorization: Bearer sk_...`")
@SecurityScheme(securitySchemeName = "adminKey", type = SecuritySchemeType.HTTP, scheme = "bearer",
        description = "The admin key (configuration `segments.admin-key` / `ADMIN_KEY`)")
public class ApiDefinition extends Application {
}
