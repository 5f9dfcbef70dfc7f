package dev.segments.attribute.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** A tenant's declared attributes for one entity, used to validate attribute values on write. */
public record AttributeCatalog(String entity, Map<String, AttributeType> types) {

    /** Problems with {@code attributes} (at {@code pointer}); a null value removes the key and is always fine. */
    public List<FieldError> validate(JsonNode attributes, String pointer) {
        List<FieldError> errors = new ArrayList<>();
        if (attributes == null || attributes.isNull()) {
            return errors;
        }
        if (!(attributes instanceof ObjectNode obj)) {
            errors.add(new FieldError(pointer, "invalid_value", "attributes must be a JSON object"));
            return errors;
        }
        Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String at = JsonPointers.append(pointer, e.getKey());
            AttributeType type = types.get(e.getKey());
            if (type == null) {
                errors.add(new FieldError(at, "unknown_attribute", "attribute '" + e.getKey()
                        + "' is not declared for " + entity + "s; declare it with POST /attributes first"));
            } else if (!e.getValue().isNull() && !type.accepts(e.getValue())) {
                errors.add(new FieldError(at, "invalid_type", "attribute '" + e.getKey() + "' must be "
                        + type.describe()));
            }
        }
        return errors;
    }

    /** The attributes without null members (a null means "not set"). */
    public static ObjectNode withoutNulls(ObjectNode attributes) {
        ObjectNode copy = attributes.deepCopy();
        copy.properties().removeIf(e -> e.getValue().isNull());
        return copy;
    }
}
