package dev.segments.common.openapi;

import dev.segments.common.db.ReadConsistency;
import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.Components;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.media.Schema;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Declares the {@code Read-After} response header on the success responses of every tenant write (POST, PUT, PATCH,
 * DELETE; see {@link ReadConsistency}). The request header of the same name is accepted by every route, so it is
 * described here and in docs/scaling.md rather than added as a parameter to every operation (that would give every
 * method of a generated client one more argument): clients send it as a per-request or default header.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class ReadAfterFilter implements OASFilter {

    static final String HEADER = "ReadAfter";
    private static final Set<PathItem.HttpMethod> WRITES = Set.of(PathItem.HttpMethod.POST, PathItem.HttpMethod.PUT,
            PathItem.HttpMethod.PATCH, PathItem.HttpMethod.DELETE);

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
        components.addHeader(HEADER, OASFactory.createHeader()
                .description("""
                        Sent only while the service reads from a streaming replica (`DB_READ_URL`): the primary's \
                        WAL position after this write (for example `0/16B3748`). Send it back as the \
                        `Read-After` request header (any route, GraphQL included) on the reads that must see this \
                        write: they go to the replica only once it has replayed that position, else to the primary. \
                        `Read-After: primary` always reads the primary; a malformed value is a 400 problem.""")
                .schema(OASFactory.createSchema().type(List.of(Schema.SchemaType.STRING))
                        .pattern("^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$")));
        for (var path : openAPI.getPaths().getPathItems().entrySet()) {
            if (path.getKey().startsWith("/admin")) {
                continue;
            }
            for (Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().getOperations().entrySet()) {
                if (!WRITES.contains(op.getKey()) || op.getValue().getResponses() == null) {
                    continue;
                }
                for (Map.Entry<String, APIResponse> response : op.getValue().getResponses().getAPIResponses().entrySet()) {
                    if (response.getKey().startsWith("2") && response.getValue().getRef() == null) {
                        response.getValue().addHeader(ReadConsistency.READ_AFTER, OASFactory.createHeader().ref(HEADER));
                    }
                }
            }
        }
    }
}
