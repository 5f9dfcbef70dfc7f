package dev.segments.common.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

import java.io.UncheckedIOException;

/**
 * Reads JSON that PostgreSQL wrote (a {@code jsonb} column's text), which the service stored after checking it as
 * a request body: the request checks ({@link InputChecks}, duplicate keys) are not run again, numbers stay exact
 * decimals as {@link JsonConfig} reads them. For the rows a page of customers maps (their contacts, and their
 * attributes when something reads them, {@link StoredObject}), where the checked reader was a tenth of a members
 * request's JVM time.
 */
public final class StoredJson {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private StoredJson() {
    }

    /** The tree of {@code json}. */
    public static JsonNode tree(String json) {
        try {
            return MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code json} bound to {@code type}. */
    public static <T> T value(String json, TypeReference<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
