package dev.segments.common.graphql;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.Problems;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.json.Json;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;

import java.io.StringReader;

import java.util.function.Function;

/**
 * What every GraphQL API class needs: page arguments checked against the same limits as REST, and the JSON
 * scalar ({@code quarkus.smallrye-graphql.extra-scalars=JSON} maps {@code jakarta.json.JsonValue} to it)
 * converted to and from Jackson trees with exact decimals.
 */
@ApplicationScoped
public class GraphQLSupport {

    private final ObjectMapper mapper;
    private final ServiceConfig.Limits limits;

    GraphQLSupport(ObjectMapper mapper, ServiceConfig config) {
        this.mapper = mapper;
        this.limits = config.limits();
    }

    /** {@code first}/{@code after} as a page request; first is 1..maxPageSize (default defaultPageSize). */
    public PageRequest page(Integer first, String after) {
        if (first != null && (first < 1 || first > limits.maxPageSize())) {
            throw ProblemException.validation("first", "out_of_range",
                    "first must be between 1 and " + limits.maxPageSize());
        }
        return PageRequest.of(first, after, limits);
    }

    /** A JSON scalar argument as a Jackson tree (decimals stay exact); null stays null. */
    public JsonNode tree(JsonValue json) {
        if (json == null) {
            return null;
        }
        try {
            return mapper.readTree(json.toString());
        } catch (JsonProcessingException e) {
            throw Problems.fromJackson(e); // a NUL, a lone surrogate, too deep: as for a REST body
        }
    }

    /** A Jackson tree (or any value Jackson can write) as a JSON scalar value; null stays null. */
    public JsonValue json(Object value) {
        if (value == null || value instanceof JsonNode n && n.isNull()) {
            return null;
        }
        try (JsonReader reader = Json.createReader(new StringReader(mapper.writeValueAsString(value)))) {
            return reader.readValue();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A GraphQL input record as the REST input type it mirrors: the record's plain fields are copied by name, its
     * one JSON scalar field (marked {@code @JsonIgnore} on the record) is set from {@code json}. The REST type's
     * own validation then runs in the service, as for REST.
     */
    public <T> T convert(Object input, Class<T> type, String jsonField, JsonValue json) {
        ObjectNode tree = mapper.valueToTree(input);
        if (json != null) {
            tree.set(jsonField, tree(json));
        }
        try {
            return mapper.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw Problems.fromJackson(e);
        }
    }

    /** Relay page info of a keyset page whose items' cursors come from cursorOf. */
    public static <T> PageInfo pageInfo(Page<T> page, Function<T, String> cursorOf) {
        String end = page.items().isEmpty() ? null : cursorOf.apply(page.items().get(page.items().size() - 1));
        String start = page.items().isEmpty() ? null : cursorOf.apply(page.items().get(0));
        return new PageInfo(page.nextCursor() != null, end, false, start);
    }
}
