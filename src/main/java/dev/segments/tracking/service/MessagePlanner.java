package dev.segments.tracking.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.activity.ActivityDtos.ActivityInput;
import dev.segments.activity.ActivityDtos.EventInput;
import dev.segments.activity.ActivityDtos.PurchaseInput;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.json.InputChecks;
import dev.segments.tracking.TrackingDtos.MessageError;
import dev.segments.tracking.TrackingDtos.PurchaseMapping;
import dev.segments.tracking.TrackingDtos.TrackingMapping;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns one Segment Spec message into what it writes, without touching the database: the customer merge patch
 * of an identify, or the event or purchase of a track, page, screen or group call (docs/tracking.md). A message
 * that cannot be stored is a {@link Rejected} with the code and the pointer into the request body.
 */
final class MessagePlanner {

    /** What one message writes; {@code sources} maps a pointer of the written record to the one in the request. */
    sealed interface Plan {
        int index();

        String pointer();

        String userId();

        Map<String, String> sources();
    }

    /** An identify: the JSON Merge Patch of the customer's profile (customer field names, attributes nested). */
    record Identify(int index, String pointer, String userId, ObjectNode patch, Map<String, String> sources)
            implements Plan {
    }

    /** A track, page, screen or group call: an event or a purchase. */
    record Activity(int index, String pointer, String userId, StreamKind kind, ActivityInput input,
                    Map<String, String> sources) implements Plan {
    }

    /** Why a message is refused. */
    static final class Rejected extends RuntimeException {
        final transient MessageError error;

        Rejected(int index, String pointer, String code, String message) {
            super(message, null, false, false);
            this.error = new MessageError(index, pointer, code, message);
        }
    }

    static final int MAX_ID_LENGTH = 200;
    private static final Set<String> TEXT_FIELDS = Set.of("name", "email", "phone", "gender", "country", "region",
            "city", "priceTier", "paymentTerms", "lifecycleStage", "source", "channel");
    private static final List<String> PAGE_CONTEXT = List.of("url", "path", "title", "referrer", "search");

    private final TrackingMapping mapping;
    private final AttributeCatalog customerAttributes;
    private final OffsetDateTime receivedAt;
    private final JsonNode batchSentAt;
    private final JsonNodeFactory nodes = JsonNodeFactory.withExactBigDecimals(true);

    MessagePlanner(TrackingMapping mapping, AttributeCatalog customerAttributes, OffsetDateTime receivedAt,
                   JsonNode batchSentAt) {
        this.mapping = mapping;
        this.customerAttributes = customerAttributes;
        this.receivedAt = receivedAt;
        this.batchSentAt = batchSentAt;
    }

    /** The plan of message {@code index} at {@code pointer}; {@code impliedType} is the type of a single call. */
    Plan plan(JsonNode msg, int index, String pointer, String impliedType) {
        if (msg == null || !msg.isObject()) {
            throw new Rejected(index, pointer, "invalid_type", "a message must be a JSON object");
        }
        String bad = badText(msg, pointer);
        if (bad != null) {
            String code = bad.substring(0, bad.indexOf(' '));
            throw new Rejected(index, bad.substring(bad.indexOf(' ') + 1), code, InputChecks.message(code));
        }
        String type = type(msg, index, pointer, impliedType);
        String userId = userId(msg, index, pointer);
        String messageId = messageId(msg, index, pointer);
        OffsetDateTime occurredAt = occurredAt(msg, index, pointer);
        Map<String, String> sources = new HashMap<>();
        sources.put("/customerExternalId", pointer + "/userId");
        sources.put("/externalId", pointer + "/messageId");
        sources.put("/occurredAt", pointer + "/timestamp");
        return switch (type) {
            case "identify" -> identify(msg, index, pointer, userId, sources);
            case "track" -> track(msg, index, pointer, userId, messageId, occurredAt, sources);
            case "page", "screen" -> {
                ObjectNode properties = object(msg, "properties", index, pointer).deepCopy();
                JsonNode page = msg.path("context").path("page");
                if ("page".equals(type) && page.isObject()) {
                    for (String key : PAGE_CONTEXT) {
                        if (!properties.has(key) && page.hasNonNull(key)) {
                            properties.set(key, page.get(key));
                        }
                    }
                }
                copyIfPresent(msg, properties, "name");
                copyIfPresent(msg, properties, "category");
                sources.put("/properties", pointer + "/properties");
                yield event(index, pointer, userId, messageId, occurredAt, type, properties, sources);
            }
            case "group" -> {
                JsonNode groupId = msg.get("groupId");
                if (groupId == null || groupId.isNull() || !(groupId.isTextual() || groupId.isIntegralNumber())
                        || groupId.asText().isBlank()) {
                    throw new Rejected(index, pointer + "/groupId", "required", "a group call needs a groupId (a string)");
                }
                ObjectNode properties = nodes.objectNode();
                properties.put("groupId", groupId.asText());
                properties.set("traits", object(msg, "traits", index, pointer).deepCopy());
                sources.put("/properties", pointer + "/traits");
                yield event(index, pointer, userId, messageId, occurredAt, "group", properties, sources);
            }
            default -> throw new IllegalStateException(type);
        };
    }

