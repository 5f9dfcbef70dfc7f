package dev.segments.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Receiver;
import dev.segments.webhook.Feed.Tenant;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OAS 3.1 {@code webhooks} entry of the spec describes what a receiver really gets: a delivery sent by the
 * dispatcher to a local receiver carries every declared header in its declared form, and its body (and the payload
 * in the delivery log) is valid against MembershipChangedEvent, which admits no other member (issue 13).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookSpecTest extends DispatcherFixture {

    @Test
    void aDeliveryMatchesTheWebhooksDescription() throws Exception {
        JsonNode spec = JSON.readTree(RestAssured.get("/q/openapi?format=json").then().statusCode(200).extract().asString());
        JsonNode post = spec.at("/webhooks/membershipChanged/post");
        assertTrue(post.isObject(), "webhooks.membershipChanged.post is described");
        Set<String> declared = new TreeSet<>();
        post.path("parameters").forEach(p -> {
            assertEquals("header", p.path("in").asText());
            assertTrue(p.path("required").asBoolean(), p.path("name").asText() + " is required");
            declared.add(p.path("name").asText());
        });
        assertEquals(Set.of("User-Agent", "webhook-id", "webhook-signature", "webhook-timestamp"), declared);
        assertEquals("#/components/schemas/MembershipChangedEvent",
                post.at("/requestBody/content/application~1json/schema/$ref").asText());

        Tenant t = feed.tenant(List.of("vip"), 3);
        long id = as(t.key()).body(Map.of("url", receiver.url())).post("/webhooks").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        feed.enter(t, "vip", "c1", "c2", "c3");
        feed.changes(t, "vip", "exited", "c2");
        dispatcher.runOnce().await().atMost(Duration.ofSeconds(10));

        List<Receiver.Request> got = receiver.requests();
        assertEquals(1, got.size());
        Receiver.Request r = got.get(0);
        UUID.fromString(r.id());
        Long.parseLong(r.timestamp());
        assertTrue(r.signature().matches(schemaOf(post, "webhook-signature").path("pattern").asText()), r.signature());
        assertEquals("application/json", r.contentType());

        JsonNode body = JSON.readTree(r.body());
        List<String> problems = new ArrayList<>();
        validate(spec, spec.at("/components/schemas/MembershipChangedEvent"), body, "", problems);
        assertEquals(List.of(), problems, r.body());
        assertEquals(4, body.path("changes").size());

        JsonNode logged = JSON.readTree(as(t.key()).get("/webhooks/" + id + "/deliveries/" + r.id())
                .then().statusCode(200).extract().asString());
        validate(spec, spec.at("/components/schemas/WebhookDelivery/properties/payload"), logged.path("payload"),
                "/payload", problems);
        assertEquals(List.of(), problems);
    }

    private static JsonNode schemaOf(JsonNode post, String header) {
        for (JsonNode p : post.path("parameters")) {
            if (p.path("name").asText().equals(header)) {
                return p.path("schema");
            }
        }
        throw new AssertionError(header + " is not declared");
    }

    /**
     * The subset of JSON Schema these schemas use: $ref, type (one or a list), enum, required, properties with
     * additionalProperties false, items and minItems, and the uuid, date-time and int64 formats.
     */
    static void validate(JsonNode spec, JsonNode schema, JsonNode value, String at, List<String> problems) {
        if (schema.has("$ref")) {
            validate(spec, spec.at(schema.path("$ref").asText().substring(1)), value, at, problems);
            return;
        }
        if (schema.has("type")) {
            List<String> types = new ArrayList<>();
            if (schema.path("type").isArray()) {
                schema.path("type").forEach(x -> types.add(x.asText()));
            } else {
                types.add(schema.path("type").asText());
            }
            String actual = value.isNull() ? "null" : value.isObject() ? "object" : value.isArray() ? "array"
                    : value.isIntegralNumber() ? "integer" : value.isNumber() ? "number" : value.isBoolean() ? "boolean" : "string";
            if (!types.contains(actual) && !(actual.equals("integer") && types.contains("number"))) {
                problems.add(at + ": " + actual + " is not " + types);
                return;
            }
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode e : schema.path("enum")) {
                found |= e.equals(value);
            }
            if (!found) {
                problems.add(at + ": " + value + " is not one of " + schema.path("enum"));
            }
        }
        if (value.isTextual()) {
            try {
                switch (schema.path("format").asText()) {
                    case "uuid" -> UUID.fromString(value.asText());
                    case "date-time" -> OffsetDateTime.parse(value.asText());
                    default -> { }
                }
            } catch (RuntimeException e) {
                problems.add(at + ": " + value + " is not a " + schema.path("format").asText());
            }
        }
        if (value.isObject()) {
            schema.path("required").forEach(req -> {
                if (!value.has(req.asText())) {
                    problems.add(at + ": " + req.asText() + " is missing");
                }
            });
            value.properties().forEach(member -> {
                JsonNode property = schema.path("properties").path(member.getKey());
                if (property.isMissingNode()) {
                    if (schema.path("additionalProperties").asBoolean(true) == false) {
                        problems.add(at + "/" + member.getKey() + " is not declared");
                    }
                } else {
                    validate(spec, property, member.getValue(), at + "/" + member.getKey(), problems);
                }
            });
        }
        if (value.isArray()) {
            if (value.size() < schema.path("minItems").asInt(0)) {
                problems.add(at + ": fewer than " + schema.path("minItems") + " items");
            }
            for (int i = 0; i < value.size(); i++) {
                validate(spec, schema.path("items"), value.get(i), at + "/" + i, problems);
            }
        }
    }
}
