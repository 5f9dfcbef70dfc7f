package dev.segments.common.openapi;

import dev.segments.common.idempotency.IdempotencyFilters;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.parameters.Parameter;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import java.util.List;
import java.util.Map;

/**
 * Declares {@code Idempotency-Key} on every tenant POST (all of them honour it, see {@link IdempotencyFilters}),
 * the {@code Idempotency-Replayed} header on their success responses, and the 409 (in progress) and 422
 * ({@code key_reused}) problems the header can cause. The admin API ignores the header and is left out.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class IdempotencyKeyFilter implements OASFilter {

    static final String PARAMETER = "IdempotencyKey";
    static final String REPLAYED = "IdempotencyReplayed";

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        Components components = openAPI.getComponents();
        if (components == null) {
            components = OASFactory.createComponents();
            openAPI.setComponents(components);
        }
        components.addParameter(PARAMETER, OASFactory.createParameter()
                .name(IdempotencyFilters.HEADER).in(Parameter.In.HEADER).required(false)
                .description("""
                        Makes a retry of this POST safe (draft-ietf-httpapi-idempotency-key-header): the first \
                        response to a key is stored for 24 hours (`segments.idempotency.retention`) and replayed, \
                        with `Idempotency-Replayed: true`, to a retry with the same key and the same request \
                        (method, path, query, content type and body). The same key with another request is a 422 \
                        problem with code `key_reused`; a retry while the first request is still running is a 409 \
                        with `Retry-After`. A request that died in flight frees its key when its lease lapses \
                        (`segments.idempotency.lease`); a 5xx is not stored. Keys are per tenant.""")
                .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).minLength(1).maxLength(255)));
        components.addHeader(REPLAYED, OASFactory.createHeader()
                .description("`true` when this is the stored response to an earlier request with the same "
                        + "Idempotency-Key (nothing ran again)")
                .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING)).enumeration(List.of("true"))));
        for (var path : openAPI.getPaths().getPathItems().entrySet()) {
            if (path.getKey().startsWith("/admin")) {
                continue;
            }
            Operation post = path.getValue().getOperations().get(PathItem.HttpMethod.POST);
            if (post == null || post.getResponses() == null) {
                continue;
            }
            post.addParameter(OASFactory.createParameter().ref(PARAMETER));
            for (Map.Entry<String, APIResponse> response : post.getResponses().getAPIResponses().entrySet()) {
                if (response.getKey().startsWith("2") && response.getValue().getRef() == null) {
                    response.getValue().addHeader(IdempotencyFilters.REPLAYED,
                            OASFactory.createHeader().ref(REPLAYED));
                }
            }
            if (post.getResponses().getAPIResponse("409") == null) {
                post.getResponses().addAPIResponse("409", OASFactory.createAPIResponse().ref("Conflict"));
            }
            // with a body, ProblemResponsesFilter declares 422 already
            if (post.getRequestBody() == null && post.getResponses().getAPIResponse("422") == null) {
                post.getResponses().addAPIResponse("422", OASFactory.createAPIResponse().ref("ValidationFailed"));
            }
            ProblemResponsesFilter.successFirst(post.getResponses());
        }
    }
}