    private String type(JsonNode msg, int index, String pointer, String impliedType) {
        JsonNode node = msg.get("type");
        String type = node == null || node.isNull() ? impliedType : node.isTextual() ? node.textValue() : "";
        if (type == null) {
            throw new Rejected(index, pointer + "/type", "required", "a message in a batch needs its type");
        }
        if (impliedType != null && !impliedType.equals(type)) {
            throw new Rejected(index, pointer + "/type", "type_mismatch",
                    "this endpoint takes " + impliedType + " calls; send other types to their endpoint or to /tracking/v1/batch");
        }
        return switch (type) {
            case "identify", "track", "page", "screen", "group" -> type;
            case "alias" -> throw new Rejected(index, pointer + "/type", "unsupported_type",
                    "alias calls are not supported: customers are identified by userId only (docs/tracking.md)");
            default -> throw new Rejected(index, pointer + "/type", "unknown_type",
                    "type must be identify, track, page, screen or group");
        };
    }

    private static String userId(JsonNode msg, int index, String pointer) {
        JsonNode node = msg.get("userId");
        String userId = node == null || node.isNull() ? null
                : node.isTextual() || node.isIntegralNumber() ? node.asText() : null;
        if (node != null && !node.isNull() && userId == null) {
            throw new Rejected(index, pointer + "/userId", "invalid_type", "userId must be a string");
        }
        if (userId == null || userId.isBlank()) {
            if (msg.hasNonNull("anonymousId")) {
                throw new Rejected(index, pointer + "/userId", "anonymous", "a message with only an anonymousId is "
                        + "not stored: customers are identified by userId (their externalId); send it once the user is known");
            }
            throw new Rejected(index, pointer + "/userId", "required", "userId (the customer's externalId) is required");
        }
        if (userId.length() > MAX_ID_LENGTH) {
            throw new Rejected(index, pointer + "/userId", "too_long", "userId has at most " + MAX_ID_LENGTH + " characters");
        }
        return userId;
    }

