package dev.segments.customer;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Issue 12 items 8 and 9: every line-level problem of a bulk import is a per-line error with its line number and
 * pointer, the good lines are always stored (also when the database refuses a row the checks let through), the
 * report's counts are what the database holds, and no body gets a 5xx or a silently short import.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CustomerImportBadLinesTest {

    @Inject
    Pool pool;

    /** An expected per-line error. */
    private record Bad(String line, String pointer, String code) {
    }

    @Test
    void badLinesInEveryChunkCostNoGoodLine() {
        String key = Api.newTenant();
        declare(key, "score", "number");
        declare(key, "seen", "timestamp");
        declare(key, "since", "date");
        declare(key, "employees", "integer");
        String p = prefix();
        int n = 3000;
        TreeMap<Integer, Bad> bad = new TreeMap<>();
        bad.put(10, new Bad("{\"externalId\": \"" + p + "10\", \"name\": \"a\\u0000b\"}", "/name", "nul_character"));
        bad.put(20, new Bad("{\"externalId\": \"" + p + "20\", \"contacts\": [{\"name\": \"x\\u0000\"}]}",
                "/contacts/0/name", "nul_character"));
        bad.put(999, new Bad("{\"externalId\": \"" + p + "999\", \"tags\": [\"ok\", \"\\ud800\"]}", "/tags/1",
                "invalid_unicode"));
        bad.put(1100, new Bad("{\"externalId\": \"" + p + "1100\", \"birthDate\": \"+99999-01-01\"}", "/birthDate",
                "out_of_range"));
        bad.put(1101, new Bad("{\"externalId\": \"" + p + "1101\", \"birthDate\": \"99999-01-01\"}", "/birthDate",
                "invalid_value"));
        bad.put(1300, new Bad("{\"externalId\": \"" + p + "1300\", \"birthDate\": \"-999999999-01-01\"}", "/birthDate",
                "out_of_range"));
        bad.put(1400, new Bad("{\"externalId\": \"" + p + "1400\", \"attributes\": {\"seen\": \"-999999999-01-01T00:00:00Z\"}}",
                "/attributes/seen", "out_of_range"));
        bad.put(1500, new Bad("{\"externalId\": \"" + p + "1500\", \"attributes\": {\"since\": \"0000-01-01\"}}",
                "/attributes/since", "out_of_range"));
        bad.put(2001, new Bad("{\"externalId\": \"" + p + "2001\", \"attributes\": {\"score\": 1e400}}",
                "/attributes/score", "out_of_range"));
        bad.put(2002, new Bad("{\"externalId\": \"" + p + "2002\", \"attributes\": {\"employees\": 1e30}}",
                "/attributes/employees", "out_of_range"));
        bad.put(2200, new Bad("{\"externalId\": \"" + p + "2200\", \"name\": \"a\", \"name\": \"b\"}", "/name",
                "duplicate_key"));
        bad.put(2201, new Bad("{\"externalId\": \"" + p + "2201\", \"contacts\": [{\"name\": \"a\", \"role\": \"x\", \"role\": \"y\"}]}",
                "/contacts/0/role", "duplicate_key"));
        bad.put(2300, new Bad(null, "", "invalid_utf8")); // bytes written below
        bad.put(2400, new Bad("{\"externalId\": \"" + p + "2400\", \"tags\": \"vip\"}", "/tags", "invalid_type"));
        bad.put(2500, new Bad("{\"externalId\": \"" + p + "2500\", \"name\": 42}", "/name", "invalid_type"));
        bad.put(2501, new Bad("{\"externalId\": \"" + p + "2501\", \"contacts\": [{\"name\": \"a\", \"decisionMaker\": \"yes\"}]}",
                "/contacts/0/decisionMaker", "invalid_type"));
        bad.put(2600, new Bad("{\"externalId\": \"" + p + "2600\", \"attributes\": {\"nope\": 1}}", "/attributes/nope",
                "unknown_attribute"));
        bad.put(2700, new Bad("{\"externalId\": \"" + p + "2700\", \"email\": \"not-an-email\"}", "/email",
                "invalid_email"));
        bad.put(2800, new Bad("{\"externalId\": \"" + p + "2800\", \"name\": \"" + "x".repeat(1_100_000) + "\"}", "",
                "line_too_long"));
        bad.put(2900, new Bad("{\"externalId\": \"" + p + "2900\", \"colour\": \"red\"}", "/colour", "unknown_property"));
        bad.put(2999, new Bad("{\"externalId\": \"" + p + "2999\"", "", "malformed_json"));

        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (int i = 1; i <= n; i++) {
            Bad b = bad.get(i);
            if (i == 2300) {
                body.writeBytes(("{\"externalId\": \"" + p + "2300\", \"name\": \"").getBytes(StandardCharsets.UTF_8));
                body.writeBytes(new byte[]{(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
                body.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
                continue;
            }
            String line = b != null ? b.line()
                    : "{\"externalId\": \"" + p + i + "\", \"name\": \"N" + i + "\", \"birthDate\": \"1980-02-03\","
                    + " \"attributes\": {\"score\": 1.5, \"seen\": \"2024-05-06T07:08:09Z\"}}";
            body.writeBytes((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        JsonPath report = ndjson(key, body.toByteArray()).then().statusCode(200).extract().jsonPath();

        int good = n - bad.size();
        assertEquals(n, report.getInt("lines"));
        assertEquals(good, report.getInt("created"));
        assertEquals(0, report.getInt("updated") + report.getInt("unchanged"));
        assertEquals(bad.size(), report.getInt("failed"));
        assertFalse(report.getBoolean("errorsTruncated"));
        assertEquals(good, stored(p), "the report's count is what the database holds");
        List<Map<String, Object>> errors = report.getList("errors");
        assertEquals(bad.size(), errors.size(), () -> "one error per bad line: " + errors);
        int i = 0;
        for (Map.Entry<Integer, Bad> e : bad.entrySet()) {
            Map<String, Object> error = errors.get(i++);
            assertEquals(e.getKey(), error.get("line"), () -> "line of " + error);
            assertEquals(e.getValue().pointer(), error.get("pointer"), () -> "pointer of " + error);
            assertEquals(e.getValue().code(), error.get("code"), () -> "code of " + error);
            assertNoJavaNames(String.valueOf(error.get("message")));
        }
        as(key).get("/customers/by-external-id/" + p + "1").then().statusCode(200)
                .body("attributes.score", equalTo(1.5f)).body("birthDate", equalTo("1980-02-03"));
        as(key).get("/customers/by-external-id/" + p + "3000").then().statusCode(200).body("name", equalTo("N3000"));
        as(key).get("/customers/by-external-id/" + p + "1100").then().statusCode(404);
        as(key).get("/customers/by-external-id/" + p + "2200").then().statusCode(404);
    }

    /**
     * A row that passes every check but that the database refuses (here a trigger standing for any constraint the
     * checks do not know) costs only its own line: the chunk is split until the refused rows are isolated.
     */
    @Test
    void rowsTheDatabaseRefusesAreReportedByLineAndTheRestOfTheirChunkIsStored() {
        String key = Api.newTenant();
        String p = prefix();
        as(key).body(Map.of("key", "r1", "name", "r1", "rule", Map.of("field", "region", "op", "eq", "value", "r1")))
                .post("/segments").then().statusCode(201);
        long segment = as(key).get("/segments/r1").then().statusCode(200).extract().jsonPath().getLong("id");
        withTrigger(() -> {
            StringBuilder body = new StringBuilder();
            int n = 2500;
            List<Integer> poisoned = List.of(5, 1000, 1001, 2499);
            for (int i = 1; i <= n; i++) {
                String id = (poisoned.contains(i) ? "poison-" : "") + p + i;
                body.append("{\"externalId\": \"").append(id).append("\", \"region\": \"r").append(i % 3).append("\"}\n");
            }
            ndjson(key, body.toString().getBytes(StandardCharsets.UTF_8)).then().statusCode(200)
                    .body("lines", equalTo(n)).body("created", equalTo(n - 4)).body("failed", equalTo(4))
                    .body("errors.line", contains(5, 1000, 1001, 2499))
                    .body("errors.code", contains("rejected_by_database", "rejected_by_database",
                            "rejected_by_database", "rejected_by_database"))
                    .body("errors[0].pointer", equalTo(""))
                    .body("errors[0].message", containsString("22023"));
            assertEquals(n - 4, stored(p));
            assertEquals(0, stored("poison-" + p));
            long r1 = java.util.stream.IntStream.rangeClosed(1, n).filter(i -> i % 3 == 1 && !poisoned.contains(i)).count();
            assertEquals(r1, members(segment), "rows stored by the split chunks are in the live segment too");
            assertEquals(r1, members(segment, "r1"));
        });
    }

    /**
     * A database failure that is not about the rows ends the import with a 503 that says what was stored: the chunks
     * committed before it, in both lanes (the other lane's chunk in flight included), and nothing of the failed one.
     */
    @Test
    void aFailingDatabaseEndsTheImportWithA503SayingWhatWasStored() {
        String key = Api.newTenant();
        String p = prefix();
        withTrigger(() -> {
            StringBuilder body = new StringBuilder();
            for (int i = 1; i <= 4500; i++) {
                String id = (i == 4200 ? "explode-" : "") + p + i;
                body.append("{\"externalId\": \"").append(id).append("\"}\n");
            }
            body.append("{\"externalId\": \"").append(p).append("x\", \"email\": \"bad\"}\n");
            String detail = ndjson(key, body.toString().getBytes(StandardCharsets.UTF_8)).then().statusCode(503)
                    .contentType("application/problem+json")
                    .body("type", equalTo("/problems/unavailable"))
                    .body("detail", containsString(" updated, 0 unchanged"))
                    .extract().path("detail");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("Stored before the failure: (\\d+) created")
                    .matcher(detail);
            assertTrue(m.find(), detail);
            long created = Long.parseLong(m.group(1));
            assertEquals(created, stored(p), "the answer says exactly what was stored");
            // chunks of 1,000 per lane (about 2,250 lines each): each lane's first chunk is in, the failed one is not
            assertTrue(created >= 2000 && created < 4500, detail);
            assertEquals(0, stored("explode-" + p));
        });
    }

    @Test
    void bodiesWithNothingReadableAreA400Problem() {
        String key = Api.newTenant();
        byte[] binary = new byte[4096];
        new Random(12).nextBytes(binary);
        binary[0] = (byte) 0x1F; // gzip magic, the typical wrong upload
        binary[1] = (byte) 0x8B;
        for (String type : List.of("application/x-ndjson", "text/csv")) {
            for (byte[] body : List.of(new byte[0], "\n \n\r\n".getBytes(StandardCharsets.UTF_8), binary,
                    "\"".getBytes(StandardCharsets.UTF_8), "\"\n".getBytes(StandardCharsets.UTF_8))) {
                Response r = RestAssured.given().auth().oauth2(key).contentType(type).body(body).post("/customers/import");
                assertEquals(400, r.statusCode(), () -> type + " " + body.length + " bytes: " + r.asString());
                r.then().contentType("application/problem+json").body("type", equalTo("/problems/malformed-request"));
                assertNoJavaNames(r.asString());
            }
        }
        ndjson(key, "not json\n{\"a\": \n".getBytes(StandardCharsets.UTF_8)).then().statusCode(400)
                .body("detail", containsString("nothing was stored"))
                .body("errors.code", contains("malformed_json", "malformed_json"))
                .body("errors[1].message", startsWith("line 2: "));
        csv(key, "\"externalId,name\nx,y\n").then().statusCode(400).body("detail", containsString("line 1"));
    }

    @Test
    void csvHeaderProblemsAreA422AndRowProblemsAreLineErrors() {
        String key = Api.newTenant();
        declare(key, "score", "number");
        csv(key, "externalId,name\n").then().statusCode(422).contentType("application/problem+json")
                .body("errors[0].code", equalTo("no_records"));
        csv(key, "externalId,name\n\n\n").then().statusCode(422).body("errors[0].code", equalTo("no_records"));
        csv(key, "externalId,shoeSize\nx,42\n").then().statusCode(422).body("errors[0].pointer", equalTo("/header/shoeSize"));
        csv(key, "externalId,name,name\nx,a,b\n").then().statusCode(422).body("errors[0].code", equalTo("duplicate_column"));
        csv(key, "name\nx\n").then().statusCode(422).body("errors[0].code", equalTo("missing_column"));

        String p = prefix();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}); // a spreadsheet's byte order mark
        body.writeBytes(("externalId,name,attributes.score\r\n"                 // 1
                + p + "1,\"Smith, John\",1\r\n"                                   // 2
                + p + "2,Two\r\n"                                                 // 3: a cell short
                + p + "3,Three,3,extra\r\n"                                       // 4: a cell too many
                + p + "4,\"two\nlines\",4\r\n"                                    // 5-6: one record
                + p + "5,\"a\u0000b\",5\r\n"                                      // 7: NUL
                + p + "6,Six,1e400\r\n"                                           // 8: out of range
                + p + "7,").getBytes(StandardCharsets.UTF_8));
        body.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xFE});
        body.writeBytes((",7\r\n"                                                 // 9: invalid UTF-8
                + "\r\n"                                                          // 10: blank
                + p + "8,Eight,8\r\n"                                             // 11
                + p + "9,\"never closed,9\r\n"                                    // 12: runs to the end
                + p + "10,Ten,10\r\n").getBytes(StandardCharsets.UTF_8));        // 13: swallowed by 12
        JsonPath report = RestAssured.given().auth().oauth2(key).contentType("text/csv").body(body.toByteArray())
                .post("/customers/import").then().statusCode(200).extract().jsonPath();
        assertEquals(9, report.getInt("lines"), "records, not physical lines; the blank line not counted");
        assertEquals(3, report.getInt("created"));
        assertEquals(6, report.getInt("failed"));
        assertEquals(List.of(3, 4, 7, 8, 9, 12), report.getList("errors.line").stream().distinct().toList());
        assertEquals(List.of("wrong_column_count", "wrong_column_count", "nul_character", "out_of_range",
                "invalid_utf8", "unclosed_quote"), report.getList("errors.code"));
        assertEquals(List.of("", "", "/name", "/attributes/score", "", ""), report.getList("errors.pointer"));
        assertEquals(3, stored(p));
        as(key).get("/customers/by-external-id/" + p + "4").then().statusCode(200).body("name", equalTo("two\nlines"));
        as(key).get("/customers/by-external-id/" + p + "1").then().statusCode(200).body("name", equalTo("Smith, John"));
        report.getList("errors.message").forEach(m -> assertNoJavaNames(String.valueOf(m)));
    }

    /** Line counts and the failed count: a line with several problems fails once, all problems are listed. */
    @Test
    void aLineWithSeveralProblemsCountsOnce() {
        String key = Api.newTenant();
        String p = prefix();
        String body = "{\"externalId\": \"" + p + "1\", \"email\": \"bad\", \"tags\": [\"\"]}\n"
                + "{\"externalId\": \"" + p + "2\"}\n";
        ndjson(key, body.getBytes(StandardCharsets.UTF_8)).then().statusCode(200)
                .body("lines", equalTo(2)).body("created", equalTo(1)).body("failed", equalTo(1))
                .body("errors.line", contains(1, 1));
        assertEquals(1, stored(p));
    }

    /** More problems than import-max-reported-errors (1000): all counted, the first 1000 listed. */
    @Test
    void errorsAreCappedButAllCounted() {
        String key = Api.newTenant();
        String p = prefix();
        StringBuilder body = new StringBuilder();
        for (int i = 1; i <= 1200; i++) {
            body.append("{\"externalId\": \"").append(p).append(i).append("\", \"email\": \"bad\"}\n");
        }
        body.append("{\"externalId\": \"").append(p).append("ok\"}\n");
        ndjson(key, body.toString().getBytes(StandardCharsets.UTF_8)).then().statusCode(200)
                .body("lines", equalTo(1201)).body("created", equalTo(1)).body("failed", equalTo(1200))
                .body("errors.size()", equalTo(1000)).body("errors[999].line", equalTo(1000))
                .body("errorsTruncated", equalTo(true));
        assertEquals(1, stored(p));
    }

    private long members(long segmentId) {
        return pool.preparedQuery("select count(*) from segment_membership where segment_id = $1")
                .execute(Tuple.of(segmentId)).await().indefinitely().iterator().next().getLong(0);
    }

    /** Customers of the segment's tenant with that region, counted in the table itself. */
    private long members(long segmentId, String region) {
        return pool.preparedQuery("select count(*) from customer c join segment s on s.tenant_id = c.tenant_id"
                        + " where s.id = $1 and c.region = $2")
                .execute(Tuple.of(segmentId, region)).await().indefinitely().iterator().next().getLong(0);
    }

    private static Response ndjson(String key, byte[] body) {
        return RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body(body)
                .post("/customers/import");
    }

    private static Response csv(String key, String body) {
        return RestAssured.given().auth().oauth2(key).contentType("text/csv").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/customers/import");
    }

    private static void declare(String key, String attribute, String type) {
        as(key).body(Map.of("entity", "customer", "key", attribute, "type", type)).post("/attributes")
                .then().statusCode(201);
    }

    private static String prefix() {
        return "imp-" + UUID.randomUUID() + "-";
    }

    private long stored(String prefix) {
        return pool.preparedQuery("select count(*) from customer where starts_with(external_id, $1)")
                .execute(Tuple.of(prefix)).await().indefinitely().iterator().next().getLong(0);
    }

    private static void assertNoJavaNames(String text) {
        for (String java : List.of("java.", "`", "Feature", "Exception", "dev.segments", "StreamReadConstraints")) {
            assertFalse(text.contains(java), () -> "'" + java + "' in: " + text);
        }
    }

    /**
     * A trigger that refuses rows whose external id starts with 'poison-' as bad data (22023) and rows starting
     * with 'explode-' as a failing server (53100, disk full); dropped afterwards.
     */
    private void withTrigger(Runnable test) {
        pool.query("""
                create or replace function import_test_refuse() returns trigger language plpgsql as $$
                begin
                  if starts_with(new.external_id, 'poison-') then
                    raise exception 'refused by test' using errcode = '22023';
                  elsif starts_with(new.external_id, 'explode-') then
                    raise exception 'disk full (test)' using errcode = '53100';
                  end if;
                  return new;
                end $$;
                create trigger import_test_refuse before insert or update on customer
                  for each row execute function import_test_refuse();
                """).execute().await().indefinitely();
        try {
            test.run();
        } finally {
            pool.query("drop trigger import_test_refuse on customer; drop function import_test_refuse();")
                    .execute().await().indefinitely();
        }
    }
}
