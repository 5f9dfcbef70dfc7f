package dev.segments.common;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Walks every operation of the committed OpenAPI document (openapi/openapi.yaml, which HealthAndSpecTest keeps
 * equal to what the code serves; read here as the served JSON form) and sends each a fixed, seeded set of hostile
 * variants as a valid tenant (the admin key for /admin): wrong types, nulls, NUL characters, lone surrogates,
 * huge strings, out-of-range numbers and dates for every body property; missing required fields; deep nesting;
 * duplicate keys; bodies that are not objects, not JSON or not UTF-8; wrong content types; bad cursors, limits,
 * dates and ids in every parameter. Plus the same for POST /graphql. It asserts: no 5xx; every 4xx is
 * application/problem+json with a type; no body names a Java type. Totals are printed (HOSTILE ...).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class HostileInputTest {

    private static final long SEED = 12L;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Pattern JAVA_NAMES = Pattern.compile(
            "java\\.|javax\\.|com\\.fasterxml|dev\\.segments|jakarta\\.|io\\.vertx|io\\.smallrye|org\\.jboss|Exception"
                    + "|[A-Za-z0-9_]\\$[A-Z][A-Za-z0-9_]*");
    private static final List<String> METHODS = List.of("get", "post", "put", "patch", "delete");

    /**
     * Variants owned by another part of issue 12, left out here until their fix is merged: bodies of the bulk
     * import (item 8) and null items in a webhook's segment list. Remove an entry once its fix is in.
     */
    /** Variants left out (none since the import and webhook fixes landed; the mechanism stays for the next one). */
    private static final Set<String> ELSEWHERE = Set.of();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Random random = new Random(SEED);
    private JsonNode spec;
    private final Map<String, String> ids = new LinkedHashMap<>();
    private String tenantKey;
    private int requests;
    private int serverErrors;
    private final List<String> failures = new ArrayList<>();

    @Test
    void everyOperationAnswersHostileInputWithAProblem() throws Exception {
        spec = JSON.readTree(RestAssured.given().queryParam("format", "json").get("/q/openapi").asString());
        assertEquals(JSON.readTree(yamlAsJson()).path("paths").size(), spec.path("paths").size(),
                "the served document and openapi/openapi.yaml describe the same paths");
        fixture();
        long start = System.nanoTime();
        List<String[]> operations = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = spec.path("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> path = it.next();
            for (String method : METHODS) {
                if (path.getValue().has(method)) {
                    operations.add(new String[]{method, path.getKey()});
                }
            }
        }
        // deletes last, so that the fixture's ids stay valid for every other operation
        operations.sort((a, b) -> Boolean.compare(a[0].equals("delete"), b[0].equals("delete")));
        boolean graphqlDone = false;
        for (String[] op : operations) {
            if (op[0].equals("delete") && !graphqlDone) {
                graphql();
                graphqlDone = true;
            }
            operation(op[0], op[1], spec.path("paths").path(op[1]).path(op[0]));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("HOSTILE operations=%d requests=%d 5xx=%d failures=%d seconds=%.1f seed=%d%n",
                operations.size() + 1, requests, serverErrors, failures.size(), seconds, SEED);
        failures.stream().limit(40).forEach(f -> System.out.println("HOSTILE FAIL " + f));
        assertTrue(operations.size() >= 60, "the document lists the operations");
        assertTrue(requests > 2000, "a few thousand requests were sent");
        assertEquals(0, serverErrors, "no 5xx");
        assertEquals(List.of(), failures.stream().limit(40).toList());
    }

    private static String yamlAsJson() throws IOException {
        // the committed document is YAML; its path keys are the lines "  /...:" at the second level of "paths"
        ObjectNode paths = F.objectNode();
        boolean in = false;
        for (String line : Files.readAllLines(Path.of("openapi/openapi.yaml"))) {
            if (line.equals("paths:")) {
                in = true;
            } else if (in && !line.startsWith(" ") && !line.isBlank()) {
                in = false;
            } else if (in && line.startsWith("  /") && line.endsWith(":")) {
                paths.putObject(line.substring(2, line.length() - 1));
            }
        }
        return F.objectNode().set("paths", paths).toString();
    }

    // ---------------------------------------------------------------------------------------------- fixture

    private void fixture() {
        tenantKey = Api.newTenant();
        long customer = Api.customer(tenantKey, "hostile-1", Map.of("name", "H"));
        as(tenantKey).body(Map.of("entity", "customer", "key", "tier", "type", "string")).post("/attributes").then().statusCode(201);
        as(tenantKey).body("{\"key\": \"hs\", \"name\": \"H\", \"rule\": {\"field\": \"name\", \"op\": \"isSet\"}}")
                .post("/segments").then().statusCode(201);
        long purchase = as(tenantKey).body(Map.of("customerId", customer, "occurredAt", "2026-01-01T00:00:00Z", "amount", 5))
                .post("/purchases").then().statusCode(201).extract().jsonPath().getLong("id");
        long interaction = as(tenantKey).body(Map.of("customerId", customer, "occurredAt", "2026-01-01T00:00:00Z", "type", "call"))
                .post("/interactions").then().statusCode(201).extract().jsonPath().getLong("id");
        long event = as(tenantKey).body(Map.of("customerId", customer, "occurredAt", "2026-01-01T00:00:00Z", "name", "view"))
                .post("/events").then().statusCode(201).extract().jsonPath().getLong("id");
        var webhook = as(tenantKey).body(Map.of("url", "http://127.0.0.1:9/hook")).post("/webhooks");
        String webhookId = webhook.statusCode() == 201 ? webhook.jsonPath().getString("id") : "1";
        // the admin operations work on a tenant of their own, so that revoking its key harms nothing else
        var other = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "hostile-admin")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        ids.put("tenantId", other.getString("tenant.id"));
        ids.put("keyId", other.getString("apiKey.id"));
        ids.put("customerId", String.valueOf(customer));
        ids.put("externalId", "hostile-1");
        ids.put("entity", "customer");
        ids.put("key", "hs");
        ids.put("webhook", webhookId);
        ids.put("deliveryId", "1");
        ids.put("purchase", String.valueOf(purchase));
        ids.put("interaction", String.valueOf(interaction));
        ids.put("event", String.valueOf(event));
    }

    private String idFor(String path, String name) {
        if (name.equals("id")) {
            if (path.startsWith("/purchases")) return ids.get("purchase");
            if (path.startsWith("/interactions")) return ids.get("interaction");
            if (path.startsWith("/events")) return ids.get("event");
            if (path.startsWith("/webhooks")) return ids.get("webhook");
            return ids.get("customerId");
        }
        if (name.equals("key") && path.startsWith("/attributes")) {
            return "tier";
        }
        String v = ids.get(name);
        return v == null ? "1" : v;
    }

    // ---------------------------------------------------------------------------------------------- variants

    private static final List<String> PATH_VALUES = List.of("0", "-1", "99999999999999999999", "abc", "%00", "%2F",
            "..", "x".repeat(300), "%27%20OR%201%3D1%20--", "%C3%28", "%E2%82", "1e400", "%F0%9F%98%80", " ");
    private static final List<String> QUERY_VALUES = List.of("", "-1", "0", "1001", "99999999999999999999", "abc",
            "!!!", "\u0000", "x".repeat(5000), "-999999999-01-01T00:00:00Z", "+99999-01-01T00:00:00Z",
            "2026-13-45T25:61:00Z", "null", "[]", "1e400", "true", "\ud800", "a,b,,\u0000", "%ZZ".repeat(1));
    private static final List<String> HEADER_VALUES = List.of("garbage", "\"x\"", "*", "W/\"1\"", "\"99999999999999999999\"");

    private void operation(String method, String path, JsonNode op) {
        String label = method.toUpperCase() + " " + path;
        boolean admin = path.startsWith("/admin");
        List<JsonNode> params = new ArrayList<>();
        op.path("parameters").forEach(p -> params.add(resolve(p)));
        Map<String, String> pathValues = new LinkedHashMap<>();
        for (JsonNode p : params) {
            if (p.path("in").asText().equals("path")) {
                pathValues.put(p.path("name").asText(), idFor(path, p.path("name").asText()));
            }
        }
        JsonNode content = resolve(op.path("requestBody")).path("content");
        String mediaType = content.fieldNames().hasNext() ? content.fieldNames().next() : null;
        JsonNode schema = mediaType == null ? null : resolve(content.path(mediaType).path("schema"));
        String baseBody = schema == null ? null : example(schema, 0).toString();

        // each path parameter, the others valid
        for (String name : pathValues.keySet()) {
            for (String v : PATH_VALUES) {
                Map<String, String> values = new LinkedHashMap<>(pathValues);
                values.put(name, v);
                send(label, method, uri(path, values, Map.of()), mediaType, baseBody, Map.of(), admin);
            }
        }
        // each query parameter and header
        for (JsonNode p : params) {
            String name = p.path("name").asText();
            if (p.path("in").asText().equals("query")) {
                for (String v : QUERY_VALUES) {
                    send(label, method, uri(path, pathValues, Map.of(name, v)), mediaType, baseBody, Map.of(), admin);
                }
            } else if (p.path("in").asText().equals("header")) {
                for (String v : HEADER_VALUES) {
                    send(label, method, uri(path, pathValues, Map.of()), mediaType, baseBody, Map.of(name, v), admin);
                }
            }
        }
        if (schema == null) {
            // a body where none is expected
            send(label, method, uri(path, pathValues, Map.of()), "application/json", "{\"x\": \"\\u0000\"}", Map.of(), admin);
            return;
        }
        if (ELSEWHERE.contains(label + " body")) {
            return;
        }
        String target = uri(path, pathValues, Map.of());
        List<String> bodies = new ArrayList<>();
        bodies.add(baseBody);
        bodies.add("{}");
        bodies.addAll(List.of("[]", "\"x\"", "1", "null", "", "{", "{\"a\":", "}", "[1,]", "{'a': 1}", "NaN", "\u0000",
                "{\"a\": 1} {\"b\": 2}", "{\"a\": 01}", "{\"a\": \"\\uZZZZ\"}", "[".repeat(3000) + "]".repeat(3000),
                "{\"a\":".repeat(3000) + "1" + "}".repeat(3000)));
        bodies.add(duplicateFirstKey(baseBody));
        JsonNode properties = schema.path("properties");
        List<String> names = new ArrayList<>();
        properties.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            JsonNode propSchema = resolve(properties.path(name));
            for (JsonNode v : hostileValues(propSchema)) {
                if (ELSEWHERE.contains(path.replaceAll("/\\{.*", "") + " [null]") && v.isArray() && v.size() == 1 && v.get(0).isNull()) {
                    continue;
                }
                ObjectNode b = (ObjectNode) JSON.valueToTree(example(schema, 0));
                b.set(name, v);
                bodies.add(b.toString());
            }
            ObjectNode missing = (ObjectNode) example(schema, 0);
            missing.remove(name);
            bodies.add(missing.toString());
        }
        for (String body : bodies) {
            send(label, method, target, mediaType, body, Map.of(), admin);
        }
        // not UTF-8; and the base body under wrong content types
        sendBytes(label, method, target, mediaType, "{\"a\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1), admin);
        sendBytes(label, method, target, mediaType, new byte[]{(byte) 0xFF, (byte) 0xFE, 0, 1, 2}, admin);
        for (String type : List.of("text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data",
                "application/json; charset=latin1", "*/*", "application/json;;;")) {
            send(label, method, target, type, baseBody, Map.of(), admin);
        }
    }

    /** Wrong types and hostile values for one property, a seeded sample so that the run stays bounded. */
    private List<JsonNode> hostileValues(JsonNode propSchema) {
        List<JsonNode> all = new ArrayList<>(List.of(F.numberNode(123), F.textNode("str"), F.booleanNode(true),
                F.arrayNode(), F.objectNode(), F.nullNode(), F.numberNode(new java.math.BigDecimal("1e400")),
                F.numberNode(new java.math.BigDecimal("1e-400")), F.numberNode(-1), F.textNode("\u0000"),
                F.textNode("x".repeat(100_000)), F.textNode("+99999-01-01T00:00:00Z"), F.textNode("\ud800"),
                F.textNode("-999999999-01-01"), F.numberNode(new java.math.BigInteger("99999999999999999999")),
                F.arrayNode().addNull(), F.arrayNode().add("\u0000"), F.objectNode().put("\u0000", 1),
                F.textNode(" "), F.textNode("")));
        ArrayNode nested = F.arrayNode();
        ArrayNode cur = nested;
        for (int i = 0; i < 70; i++) {
            cur = cur.addArray();
        }
        all.add(nested);
        String type = propSchema.path("type").asText("");
        // always the values a field of this type is most exposed to, then a sample of the rest
        List<JsonNode> chosen = new ArrayList<>();
        chosen.add(F.nullNode());
        chosen.add(F.textNode("\u0000"));
        chosen.add(type.equals("string") ? F.numberNode(123) : F.textNode("str"));
        while (chosen.size() < 9) {
            JsonNode v = all.get(random.nextInt(all.size()));
            if (!chosen.contains(v)) {
                chosen.add(v);
            }
        }
        return chosen;
    }

    private static String duplicateFirstKey(String body) {
        if (body == null || !body.startsWith("{\"")) {
            return "{\"a\": 1, \"a\": 2}";
        }
        int colon = body.indexOf("\":");
        String key = body.substring(1, colon + 1);
        return "{" + key + ": null, " + body.substring(1);
    }

    // ---------------------------------------------------------------------------------------------- GraphQL

    private void graphql() {
        String label = "POST /graphql";
        String q = "{ segments { key count } }";
        List<String> bodies = new ArrayList<>(List.of(
                "{\"query\": \"" + q + "\"}", "{}", "[]", "[1]", "1", "null", "", "{", "{\"query\": 1}",
                "{\"query\": \"" + q + "\", \"variables\": []}", "{\"query\": \"" + q + "\", \"variables\": 1}",
                "{\"query\": \"" + q + "\", \"variables\": \"{}\"}", "{\"query\": \"" + q + "\", \"operationName\": 5}",
                "{\"query\": \"" + q + "\", \"query\": \"" + q + "\"}",
                "{\"query\": \"" + q + "\", \"variables\": {\"a\": " + "[".repeat(1000) + "]".repeat(1000) + "}}",
                "{\"query\": \"" + q + "\", \"variables\": {\"a\": \"\\u0000\"}}",
                "{\"query\": \"{ segments { key \\u0000 } }\"}",
                "{\"query\": \"" + "{ segments ".repeat(200) + "}\"}",
                "{\"query\": \"mutation { upsertCustomer(input: {externalId: \\\"g\\\", name: \\\"a\\\\u0000\\\"}) { created } }\"}",
                "{\"query\": \"mutation($i: PurchaseInput!) { recordPurchase(input: $i) { created } }\", \"variables\": {\"i\": "
                        + "{\"customerExternalId\": \"hostile-1\", \"occurredAt\": \"+99999-01-01T00:00:00Z\", \"amount\": 1}}}",
                "{\"query\": \"mutation($i: PurchaseInput!) { recordPurchase(input: $i) { created } }\", \"variables\": {\"i\": "
                        + "{\"customerExternalId\": \"hostile-1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1e400}}}",
                "{\"query\": \"mutation($i: PurchaseInput!) { recordPurchase(input: $i) { created } }\", \"variables\": {\"i\": "
                        + "{\"customerExternalId\": \"hostile-1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1e-400}}}",
                "{\"query\": \"query($r: JSON!) { previewSegment(rule: $r) { count } }\", \"variables\": {\"r\": "
                        + "{\"field\": \"name\", \"op\": \"eq\", \"value\": \"\\ud800\"}}}",
                "{\"query\": \"{ segment(key: \\\"hs\\\") { count(asOf: \\\"-999999999-01-01T00:00:00Z\\\") } }\"}"));
        for (String body : bodies) {
            send(label, "post", "/graphql", "application/json", body, Map.of(), false);
        }
        sendBytes(label, "post", "/graphql", "application/json", new byte[]{'{', '"', 'q', '"', ':', '"', (byte) 0xC3, '(', '"', '}'}, false);
        send(label, "post", "/graphql", "text/plain", "{\"query\": \"" + q + "\"}", Map.of(), false);
        send(label, "post", "/graphql", "application/graphql", q, Map.of(), false);
    }

    // ---------------------------------------------------------------------------------------------- schema

    private JsonNode resolve(JsonNode node) {
        JsonNode n = node;
        for (int i = 0; i < 10 && n.has("$ref"); i++) {
            String[] ref = n.path("$ref").asText().substring(2).split("/");
            JsonNode target = spec;
            for (String part : ref) {
                target = target.path(part);
            }
            n = target;
        }
        if (n.has("allOf") && n.path("allOf").size() > 0) {
            return resolve(n.path("allOf").get(0));
        }
        return n;
    }

    /** A plausible value of a schema: the required members of an object, one item of an array. */
    private JsonNode example(JsonNode schemaNode, int depth) {
        JsonNode s = resolve(schemaNode);
        if (s.has("oneOf") || s.has("anyOf")) {
            JsonNode alternatives = s.has("oneOf") ? s.path("oneOf") : s.path("anyOf");
            return alternatives.size() == 0 ? F.objectNode() : example(alternatives.get(0), depth + 1);
        }
        if (s.has("enum") && s.path("enum").size() > 0) {
            return s.path("enum").get(0);
        }
        String type = s.path("type").isArray() ? s.path("type").get(0).asText() : s.path("type").asText("");
        if (type.isEmpty() && s.has("properties")) {
            type = "object";
        }
        switch (type) {
            case "string": {
                String format = s.path("format").asText("");
                return F.textNode(switch (format) {
                    case "date-time" -> "2026-01-01T00:00:00Z";
                    case "date" -> "2026-01-01";
                    case "email" -> "a@example.com";
                    case "uri", "url" -> "http://127.0.0.1:9/hook";
                    default -> "hostile-1";
                });
            }
            case "integer":
                return F.numberNode(1);
            case "number":
                return F.numberNode(1);
            case "boolean":
                return F.booleanNode(true);
            case "array": {
                ArrayNode a = F.arrayNode();
                if (depth < 4) {
                    a.add(example(s.path("items"), depth + 1));
                }
                return a;
            }
            default: {
                ObjectNode o = F.objectNode();
                if (depth < 4) {
                    for (JsonNode r : s.path("required")) {
                        o.set(r.asText(), example(s.path("properties").path(r.asText()), depth + 1));
                    }
                }
                return o;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- HTTP

    private static String uri(String path, Map<String, String> pathValues, Map<String, String> query) {
        String p = path;
        for (Map.Entry<String, String> e : pathValues.entrySet()) {
            String v = e.getValue();
            // values that are already percent-encoded stay as they are; others are encoded
            p = p.replace("{" + e.getKey() + "}", v.contains("%") ? v : URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20"));
        }
        StringBuilder sb = new StringBuilder(p);
        char sep = '?';
        for (Map.Entry<String, String> e : query.entrySet()) {
            sb.append(sep).append(e.getKey()).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            sep = '&';
        }
        return sb.toString();
    }

    private void send(String label, String method, String target, String contentType, String body,
                      Map<String, String> headers, boolean admin) {
        byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        request(label, method, target, contentType, bytes, headers, admin, body);
    }

    private void sendBytes(String label, String method, String target, String contentType, byte[] body, boolean admin) {
        request(label, method, target, contentType, body, Map.of(), admin, "<bytes>");
    }

    private void request(String label, String method, String target, String contentType, byte[] body,
                         Map<String, String> headers, boolean admin, String shown) {
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + RestAssured.port + target));
        } catch (IllegalArgumentException e) {
            return; // not a URI the client can send; RequestGuard's own test sends such targets raw
        }
        b.timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + (admin ? Api.ADMIN_KEY : tenantKey))
                .header("Accept", "application/json, application/problem+json, text/csv");
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        HttpRequest.BodyPublisher publisher = body == null || method.equals("get") || method.equals("delete")
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body);
        b.method(method.toUpperCase(), publisher);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            failures.add(label + " " + target + " -> no answer (" + e.getClass().getSimpleName() + ") body " + abbreviate(shown));
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        requests++;
        int status = r.statusCode();
        String answer = r.body() == null ? "" : r.body();
        String what = label + " " + abbreviate(target) + " body " + abbreviate(shown) + " -> " + status + " " + abbreviate(answer);
        if (status >= 500) {
            serverErrors++;
            failures.add(what);
            return;
        }
        if (status >= 400) {
            String type = r.headers().firstValue("Content-Type").orElse("");
            if (!type.startsWith("application/problem+json")) {
                failures.add("not problem+json: " + what);
                return;
            }
            try {
                if (!JSON.readTree(answer).path("type").isTextual()) {
                    failures.add("no type: " + what);
                }
            } catch (IOException e) {
                failures.add("not JSON: " + what);
            }
        }
        // a PDF is compressed binary: its bytes read as text match the pattern by chance
        boolean binary = r.headers().firstValue("Content-Type").orElse("").startsWith("application/pdf");
        if (!binary && JAVA_NAMES.matcher(answer).find()) {
            failures.add("Java name: " + what);
        }
    }

    private static String abbreviate(String s) {
        String t = s == null ? "" : s.replace("\u0000", "\\u0000");
        return t.length() > 200 ? t.substring(0, 200) + "...(" + t.length() + ")" : t;
    }
}
