package dev.segments.common.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.DelegatingDeserializer;
import com.fasterxml.jackson.databind.deser.std.JsonNodeDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.error.JsonPointers;

import java.io.IOException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.Iterator;
import java.util.Map;

/**
 * Values no request body may carry, checked once for every body the service reads (REST bodies, GraphQL inputs
 * converted to the REST types, JSON scalars read as trees), so that no single field can forget it:
 * <ul>
 *   <li>a NUL character ({@code \u0000}) in any string or object key: PostgreSQL text and jsonb cannot hold it, and
 *       in a number or date field Jackson would trim it to an empty string and read null;</li>
 *   <li>a lone UTF-16 surrogate ({@code "\ud800"}): it has no UTF-8 form and would be stored as {@code ?};</li>
 *   <li>a date or timestamp outside the years 1 to 9999 (ISO 8601 / RFC 3339 four-digit years).</li>
 * </ul>
 * Each is an {@link InvalidTextException} with a code; the error mapper turns it into a 422 with a pointer.
 */
public final class InputChecks {

    public static final int MIN_YEAR = 1;
    public static final int MAX_YEAR = 9999;

    private InputChecks() {
    }

    /** The Jackson module: every scalar deserializer is wrapped, JSON trees are checked as a whole. */
    public static SimpleModule module() {
        SimpleModule module = new SimpleModule("segments-input-checks");
        module.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription beanDesc,
                                                          JsonDeserializer<?> deserializer) {
                return deserializer instanceof Checked ? deserializer : new Checked(deserializer);
            }
        });
        module.addDeserializer(JsonNode.class, new CheckedTree<>(JsonNode.class));
        module.addDeserializer(ObjectNode.class, new CheckedTree<>(ObjectNode.class));
        module.addDeserializer(ArrayNode.class, new CheckedTree<>(ArrayNode.class));
        return module;
    }

    /**
     * A copy of {@code mapper} whose JSON trees are read without {@link CheckedTree}'s walk, for data the service
     * itself stored or serializes (a customer's stored attributes, a view turned into a tree for a projection): it
     * was checked when it came in, and the walk (a pointer built for every key) was about a sixth of the CPU of a
     * members page. Never for client input; scalar checks stay as they are.
     */
    public static ObjectMapper forStoredData(ObjectMapper mapper) {
        SimpleModule plain = new SimpleModule("segments-stored-trees");
        plainTree(plain, JsonNode.class);
        plainTree(plain, ObjectNode.class);
        plainTree(plain, ArrayNode.class);
        return mapper.copy().registerModule(plain); // a later module's deserializers take precedence
    }

    @SuppressWarnings("unchecked")
    private static <T extends JsonNode> void plainTree(SimpleModule module, Class<T> type) {
        module.addDeserializer(type, (JsonDeserializer<T>) JsonNodeDeserializer.getDeserializer(type));
    }

    /**
     * A body read as text: strict UTF-8 (a byte sequence that is not UTF-8 is a 422, never replaced by U+FFFD);
     * null stays null.
     */
    public static String utf8(byte[] body) {
        if (body == null) {
            return null;
        }
        try {
            return java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(body)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw dev.segments.common.error.ProblemException.validation("", "invalid_utf8", "The body must be valid UTF-8 text");
        }
    }

    /** Why a string cannot be accepted (a field-error code), or null when it can. */
    public static String problemOf(CharSequence s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "nul_character";
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "invalid_unicode";
            }
            if (Character.isLowSurrogate(c)) {
                return "invalid_unicode";
            }
        }
        return null;
    }

    /** The client-facing message for a code of {@link #problemOf}. */
    public static String message(String code) {
        return "nul_character".equals(code)
                ? "must not contain the NUL character (\\u0000)"
                : "must be valid Unicode (a lone UTF-16 surrogate has no UTF-8 form)";
    }

    /** True when a date or time value lies within the years the service accepts. */
    public static boolean yearInRange(TemporalAccessor t) {
        if (!t.isSupported(ChronoField.YEAR)) {
            return true;
        }
        int year = t.get(ChronoField.YEAR);
        return year >= MIN_YEAR && year <= MAX_YEAR;
    }

    static void checkString(JsonParser p, String text, String innerPointer) throws InvalidTextException {
        String code = problemOf(text);
        if (code != null) {
            throw new InvalidTextException(p, code, message(code), innerPointer);
        }
    }

    /** Wraps any deserializer: a string token is checked before it is read, a temporal value after. */
    static final class Checked extends DelegatingDeserializer {

        Checked(JsonDeserializer<?> delegate) {
            super(delegate);
        }

        @Override
        protected JsonDeserializer<?> newDelegatingInstance(JsonDeserializer<?> newDelegatee) {
            return new Checked(newDelegatee);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                checkString(p, p.getText(), "");
            }
            return checkTemporal(p, super.deserialize(p, ctxt));
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt, Object intoValue) throws IOException {
            if (p.currentToken() == JsonToken.VALUE_STRING) {
                checkString(p, p.getText(), "");
            }
            return checkTemporal(p, super.deserialize(p, ctxt, intoValue));
        }

        private static Object checkTemporal(JsonParser p, Object value) throws InvalidTextException {
            if ((value instanceof OffsetDateTime || value instanceof LocalDate || value instanceof ZonedDateTime
                    || value instanceof LocalDateTime) && !yearInRange((TemporalAccessor) value)) {
                throw new InvalidTextException(p, "out_of_range",
                        "must be a date within the years " + MIN_YEAR + " to " + MAX_YEAR, "");
            }
            return value;
        }
    }

    /** A JSON tree, read as usual, then every string and key in it checked (the pointer goes into the tree). */
    static final class CheckedTree<T extends JsonNode> extends StdDeserializer<T> {

        private final Class<T> type;

        CheckedTree(Class<T> type) {
            super(type);
            this.type = type;
        }

        @Override
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            @SuppressWarnings("unchecked")
            JsonDeserializer<T> plain = (JsonDeserializer<T>) JsonNodeDeserializer.getDeserializer(type);
            T tree = plain.deserialize(p, ctxt);
            check(p, tree, "");
            return tree;
        }

        @Override
        public T getNullValue(DeserializationContext ctxt) {
            // as Jackson's own tree deserializers: a JsonNode property reads null as NullNode, a subtype as null
            return type == JsonNode.class ? type.cast(com.fasterxml.jackson.databind.node.NullNode.getInstance()) : null;
        }

        private static void check(JsonParser p, JsonNode node, String pointer) throws InvalidTextException {
            if (node == null) {
                return;
            }
            if (node.isTextual()) {
                checkString(p, node.textValue(), pointer);
            } else if (node.isObject()) {
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> e = it.next();
                    String child = JsonPointers.append(pointer, e.getKey());
                    checkString(p, e.getKey(), child);
                    check(p, e.getValue(), child);
                }
            } else if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    check(p, node.get(i), JsonPointers.append(pointer, i));
                }
            }
        }
    }
}