    private static String messageId(JsonNode msg, int index, String pointer) {
        JsonNode node = msg.get("messageId");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual() || node.textValue().isBlank() || node.textValue().length() > MAX_ID_LENGTH) {
            throw new Rejected(index, pointer + "/messageId", "invalid_value",
                    "messageId must be a string of 1 to " + MAX_ID_LENGTH + " characters");
        }
        return node.textValue();
    }

    /**
     * When the message happened, corrected for the sender's clock as Segment does: the sender's
     * {@code timestamp} (else {@code originalTimestamp}) moved by {@code receivedAt - sentAt}, so a device clock that is
     * off by an hour does not put events an hour away. A message that already carries {@code receivedAt} was
     * received (and corrected) by a pipeline before: its timestamp is taken as is. Without a timestamp: receipt time.
     */
    private OffsetDateTime occurredAt(JsonNode msg, int index, String pointer) {
        OffsetDateTime timestamp = time(msg, "timestamp", index, pointer);
        OffsetDateTime original = time(msg, "originalTimestamp", index, pointer);
        OffsetDateTime sentAt = time(msg, "sentAt", index, pointer);
        if (sentAt == null && batchSentAt != null) {
            sentAt = parseTime(batchSentAt, index, "/sentAt");
        }
        OffsetDateTime base = timestamp != null ? timestamp : original;
        OffsetDateTime at;
        if (base == null) {
            at = receivedAt;
        } else if (timestamp != null && msg.hasNonNull("receivedAt")) {
            at = timestamp;
        } else if (sentAt != null) {
            at = base.plus(Duration.between(sentAt, receivedAt));
        } else {
            at = base;
        }
        if (!InputChecks.yearInRange(at)) {
            throw new Rejected(index, pointer + (timestamp != null ? "/timestamp" : "/originalTimestamp"),
                    "out_of_range", "the time must be within the years 1 to 9999");
        }
        return at;
    }

    private static OffsetDateTime time(JsonNode msg, String member, int index, String pointer) {
        JsonNode node = msg.get(member);
        return node == null || node.isNull() ? null : parseTime(node, index, pointer + "/" + member);
    }

    private static OffsetDateTime parseTime(JsonNode node, int index, String at) {
        if (node.isTextual()) {
            try {
                OffsetDateTime t = OffsetDateTime.parse(node.textValue());
                if (InputChecks.yearInRange(t)) {
                    return t;
                }
            } catch (DateTimeParseException e) {
                // below
            }
        }
        throw new Rejected(index, at, "invalid_timestamp",
                "must be an ISO-8601 timestamp with an offset, e.g. 2024-05-01T12:00:00.000Z");
    }

    private Plan identify(JsonNode msg, int index, String pointer, String userId, Map<String, String> sources) {
        JsonNode traits = object(msg, "traits", index, pointer);
        String traitsAt = pointer + "/traits";
        sources.clear();
        sources.put("/externalId", pointer + "/userId");
        ObjectNode patch = nodes.objectNode();
        ObjectNode attributes = nodes.objectNode();
        Set<String> consumed = new HashSet<>();
        for (Map.Entry<String, String> e : mapping.traits().entrySet()) {
            PropertyPath path = PropertyPath.parse(e.getKey());
            if (path == null) {
                continue; // validated on PUT; a stored mapping always parses
            }
            JsonNode value = path.at(traits);
            if (value == null) {
                continue;
            }
            consumed.add(path.head());
            String target = e.getValue();
            String at = traitsAt + path.pointer();
            if (target.startsWith(TrackingMappings.ATTRIBUTES)) {
                String key = target.substring(TrackingMappings.ATTRIBUTES.length());
                if (!attributes.has(key)) {
                    attributes.set(key, value);
                    sources.put(JsonPointers.append("/attributes", key), at);
                }
            } else if (!patch.has(target)) {
                patch.set(target, field(target, value, index, at));
                sources.put("/" + target, at);
            }
        }
        if (!patch.has("name")) {
            String first = text(traits, "firstName", "first_name");
            String last = text(traits, "lastName", "last_name");
            if (first != null || last != null) {
                patch.put("name", first == null ? last : last == null ? first : first + " " + last);
                sources.put("/name", traitsAt + (first != null ? "/firstName" : "/lastName"));
            }
        }
        for (var e : traits.properties()) {
            if (!consumed.contains(e.getKey()) && customerAttributes.types().containsKey(e.getKey())
                    && !attributes.has(e.getKey())) {
                attributes.set(e.getKey(), e.getValue());
                sources.put(JsonPointers.append("/attributes", e.getKey()), JsonPointers.append(traitsAt, e.getKey()));
            }
        }
        if (!attributes.isEmpty()) {
            patch.set("attributes", attributes);
        }
        return new Identify(index, pointer, userId, patch, sources);
    }

    /** A trait value as the customer field takes it: text from strings and numbers, a date, a list. */
    private JsonNode field(String target, JsonNode value, int index, String at) {
        if (value.isNull()) {
            return value; // a merge patch null: the field is cleared
        }
        if (TEXT_FIELDS.contains(target)) {
            if (value.isTextual() || value.isNumber() || value.isBoolean()) {
                return nodes.textNode(value.asText());
            }
            throw new Rejected(index, at, "invalid_type", target + " takes a string");
        }
        if (target.equals("birthDate")) {
            LocalDate date = value.isTextual() ? date(value.textValue()) : null;
            if (date == null || !InputChecks.yearInRange(date)) {
                throw new Rejected(index, at, "invalid_date", "birthDate takes a date (YYYY-MM-DD or an ISO-8601 timestamp)");
            }
            return nodes.textNode(date.toString());
        }
        // tags, phones: a list of strings, or one string
        if (value.isTextual()) {
            return nodes.arrayNode().add(value.textValue());
        }
        if (value.isArray()) {
            var list = nodes.arrayNode();
            for (JsonNode v : value) {
                if (!(v.isTextual() || v.isNumber())) {
                    throw new Rejected(index, at, "invalid_type", target + " takes a list of strings");
                }
                list.add(v.asText());
            }
            return list;
        }
        throw new Rejected(index, at, "invalid_type", target + " takes a list of strings");
    }

    private static LocalDate date(String text) {
        try {
            return LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toLocalDate();
            } catch (DateTimeParseException e2) {
                return null;
            }
        }
    }

    private Plan track(JsonNode msg, int index, String pointer, String userId, String messageId,
                       OffsetDateTime occurredAt, Map<String, String> sources) {
        JsonNode eventNode = msg.get("event");
        if (eventNode == null || !eventNode.isTextual() || eventNode.textValue().isBlank()) {
            throw new Rejected(index, pointer + "/event", "required", "a track call needs its event name (a string)");
        }
        String event = eventNode.textValue();
        JsonNode properties = object(msg, "properties", index, pointer);
        sources.put("/name", pointer + "/event");
        sources.put("/properties", pointer + "/properties");
        PurchaseMapping purchase = mapping.purchases().get(event);
        if (purchase == null) {
            return event(index, pointer, userId, messageId, occurredAt, event, properties.deepCopy(), sources);
        }
        String propsAt = pointer + "/properties";
        Found amount = first(properties, purchase.amount());
        if (amount == null) {
            throw new Rejected(index, propsAt + firstPointer(purchase.amount()), "missing_amount",
                    "'" + event + "' is a purchase; its amount is read from " + String.join(" or ", purchase.amount()));
        }
        BigDecimal value = amount.value().isNumber() ? amount.value().decimalValue() : decimal(amount.value().asText());
        if (value == null || !(amount.value().isNumber() || amount.value().isTextual())) {
            throw new Rejected(index, propsAt + amount.path().pointer(), "invalid_type", "the amount must be a number");
        }
        sources.put("/amount", propsAt + amount.path().pointer());
        String externalId = text(properties, purchase.externalId(), "/externalId", propsAt, sources);
        if (externalId == null) {
            externalId = messageId;
        }
        Integer quantity = null;
        Found q = first(properties, purchase.quantity());
        if (q != null) {
            sources.put("/quantity", propsAt + q.path().pointer());
            if (!q.value().canConvertToExactIntegral() || !q.value().canConvertToInt()) {
                throw new Rejected(index, propsAt + q.path().pointer(), "invalid_type", "the quantity must be an integer");
            }
            quantity = q.value().intValue();
        }
        PurchaseInput input = new PurchaseInput(null, userId, externalId, occurredAt, value,
                text(properties, purchase.currency(), "/currency", propsAt, sources),
                text(properties, purchase.product(), "/product", propsAt, sources),
                text(properties, purchase.category(), "/category", propsAt, sources), quantity,
                text(properties, purchase.channel(), "/channel", propsAt, sources), null);
        return new Activity(index, pointer, userId, StreamKind.PURCHASE, input, sources);
    }

    private static Plan event(int index, String pointer, String userId, String messageId, OffsetDateTime occurredAt,
                              String name, ObjectNode properties, Map<String, String> sources) {
        return new Activity(index, pointer, userId, StreamKind.EVENT,
                new EventInput(null, userId, messageId, occurredAt, name, properties), sources);
    }

    private record Found(PropertyPath path, JsonNode value) {
    }

    /** The first of the paths present with a non-null scalar value. */
    private static Found first(JsonNode properties, List<String> paths) {
        if (paths == null) {
            return null;
        }
        for (String p : paths) {
            PropertyPath path = PropertyPath.parse(p);
            JsonNode v = path == null ? null : path.at(properties);
            if (v != null && !v.isNull() && v.isValueNode()) {
                return new Found(path, v);
            }
        }
        return null;
    }

    private static String text(JsonNode properties, List<String> paths, String field, String propsAt,
                               Map<String, String> sources) {
        Found f = first(properties, paths);
        if (f == null) {
            return null;
        }
        sources.put(field, propsAt + f.path().pointer());
        return f.value().asText();
    }

    private static String firstPointer(List<String> paths) {
        PropertyPath p = paths == null || paths.isEmpty() ? null : PropertyPath.parse(paths.get(0));
        return p == null ? "" : p.pointer();
    }

    private static BigDecimal decimal(String text) {
        try {
            return new BigDecimal(text.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String text(JsonNode traits, String... names) {
        for (String n : names) {
            JsonNode v = traits.get(n);
            if (v != null && v.isTextual() && !v.textValue().isBlank()) {
                return v.textValue().trim();
            }
        }
        return null;
    }

    private static void copyIfPresent(JsonNode msg, ObjectNode properties, String member) {
        JsonNode v = msg.get(member);
        if (v != null && !v.isNull()) {
            properties.set(member, v);
        }
    }

    /** The member as an object; absent or null is an empty object, anything else refuses the message. */
    private JsonNode object(JsonNode msg, String member, int index, String pointer) {
        JsonNode v = msg.get(member);
        if (v == null || v.isNull()) {
            return nodes.objectNode();
        }
        if (!v.isObject()) {
            throw new Rejected(index, pointer + "/" + member, "invalid_type", member + " must be a JSON object");
        }
        return v;
    }

    /** "code pointer" of the first string or member name that cannot be stored, or null. */
    private static String badText(JsonNode node, String pointer) {
        if (node.isTextual()) {
            String code = InputChecks.problemOf(node.textValue());
            return code == null ? null : code + " " + pointer;
        }
        if (node.isObject()) {
            for (var e : node.properties()) {
                String at = JsonPointers.append(pointer, e.getKey());
                String code = InputChecks.problemOf(e.getKey());
                if (code != null) {
                    return code + " " + at;
                }
                String inner = badText(e.getValue(), at);
                if (inner != null) {
                    return inner;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String inner = badText(node.get(i), JsonPointers.append(pointer, i));
                if (inner != null) {
                    return inner;
                }
            }
        }
        return null;
    }
}
