package dev.segments.common.openapi;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.PathItem;
import org.eclipse.microprofile.openapi.models.responses.APIResponse;

import java.util.Map;

/**
 * Summaries of the activity streams' operations, and the body of their 201. The three streams share one resource shape
 * ({@code activity.api.StreamResource}), and an annotation cannot say "a purchase" in one subclass and "an event" in
 * another, so the words are filled in here from each stream's noun.
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class StreamSummaries implements OASFilter {

    /** Path of a stream to its noun with article, singular and plural. */
    static final Map<String, String[]> STREAMS = Map.of(
            "/purchases", new String[] {"a purchase", "purchase", "purchases"},
            "/interactions", new String[] {"an interaction", "interaction", "interactions"},
            "/events", new String[] {"an event", "event", "events"});

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getPaths() == null) {
            return;
        }
        STREAMS.forEach((path, noun) -> {
            String one = noun[0];
            String many = noun[2];
            Operation record = summary(openAPI, path, PathItem.HttpMethod.POST, "Record " + one,
                    "With an externalId already recorded, nothing is written and the recorded item is returned (200).");
            // the shape returns RestResponse<V>: SmallRye puts V's schema on the first 2xx only; 201 carries it too
            APIResponse created = record.getResponses().getAPIResponse("201");
            created.setContent(record.getResponses().getAPIResponse("200").getContent());
            summary(openAPI, path + "/batch", PathItem.HttpMethod.POST,
                    "Record a batch of " + many + " (all or nothing; items with known externalIds are skipped)", null);
            summary(openAPI, path + "/import", PathItem.HttpMethod.POST,
                    "Bulk import " + many + " from NDJSON or CSV, streamed (COPY staging; bad lines reported, good ones kept)",
                    null);
            summary(openAPI, path + "/{id}", PathItem.HttpMethod.GET, "Get " + one, null)
                    .getResponses().getAPIResponse("200").setDescription("The " + noun[1]);
            summary(openAPI, path + "/{id}", PathItem.HttpMethod.DELETE,
                    "Delete " + one + " (the customer's rollups are corrected)", null);
        });
    }

    private static Operation summary(OpenAPI openAPI, String path, PathItem.HttpMethod method, String summary,
            String description) {
        PathItem item = openAPI.getPaths().getPathItem(path);
        Operation operation = item == null ? null : item.getOperations().get(method);
        if (operation == null) {
            throw new IllegalStateException("no operation " + method + " " + path + " for its summary");
        }
        operation.setSummary(summary);
        if (description != null) {
            operation.setDescription(description);
        }
        return operation;
    }
}
