package dev.segments.common.error;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** An RFC 9457 problem detail, the body of every 4xx and 5xx response ({@code application/problem+json}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record Problem(
        @Schema(description = "Stable problem type, e.g. /problems/validation", examples = "/problems/validation")
        String type,
        @Schema(description = "Short summary of the problem type") String title,
        @Schema(description = "HTTP status code") int status,
        @Schema(description = "What went wrong in this occurrence") String detail,
        @Schema(description = "Each problem found in the request, with a JSON Pointer to it") List<FieldError> errors) {

    public static final String MEDIA_TYPE = "application/problem+json";

    /** One problem in a request: where (RFC 6901 JSON Pointer into the body, or a parameter name), what, why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "FieldError")
    public record FieldError(
            @Schema(description = "JSON Pointer (RFC 6901) to the offending value", examples = "/and/1/op") String pointer,
            @Schema(description = "Stable machine-readable code", examples = "operator_not_allowed") String code,
            @Schema(description = "Human-readable explanation") String message) {
    }
}
