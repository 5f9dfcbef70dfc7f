package dev.segments.common.openapi;

import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemType;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.responses.APIResponses;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Documents the problem+json responses every operation can give, once, as shared components:
 * 401 (with {@code WWW-Authenticate}), 429 (with {@code Retry-After} and the RateLimit headers), 500 and 503
 * (with {@code Retry-After}) everywhere (403 on the admin API), and 400, 413, 415 and 422 wherever a body is read;
 * the shared 409 carries {@code Retry-After} for a request whose Idempotency-Key is still in use. Operation-specific statuses (404, 409, 412, ...) are declared
 * on the resources with {@code ref = "NotFound"} etc.; a 503 {@code QueryTimeout} declared there stands for both
 * 503s. Tenant operations' success responses carry the RateLimit headers ({@code ApiKeyAuthentication}).
 */
public class ProblemResponsesFilter implements OASFilter {

    /** Component name -> problem type, in the order they appear in the spec. */
    private static final Map<String, ProblemType> RESPONSES = new LinkedHashMap<>();

    static {
        RESPONSES.put("MalformedRequest", ProblemType.MALFORMED_REQUEST);
        RESPONSES.put("Unauthorized", ProblemType.UNAUTHORIZED);
        RESPONSES.put("Forbidden", ProblemType.FORBIDDEN);
        RESPONSES.put("NotFound", ProblemType.NOT_FOUND);
        RESPONSES.put("NotAcceptable", ProblemType.NOT_ACCEPTABLE);
        RESPONSES.put("Conflict", ProblemType.CONFLICT);
        RESPONSES.put("PreconditionFailed", ProblemType.PRECONDITION_FAILED);
        RESPONSES.put("PayloadTooLarge", ProblemType.PAYLOAD_TOO_LARGE);
        RESPONSES.put("UnsupportedMediaType", ProblemType.UNSUPPORTED_MEDIA_TYPE);
        RESPONSES.put("ValidationFailed", ProblemType.VALIDATION);
        RESPONSES.put("InvalidRule", ProblemType.INVALID_RULE);
        RESPONSES.put("TooManyRequests", ProblemType.TOO_MANY_REQUESTS);
        RESPONSES.put("QueryTimeout", ProblemType.QUERY_TIMEOUT);
        RESPONSES.put("Unavailable", ProblemType.UNAVAILABLE);
        RESPONSES.put("InternalError", ProblemType.INTERNAL);
    }

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        Components components = openAPI.getComponents();
        if (components == null) {
            components = OASFactory.createComponents();
            openAPI.setComponents(components);
        }
        for (var e : RESPONSES.entrySet()) {
            var response = OASFactory.createAPIResponse()
                    .description(e.getValue().title() + " (" + e.getValue().uri() + ")")
                    .content(OASFactory.createContent().addMediaType(Problem.MEDIA_TYPE,
                            OASFactory.createMediaType().schema(OASFactory.createSchema()
                                    .ref("#/components/schemas/Problem"))));
            if (e.getValue() == ProblemType.TOO_MANY_REQUESTS) {
                response.addHeader("Retry-After", OASFactory.createHeader().ref("RetryAfter"));
                rateLimitHeaders(response);
            }
            if (e.getValue() == ProblemType.UNAVAILABLE || e.getValue() == ProblemType.CONFLICT) {
                response.addHeader("Retry-After", OASFactory.createHeader().ref("RetryAfter"));
            }
            if (e.getValue() == ProblemType.UNAUTHORIZED) {
                response.addHeader("WWW-Authenticate", OASFactory.createHeader().ref("WWWAuthenticate"));
            }
            components.addResponse(e.getKey(), response);
        }
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        for (var path : openAPI.getPaths().getPathItems().entrySet()) {
            boolean admin = path.getKey().startsWith("/admin");
            for (Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().getOperations().entrySet()) {
                APIResponses responses = op.getValue().getResponses();
                if (responses == null) {
                    continue;
                }
                if (op.getValue().getRequestBody() != null) {
                    add(responses, "400", "MalformedRequest");
                    add(responses, "413", "PayloadTooLarge");
                    add(responses, "415", "UnsupportedMediaType");
                    add(responses, "422", "ValidationFailed");
                }
                add(responses, "401", "Unauthorized");
                if (admin) {
                    add(responses, "403", "Forbidden");
                }
                add(responses, "429", "TooManyRequests");
                add(responses, "500", "InternalError");
                add(responses, "503", "Unavailable");
                if (!admin) {
                    responses.getAPIResponses().forEach((status, response) -> {
                        if (status.startsWith("2") && response.getRef() == null) {
                            rateLimitHeaders(response);
                        }
                    });
                }
                successFirst(responses);
            }
        }
    }

    /**
     * Orders an operation's responses 2xx first, then by status, {@code default} last: generators such as
     * openapi-generator take the first response's media type for {@code Accept}, and a problem first made them
     * ask for {@code application/problem+json} only (issue 13).
     */
    static void successFirst(APIResponses responses) {
        if (responses.getAPIResponses() == null || responses.getAPIResponses().isEmpty()) {
            return;
        }
        Map<String, org.eclipse.microprofile.openapi.models.responses.APIResponse> all =
                new java.util.LinkedHashMap<>(responses.getAPIResponses());
        java.util.List<String> order = new java.util.ArrayList<>(all.keySet());
        order.sort(java.util.Comparator.<String>comparingInt(k -> k.startsWith("2") ? 0 : k.equals("default") ? 2 : 1)
                .thenComparing(java.util.Comparator.naturalOrder()));
        all.keySet().forEach(responses::removeAPIResponse);
        order.forEach(k -> responses.addAPIResponse(k, all.get(k)));
    }

    private static void rateLimitHeaders(org.eclipse.microprofile.openapi.models.responses.APIResponse response) {
        response.addHeader("RateLimit", OASFactory.createHeader().ref("RateLimit"));
        response.addHeader("RateLimit-Policy", OASFactory.createHeader().ref("RateLimitPolicy"));
    }

    private static void add(APIResponses responses, String status, String component) {
        var existing = responses.getAPIResponse(status);
        boolean bare = existing != null && existing.getRef() == null
                && (existing.getContent() == null || existing.getContent().getMediaTypes() == null
                || existing.getContent().getMediaTypes().isEmpty());
        if (existing == null || bare) {
            responses.addAPIResponse(status, OASFactory.createAPIResponse().ref(component));
        }
    }
}
