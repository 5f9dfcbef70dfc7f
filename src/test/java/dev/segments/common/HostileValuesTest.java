package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsStringIgnoringCase;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/**
 * Issue 12, items 9-11: values PostgreSQL cannot store, dates it cannot take, numbers it would round, duplicate
 * keys, Jackson's wording and the HTTP layer's empty errors each get a 4xx problem with a pointer, over REST and
 * GraphQL alike, and nothing is stored.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class HostileValuesTest {

    private static final String PROBLEM = "application/problem+json";

    private static ValidatableResponse problem(Response r, int status, String type, String pointer, String code) {
        ValidatableResponse v = r.then().log().ifValidationFails().statusCode(status).contentType(startsWith(PROBLEM)).body("type", equalTo(type));
        if (pointer != null) {
            v.body("errors[0].pointer", equalTo(pointer));
        }
        if (code != null) {
            v.body("errors[0].code", equalTo(code));
        }
        return v.log().ifValidationFails().body(not(containsString("java."))).body(not(containsString("com.fasterxml")))
                .body(not(containsString("dev.segments"))).body(not(containsString("Exception")));
    }

    @Test
    void nulIsRefusedInEveryKindOfWrite() {
        String key = Api.newTenant();
        // Hibernate Reactive entities: tenant, API key, attribute definition
        problem(RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body("{\"name\": \"evil\\u0000tenant\"}").post("/admin/tenants"), 422, "/problems/validation", "/name", "nul_character");
        long tenantId = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants").jsonPath().getLong("[0].id");
        problem(RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body("{\"name\": \"k\\u0000\"}").post("/admin/tenants/" + tenantId + "/keys"), 422, "/problems/validation", "/name", "nul_character");
        problem(as(key).body("{\"entity\": \"customer\", \"key\": \"tier\", \"type\": \"string\", \"description\": \"a\\u0000b\"}")
                .post("/attributes"), 422, "/problems/validation", "/description", "nul_character");
        // the pool path: a plain field, a list element, a JSON tree (key and value), an activity
        problem(as(key).body("{\"externalId\": \"n1\", \"name\": \"a\\u0000b\"}").post("/customers"),
                422, "/problems/validation", "/name", "nul_character");
        problem(as(key).body("{\"externalId\": \"n1\", \"tags\": [\"ok\", \"\\u0000\"]}").post("/customers"),
                422, "/problems/validation", "/tags/1", "nul_character");
        as(key).body("{\"entity\": \"customer\", \"key\": \"note\", \"type\": \"string\"}").post("/attributes").then().statusCode(201);
        problem(as(key).body("{\"externalId\": \"n1\", \"attributes\": {\"note\": \"x\\u0000\"}}").post("/customers"),
                422, "/problems/validation", "/attributes/note", "nul_character");
        problem(as(key).body("{\"externalId\": \"n1\", \"attributes\": {\"no\\u0000te\": 1}}").post("/customers"),
                422, "/problems/validation", null, "nul_character");
        problem(as(key).body("{\"items\": [{\"customerExternalId\": \"n1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"name\": \"v\\u0000\"}]}")
                .post("/events/batch"), 422, "/problems/validation", "/items/0/name", "nul_character");
        // in a number or a date field it is not read as null
        problem(as(key).body("{\"externalId\": \"n1\", \"birthDate\": \"\\u0000\"}").post("/customers"),
                422, "/problems/validation", "/birthDate", "nul_character");
        problem(as(key).body("{\"customerExternalId\": \"n1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1, \"quantity\": \"\\u0000\"}")
                .post("/purchases"), 422, "/problems/validation", "/quantity", "nul_character");
        // nor is an empty or blank string
        problem(as(key).body("{\"externalId\": \"n1\", \"birthDate\": \" \"}").post("/customers"),
                422, "/problems/validation", "/birthDate", "invalid_value");
        // in a rule, a path segment key: refused, not a 500
        problem(as(key).body("{\"rule\": {\"field\": \"name\", \"op\": \"eq\", \"value\": \"a\\u0000\"}}").post("/segments/preview"),
                422, "/problems/validation", "/rule/value", "nul_character");
        assertThat(as(key).get("/customers/by-external-id/n1").statusCode(), is(404));
    }

    @Test
    void brokenUnicodeIsRefusedNotReplaced() {
        String key = Api.newTenant();
        problem(as(key).body("{\"externalId\": \"u1\", \"name\": \"a\\ud800b\"}").post("/customers"),
                422, "/problems/validation", "/name", "invalid_unicode");
        problem(as(key).body("{\"externalId\": \"u1\", \"name\": \"a\\udc00\"}").post("/customers"),
                422, "/problems/validation", "/name", "invalid_unicode");
        byte[] latin1 = "{\"externalId\": \"u1\", \"name\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1);
        problem(as(key).body(latin1).post("/customers"), 422, "/problems/validation", "/name", "invalid_utf8");
        assertThat(as(key).get("/customers/by-external-id/u1").statusCode(), is(404));
        long id = Api.customer(key, "u3", Map.of("name", "before"));
        problem(RestAssured.given().auth().oauth2(key).contentType("application/merge-patch+json")
                .body("{\"name\": \"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1)).patch("/customers/" + id),
                422, "/problems/validation", null, "invalid_utf8");
        as(key).get("/customers/" + id).then().body("name", equalTo("before"));
        // a real supplementary character is fine and kept exactly
        as(key).body("{\"externalId\": \"u2\", \"name\": \"\\ud83d\\ude00 caf\u00e9\"}").post("/customers").then().statusCode(201);
        as(key).get("/customers/by-external-id/u2").then().statusCode(200).body("name", equalTo("\uD83D\uDE00 caf\u00e9"));
    }

    @Test
    void amountsAreKeptExactOrRefused() {
        String key = Api.newTenant();
        Api.customer(key, "a1", Map.of());
        for (String amount : List.of("1e-400", "1e400", "0.00001", "12345678901234567", "1.23456")) {
            problem(as(key).body("{\"customerExternalId\": \"a1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": " + amount + "}")
                    .post("/purchases"), 422, "/problems/validation", "/amount", "out_of_range");
        }
        problem(as(key).body("{\"customerExternalId\": \"a1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1, \"quantity\": 99999999999}")
                .post("/purchases"), 422, "/problems/validation", "/quantity", "out_of_range");
        // trailing zeros lose nothing: accepted, and the stored value is the one sent
        String created = as(key).body("{\"customerExternalId\": \"a1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1234567890123456.12340}")
                .post("/purchases").then().log().ifValidationFails().statusCode(201).extract().asString();
        assertThat(created, containsString("\"amount\":1234567890123456.1234"));
        String stored = as(key).get("/customers/by-external-id/a1").then().statusCode(200).extract().asString();
        assertThat(stored, containsString("1234567890123456.1234"));
    }

    @Test
    void datesOutsideYears1To9999AreRefusedEverywhere() {
        String key = Api.newTenant();
        long id = Api.customer(key, "d1", Map.of());
        as(key).body("{\"key\": \"s1\", \"name\": \"S\", \"rule\": {\"field\": \"name\", \"op\": \"isSet\"}}").post("/segments").then().statusCode(201);
        for (String t : List.of("-999999999-01-01T00:00:00Z", "+99999-01-01T00:00:00Z", "0000-12-31T00:00:00Z")) {
            problem(as(key).queryParam("asOf", t).get("/segments/s1/count"), 422, "/problems/validation", "asOf", "out_of_range");
            problem(as(key).queryParam("asOf", t).get("/segments/s1/members"), 422, "/problems/validation", "asOf", "out_of_range");
            problem(as(key).queryParam("asOf", t).get("/customers/" + id + "/segments"), 422, "/problems/validation", "asOf", "out_of_range");
            problem(as(key).queryParam("from", t).get("/segments/s1/history"), 422, "/problems/validation", "from", "out_of_range");
            problem(as(key).queryParam("to", t).get("/segments/s1/history"), 422, "/problems/validation", "to", "out_of_range");
            // the export is refused before it starts: never a 200 with a cut-off body
            problem(RestAssured.given().auth().oauth2(key).accept("text/csv, application/problem+json").queryParam("asOf", t)
                    .get("/segments/s1/members.csv"), 422, "/problems/validation", "asOf", "out_of_range");
            problem(as(key).body("{\"customerExternalId\": \"d1\", \"occurredAt\": \"" + t + "\", \"amount\": 1}").post("/purchases"),
                    422, "/problems/validation", "/occurredAt", "out_of_range");
        }
        problem(as(key).queryParam("asOf", "yesterday").get("/segments/s1/count"), 422, "/problems/validation", "asOf", "invalid_date");
        problem(as(key).body("{\"externalId\": \"d2\", \"birthDate\": \"+10000-01-01\"}").post("/customers"),
                422, "/problems/validation", "/birthDate", null);
        as(key).queryParam("asOf", "9999-12-31T00:00:00Z").get("/segments/s1/count").then().statusCode(200);
    }

    @Test
    void duplicateKeysAreRefusedWithAPointer() {
        String key = Api.newTenant();
        problem(as(key).body("{\"externalId\": \"x1\", \"name\": \"a\", \"name\": \"b\"}").post("/customers"),
                400, "/problems/malformed-request", "/name", "duplicate_key");
        problem(as(key).body("{\"customerExternalId\": \"x1\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1, \"amount\": 2}")
                .post("/purchases"), 400, "/problems/malformed-request", "/amount", "duplicate_key");
        problem(as(key).body("{\"rule\": {\"field\": \"name\", \"op\": \"eq\", \"op\": \"ne\", \"value\": \"a\"}}").post("/segments/preview"),
                400, "/problems/malformed-request", "/rule/op", "duplicate_key");
        GraphQL.query(key, "{ segments { key } }").statusCode(200);
        problem(as(key).body("{\"query\": \"{ segments { key } }\", \"query\": \"{ attributes { key } }\"}").post("/graphql"),
                400, "/problems/malformed-request", "/query", "duplicate_key");
        problem(as(key).body("{\"query\": \"query($r: JSON!) { previewSegment(rule: $r) { count } }\", "
                        + "\"variables\": {\"r\": {\"field\": \"name\", \"field\": \"email\", \"op\": \"isSet\"}}}").post("/graphql"),
                400, "/problems/malformed-request", "/variables/r/field", "duplicate_key");
    }

    @Test
    void jacksonNeverSpeaksJava() {
        String key = Api.newTenant();
        problem(as(key).body("{\"items\": {\"amount\": 1}}").post("/purchases/batch"), 422, "/problems/validation", "/items", "invalid_value")
                .body("detail", equalTo("must be an array"));
        problem(as(key).body("{\"externalId\": NaN}").post("/customers"), 400, "/problems/malformed-request", "/externalId", "invalid_json")
                .body(not(containsString("JsonReadFeature")));
        String deep = "{\"externalId\": \"x\", \"attributes\": " + "{\"a\": ".repeat(200) + "1" + "}".repeat(200) + "}";
        problem(as(key).body(deep).post("/customers"), 400, "/problems/malformed-request", null, "invalid_json")
                .body(not(containsString("StreamReadConstraints")));
        problem(as(key).body("{\"externalId\": \"x\"").post("/customers"), 400, "/problems/malformed-request", null, null)
                .body(not(containsString("StreamReadFeature")));
        problem(as(key).body("{\"externalId\": \"x\", \"contacts\": 5}").post("/customers"), 422, "/problems/validation", "/contacts", null);
        problem(as(key).body("{\"entity\": \"customer\", \"key\": \"k\", \"type\": \"colour\"}").post("/attributes"),
                422, "/problems/validation", "/type", "invalid_value");
        problem(as(key).body("").post("/customers"), 400, "/problems/malformed-request", null, null);
    }

    @Test
    void theHttpLayerAnswersProblemsToo() throws Exception {
        String key = Api.newTenant();
        String auth = "Authorization: Bearer " + key + "\r\n";
        for (String target : List.of("/customers/%ZZ", "/customers?after=%ZZ", "/customers?x=a%", "/customers/a%20b%GG")) {
            String r = raw("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + auth + "Connection: close\r\n\r\n");
            assertThat(target, r, allOf(startsWith("HTTP/1.1 400"), containsStringIgnoringCase("content-type: application/problem+json"),
                    containsString("/problems/malformed-request")));
        }
        // NUL and bad UTF-8 once percent-decoded: refused, never passed on as NUL or U+FFFD
        problem(as(key).urlEncodingEnabled(false).get("/attributes/%00/tier"), 422, "/problems/validation", null, "nul_character");
        problem(as(key).urlEncodingEnabled(false).body("{\"name\": \"x\"}").put("/customers/by-external-id/caf%E9"),
                422, "/problems/validation", null, "invalid_utf8");
        problem(as(key).urlEncodingEnabled(false).get("/customers?after=%00"), 422, "/problems/validation", "after", "nul_character");
        problem(as(key).urlEncodingEnabled(false).get("/segments?tag=%C3%28"), 422, "/problems/validation", "tag", "invalid_utf8");
        assertThat(as(key).get("/customers/by-external-id/caf\uFFFD").statusCode(), is(404));
        String longUri = raw("GET /customers?x=" + "a".repeat(5000) + " HTTP/1.1\r\nHost: localhost\r\n" + auth + "Connection: close\r\n\r\n");
        assertThat(longUri, allOf(startsWith("HTTP/1.1 414"), containsStringIgnoringCase("application/problem+json"),
                containsString("/problems/uri-too-long")));
        String bigHeaders = raw("GET /customers HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "a".repeat(30_000) + "\r\n" + auth
                + "Connection: close\r\n\r\n");
        assertThat(bigHeaders, allOf(startsWith("HTTP/1.1 431"), containsStringIgnoringCase("application/problem+json"),
                containsString("/problems/headers-too-large")));
        // a control character in a header is refused by the HTTP codec before any application code runs (see
        // docs/security.md): still a 400, never a 5xx, and the connection stays usable for others
        String ctl = raw("GET /customers HTTP/1.1\r\nHost: localhost\r\nX-A: a\u0001b\r\n" + auth + "Connection: close\r\n\r\n");
        assertThat(ctl, startsWith("HTTP/1.1 400"));
        as(key).get("/customers").then().statusCode(200);
    }

    @Test
    void graphQLRequestsAreCheckedLikeRestBodies() {
        String key = Api.newTenant();
        problem(as(key).body("{\"query\": \"{ segments { key } }\", \"variables\": [1]}").post("/graphql"),
                400, "/problems/malformed-request", "/variables", "invalid_value");
        problem(as(key).body("{\"query\": \"{ segments { key } }\", \"variables\": \"x\"}").post("/graphql"),
                400, "/problems/malformed-request", "/variables", "invalid_value");
        problem(as(key).body("[1, 2]").post("/graphql"), 400, "/problems/malformed-request", "", "invalid_request");
        problem(as(key).body("{\"query\": 5}").post("/graphql"), 400, "/problems/malformed-request", "/query", "invalid_value");
        String deep = "{\"query\": \"query($r: JSON!) { previewSegment(rule: $r) { count } }\", \"variables\": {\"r\": "
                + "[".repeat(1000) + "]".repeat(1000) + "}}";
        problem(as(key).body(deep).post("/graphql"), 400, "/problems/malformed-request", null, "invalid_json");
        problem(as(key).body("{\"query\": \"mutation($i: CustomerInput!) { upsertCustomer(input: $i) { created } }\", "
                        + "\"variables\": {\"i\": {\"externalId\": \"g1\", \"name\": \"a\\u0000\"}}}").post("/graphql"),
                422, "/problems/validation", "/variables/i/name", "nul_character");
        problem(as(key).body(new byte[]{'{', '"', 'q', 'u', 'e', 'r', 'y', '"', ':', '"', (byte) 0xC3, '(', '"', '}'}).post("/graphql"),
                422, "/problems/validation", "", "invalid_utf8");
        problem(as(key).body("").post("/graphql"), 400, "/problems/malformed-request", null, null);
        problem(as(key).body("{\"query\": \"{ segments { key \"}").post("/graphql"), 400, "/problems/malformed-request", "/query", "invalid_syntax")
                .body(not(containsString("classification")));
    }

    @Test
    void graphQLValueAndDatabaseErrorsCarryTheRestProblem() {
        String key = Api.newTenant();
        Api.customer(key, "g1", Map.of());
        String record = "mutation($i: PurchaseInput!) { recordPurchase(input: $i) { created } }";
        GraphQL.query(key, record, Map.of("i", Map.of("customerExternalId", "g1", "occurredAt", "+99999-01-01T00:00:00Z", "amount", 1)))
                .statusCode(200)
                .body("errors[0].message", not(equalTo("System error")))
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/occurredAt"))
                .body("errors[0].extensions.code", equalTo("out_of_range"));
        as(key).body("{\"query\": \"" + record.replace("$", "\\u0024") + "\", \"variables\": {\"i\": {\"customerExternalId\": \"g1\", "
                        + "\"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": 1e400}}}").post("/graphql").then()
                .statusCode(200)
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/amount"))
                .body("errors[0].extensions.code", equalTo("out_of_range"));
        // a NUL inside the query text itself (not in variables) reaches the database: the same validation problem
        GraphQL.query(key, "mutation { upsertCustomer(input: {externalId: \"g2\", name: \"a\\u0000\"}) { created } }")
                .statusCode(200)
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.code", equalTo("nul_character"))
                .body("errors[0].message", not(equalTo("System error")));
        // and one through Hibernate Reactive (the attribute catalog), which reports the database error differently
        GraphQL.query(key, "mutation { declareAttribute(key: \"k1\", type: STRING, description: \"a\\u0000\") { key } }")
                .statusCode(200)
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.code", equalTo("nul_character"));
        GraphQL.query(key, "{ segments { key count(asOf: \"+99999-01-01T00:00:00Z\") } }").statusCode(200)
                .body(not(containsString("System error")));
        as(key).get("/customers/by-external-id/g2").then().statusCode(404);
    }

    static String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", RestAssured.port)) {
            s.setSoTimeout(5000);
            OutputStream o = s.getOutputStream();
            o.write(request.getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    b.write(buf, 0, n);
                }
            } catch (SocketTimeoutException | java.net.SocketException e) {
                // the server closed or stopped sending: what arrived is the answer
            }
            return b.toString(StandardCharsets.UTF_8);
        }
    }
}
