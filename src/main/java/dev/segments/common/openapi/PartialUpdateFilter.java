package dev.segments.common.openapi;

import io.quarkus.smallrye.openapi.OpenApiFilter;
import org.eclipse.microprofile.openapi.OASFactory;
import org.eclipse.microprofile.openapi.OASFilter;
import org.eclipse.microprofile.openapi.models.OpenAPI;
import org.eclipse.microprofile.openapi.models.Operation;
import org.eclipse.microprofile.openapi.models.media.Schema;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes partial updates safe for generated clients (issue 13). openapi-generator's default Java model starts every
 * optional list as an empty list and sends it, so a PATCH of one field turned the customer's tags into {@code []}.
 * Two rules, applied to the spec rather than by hand:
 * <ul>
 *   <li>Every optional array property of a schema that a request body reaches is nullable ({@code [array, null]}):
 *   generators then start it as null/absent and send it only when the caller sets it. The service reads an
 *   explicit {@code null} there like an absent member.</li>
 *   <li>Each JSON Merge Patch body (RFC 7386) named in {@link #MERGE_PATCHES} is derived from its full schema:
 *   the same properties, none required, each nullable, since in a merge patch an absent member stays and
 *   {@code null} removes it. Deriving it keeps the two in step when a field is added.</li>
 * </ul>
 */
@OpenApiFilter(OpenApiFilter.RunStage.BUILD)
public class PartialUpdateFilter implements OASFilter {

    static final String SCHEMAS = "#/components/schemas/";

    /** Merge patch schema (referenced by the resource's {@code @RequestBody}) -> the full schema it patches. */
    static final Map<String, String> MERGE_PATCHES = Map.of("CustomerPatch", "CustomerInput");

    @Override
    public void filterOpenAPI(OpenAPI openAPI) {
        if (openAPI.getComponents() == null || openAPI.getComponents().getSchemas() == null
                || openAPI.getPaths() == null || openAPI.getPaths().getPathItems() == null) {
            return;
        }
        Map<String, Schema> schemas = openAPI.getComponents().getSchemas();
        Deque<Schema> pending = new ArrayDeque<>();
        for (var path : openAPI.getPaths().getPathItems().values()) {
            for (Operation op : path.getOperations().values()) {
                if (op.getRequestBody() != null && op.getRequestBody().getContent() != null
                        && op.getRequestBody().getContent().getMediaTypes() != null) {
                    op.getRequestBody().getContent().getMediaTypes().values().stream()
                            .filter(m -> m.getSchema() != null).forEach(m -> pending.add(m.getSchema()));
                }
            }
        }
        Set<String> reached = new HashSet<>();
        while (!pending.isEmpty()) {
            Schema s = pending.pop();
            String ref = s.getRef();
            if (ref != null && ref.startsWith(SCHEMAS)) {
                String name = ref.substring(SCHEMAS.length());
                String target = MERGE_PATCHES.getOrDefault(name, name);
                if (reached.add(target) && schemas.get(target) != null) {
                    pending.add(schemas.get(target));
                }
                continue;
            }
            children(s).forEach(pending::add);
        }
        for (String name : reached) {
            Schema s = schemas.get(name);
            if (s == null || s.getProperties() == null) {
                continue;
            }
            List<String> required = s.getRequired() == null ? List.of() : s.getRequired();
            s.getProperties().forEach((property, p) -> {
                if (!required.contains(property) && p.getType() != null && p.getType().contains(Schema.SchemaType.ARRAY)
                        && !p.getType().contains(Schema.SchemaType.NULL)) {
                    p.addType(Schema.SchemaType.NULL);
                }
            });
        }
        MERGE_PATCHES.forEach((patch, full) -> {
            Schema of = schemas.get(full);
            if (of != null && of.getProperties() != null) {
                openAPI.getComponents().addSchema(patch, mergePatch(full, of));
            }
        });
    }

    private static Schema mergePatch(String name, Schema full) {
        Schema patch = OASFactory.createSchema().addType(Schema.SchemaType.OBJECT).description("""
                A JSON Merge Patch (RFC 7386) of a %s, sent as application/merge-patch+json: a member left out stays \
                as it is, a member set to null is removed (the field is cleared), an object member (attributes) \
                is merged key by key the same way, and a list is replaced as a whole. Every member is optional; \
                the result must still be a valid %s (externalId cannot be removed).""".formatted(name, name));
        Map<String, Schema> properties = new LinkedHashMap<>();
        full.getProperties().forEach((property, p) -> properties.put(property, nullable(p)));
        patch.setProperties(properties);
        if (full.getAdditionalPropertiesBoolean() != null) {
            patch.setAdditionalPropertiesBoolean(full.getAdditionalPropertiesBoolean());
        }
        return patch;
    }

    /** A copy of the property that also admits null; a reference becomes {@code anyOf: [ref, null]}. */
    private static Schema nullable(Schema p) {
        if (p.getRef() != null) {
            Schema copy = OASFactory.createSchema();
            copy.setAll(p.getAll());
            copy.setRef(null);
            copy.setType(null);
            copy.setAnyOf(List.of(OASFactory.createSchema().ref(p.getRef()),
                    OASFactory.createSchema().addType(Schema.SchemaType.NULL)));
            return copy;
        }
        Schema copy = OASFactory.createSchema();
        copy.setAll(p.getAll());
        if (copy.getType() != null && !copy.getType().contains(Schema.SchemaType.NULL)) {
            copy.setType(new ArrayList<>(copy.getType()));
            copy.addType(Schema.SchemaType.NULL);
        }
        return copy;
    }

    private static List<Schema> children(Schema s) {
        List<Schema> out = new ArrayList<>();
        if (s.getProperties() != null) {
            out.addAll(s.getProperties().values());
        }
        if (s.getItems() != null) {
            out.add(s.getItems());
        }
        if (s.getAdditionalPropertiesSchema() != null) {
            out.add(s.getAdditionalPropertiesSchema());
        }
        for (List<Schema> list : List.of(nn(s.getAllOf()), nn(s.getAnyOf()), nn(s.getOneOf()))) {
            out.addAll(list);
        }
        return out;
    }

    private static List<Schema> nn(List<Schema> list) {
        return list == null ? List.of() : list;
    }
}
