package dev.segments.activity;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Import jobs (issue 18): spooled upload, background run with progress, errors, retry by id, resume, cancel. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ImportJobTest {

    @Inject
    Pool pool;

    private static JsonPath submit(String key, String query, String contentType, String body, String importId,
                                   int status) {
        var req = RestAssured.given().auth().oauth2(key).contentType(contentType)
                .body(body.getBytes(StandardCharsets.UTF_8));
        if (importId != null) {
            req = req.header("Import-Id", importId);
        }
        return req.post("/imports" + query).then().statusCode(status).extract().jsonPath();
    }

    private static JsonPath awaitEnd(String key, String id) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            JsonPath job = as(key).get("/imports/" + id).then().statusCode(200).extract().jsonPath();
            String state = job.getString("state");
            if (!state.equals("queued") && !state.equals("running")) {
                return job;
            }
            assertTrue(System.currentTimeMillis() < deadline, "job " + id + " still " + state);
            sleep(100);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    private static String purchases(int from, int to, String customer) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i <= to; i++) {
            b.append("{\"customerExternalId\": \"").append(customer).append("\", \"externalId\": \"p-").append(i)
                    .append("\", \"occurredAt\": \"2026-01-01T10:00:00Z\", \"amount\": 1}\n");
        }
        return b.toString();
    }

    @Test
    void aJobRunsWithProgressKeepsItsErrorsAndARetryIsANoOp() {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of());
        as(key).body(Map.of("key", "buyers", "name", "buyers",
                "rule", Map.of("field", "purchaseCount", "op", "gte", "value", 2500))).post("/segments").then().statusCode(201);
        String body = purchases(1, 1500, "anna") + "not json\n" + "{\"customerExternalId\": \"nobody\", \"occurredAt\":"
                + " \"2026-01-01T10:00:00Z\", \"amount\": 1}\n" + purchases(1501, 3000, "anna");
        JsonPath created = submit(key, "?stream=purchases", "application/x-ndjson", body, "load-1", 202);
        assertEquals("load-1", created.getString("id"));
        assertEquals("purchases", created.getString("stream"));
        assertEquals("ndjson", created.getString("format"));
        assertEquals(body.getBytes(StandardCharsets.UTF_8).length, created.getLong("bytes"));

        JsonPath done = awaitEnd(key, "load-1");
        assertEquals("completed", done.getString("state"));
        assertEquals(3002, done.getLong("rowsRead"));
        assertEquals(3000, done.getLong("stored"));
        assertEquals(0, done.getLong("duplicates"));
        assertEquals(2, done.getLong("failed"));
        assertEquals(done.getLong("bytes"), done.getLong("bytesDone"));
        assertTrue(done.getDouble("rowsPerSecond") > 0);
        assertNotNull(done.getString("finishedAt"));
        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(3000));
        as(key).get("/segments/buyers/changes").then().body("items.size()", equalTo(1))
                .body("items[0].customerExternalId", equalTo("anna"));

        String errors = RestAssured.given().auth().oauth2(key).accept("application/x-ndjson")
                .get("/imports/load-1/errors").then().statusCode(200)
                .contentType(startsWith("application/x-ndjson")).extract().asString();
        List<String> lines = errors.lines().toList();
        assertEquals(2, lines.size());
        JsonPath first = JsonPath.from(lines.get(0));
        assertEquals(1501, first.getInt("line"));
        assertEquals("malformed_json", first.getString("code"));
        JsonPath second = JsonPath.from(lines.get(1));
        assertEquals(1502, second.getInt("line"));
        assertEquals("/customerExternalId", second.getString("pointer"));
        assertEquals("unknown_customer", second.getString("code"));

        // the same upload again under the same id: the job as it is, nothing read or stored again
        JsonPath again = submit(key, "?stream=purchases", "application/x-ndjson", body, "load-1", 200);
        assertEquals("completed", again.getString("state"));
        assertEquals(3000, again.getLong("stored"));
        // the same id for another stream is a conflict
        submit(key, "?stream=events", "application/x-ndjson", body, "load-1", 409);
        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(3000));
        // under a new id (the id parameter this time) the items are duplicates: still nothing counted twice
        JsonPath other = submit(key, "?stream=purchases&id=load-2", "application/x-ndjson", body, null, 202);
        JsonPath otherDone = awaitEnd(key, other.getString("id"));
        assertEquals(0, otherDone.getLong("stored"));
        assertEquals(3000, otherDone.getLong("duplicates"));
        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(3000));

        List<String> listed = as(key).get("/imports").then().statusCode(200).extract().jsonPath().getList("items.id");
        assertEquals(List.of("load-2", "load-1"), listed);
        as(key).queryParam("limit", 1).get("/imports").then().body("items.id", equalTo(List.of("load-2")))
                .body("nextCursor", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void customersInteractionsAndEventsAsCsvJobs() {
        String key = Api.newTenant();
        JsonPath customers = submit(key, "?stream=customers", "text/csv",
                "externalId,name\nc-1,One\nc-2,Two\nc-3,\"unclosed\n", null, 202);
        JsonPath c = awaitEnd(key, customers.getString("id"));
        assertEquals("completed", c.getString("state"));
        assertEquals(3, c.getLong("rowsRead"));
        assertEquals(2, c.getLong("stored"));
        assertEquals(1, c.getLong("failed"));
        as(key).get("/customers/by-external-id/c-2").then().statusCode(200).body("name", equalTo("Two"));

        JsonPath interactions = submit(key, "?stream=interactions&format=csv", "application/octet-stream",
                "customerExternalId,externalId,occurredAt,type\nc-1,i-1,2026-01-01T00:00:00Z,call\nc-2,i-2,2026-01-01T00:00:00Z,\n",
                null, 202);
        JsonPath i = awaitEnd(key, interactions.getString("id"));
        assertEquals(1, i.getLong("stored"));
        assertEquals(1, i.getLong("failed"));
        JsonPath events = submit(key, "?stream=events", "text/csv",
                "customerExternalId,externalId,occurredAt,name,properties.path\nc-1,e-1,2026-01-01T00:00:00Z,page_view,/a\n",
                null, 202);
        assertEquals(1, awaitEnd(key, events.getString("id")).getLong("stored"));
        // a CSV header the stream does not have: the job fails, saying why
        JsonPath bad = submit(key, "?stream=events", "text/csv", "customerExternalId,occurredAt,colour\nc-1,x,y\n",
                null, 202);
        JsonPath failed = awaitEnd(key, bad.getString("id"));
        assertEquals("failed", failed.getString("state"));
        assertTrue(failed.getString("failure").contains("/header/colour"), failed.getString("failure"));
    }

    /** An instance stopped mid-job: its lease lapses and the job resumes at its committed offset. */
    @Test
    void aRunningJobWhoseInstanceStoppedResumesFromItsCommittedOffset() {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of());
        // what the stopped run had committed: lines 1-2 stored, the offset after line 2
        String committed = purchases(1, 2, "anna");
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body(committed.getBytes(StandardCharsets.UTF_8)).post("/purchases/import").then().statusCode(200)
                .body("stored", equalTo(2));
        String body = committed + "oops\n" + purchases(3, 5, "anna");
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        long tenantId = pool.preparedQuery("select tenant_id from customer where id = $1").execute(Tuple.of(anna))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
        pool.preparedQuery("""
                insert into import_job (tenant_id, id, stream, format, state, bytes_total, bytes_done, next_line, lines,
                                        stored, started_at, run_started_at, lease_until)
                values ($1, 'resume-1', 'purchases', 'ndjson', 'running', $2, $3, 3, 2, 2, now(), now(),
                        now() - interval '1 second')""")
                .execute(Tuple.of(tenantId, (long) bytes.length, (long) committed.getBytes(StandardCharsets.UTF_8).length))
                .await().atMost(Duration.ofSeconds(10));
        pool.preparedQuery("insert into import_job_part (tenant_id, job_id, seq, data) values ($1, 'resume-1', 0, $2)")
                .execute(Tuple.of(tenantId, io.vertx.core.buffer.Buffer.buffer(bytes)))
                .await().atMost(Duration.ofSeconds(10));

        JsonPath done = awaitEnd(key, "resume-1");
        assertEquals("completed", done.getString("state"));
        assertEquals(6, done.getLong("rowsRead"));
        assertEquals(5, done.getLong("stored"));
        assertEquals(0, done.getLong("duplicates"), "lines 1-2 were not read again");
        assertEquals(1, done.getLong("failed"));
        String errors = RestAssured.given().auth().oauth2(key).get("/imports/resume-1/errors").then().statusCode(200)
                .extract().asString();
        assertEquals(3, JsonPath.from(errors.lines().findFirst().orElseThrow()).getInt("line"));
        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(5));
        // its upload is dropped once it ended
        assertEquals(0, pool.preparedQuery("select count(*) from import_job_part where tenant_id = $1")
                .execute(Tuple.of(tenantId)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0));
    }

    /**
     * A client that goes away mid-upload leaves its job receiving (shown as queued); once no part has arrived for
     * segments.imports.receive-lease the worker fails it ("abandoned: ..."), drops what was spooled and frees its
     * pending place, and the same id sent again starts the upload over and runs.
     */
    @Test
    void anUploadAbandonedMidwayFailsAfterItsReceiveLeaseAndMayBeSentAgain() throws Exception {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of());
        long tenantId = pool.preparedQuery("select tenant_id from customer where id = $1").execute(Tuple.of(anna))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
        byte[] upload = purchases(1, 30_000, "anna").getBytes(StandardCharsets.UTF_8);
        assertTrue(upload.length > 2 * (1 << 20), "more than two parts: " + upload.length);
        // announce the whole upload, send a bit over one part (so one is spooled), then drop the connection
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", RestAssured.port)) {
            var out = socket.getOutputStream();
            out.write(("POST /imports?stream=purchases HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/x-ndjson\r\nImport-Id: gone\r\nContent-Length: " + upload.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(upload, 0, (1 << 20) + 1000);
            out.flush();
            long deadline = System.currentTimeMillis() + 20_000;
            while (receivedBytes(tenantId, "gone") < (1 << 20)) {
                assertTrue(System.currentTimeMillis() < deadline, "the first part was not spooled");
                sleep(50);
            }
            socket.setSoLinger(true, 0); // a reset, as a client that died
        }
        sleep(1000);
        assertEquals("receiving", pool.preparedQuery("select state from import_job where tenant_id = $1 and id = 'gone'")
                .execute(Tuple.of(tenantId)).await().atMost(Duration.ofSeconds(10)).iterator().next().getString(0));
        // its receive lease lapses (as after segments.imports.receive-lease without a part)
        pool.preparedQuery("update import_job set lease_until = now() - interval '1 second', updated_at = now() - interval '1 hour'"
                        + " where tenant_id = $1 and id = 'gone'").execute(Tuple.of(tenantId))
                .await().atMost(Duration.ofSeconds(10));
        JsonPath failed = awaitEnd(key, "gone");
        assertEquals("failed", failed.getString("state"));
        assertTrue(failed.getString("failure").startsWith("abandoned: the upload stopped after 1048576 bytes"),
                failed.getString("failure"));
        assertEquals(0, failed.getLong("stored"));
        assertEquals(0, pool.preparedQuery("select count(*) from import_job_part where tenant_id = $1 and job_id = 'gone'")
                .execute(Tuple.of(tenantId)).await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0));
        // sent again with the same id: received anew, queued, run
        JsonPath again = submit(key, "?stream=purchases", "application/x-ndjson", purchases(1, 3, "anna"), "gone", 202);
        assertEquals("gone", again.getString("id"));
        JsonPath done = awaitEnd(key, "gone");
        assertEquals("completed", done.getString("state"), done.prettify());
        assertEquals(3, done.getLong("stored"));
        assertNull(done.get("failure"));
    }

    private long receivedBytes(long tenantId, String id) {
        var rows = pool.preparedQuery("select bytes_total from import_job where tenant_id = $1 and id = $2")
                .execute(Tuple.of(tenantId, id)).await().atMost(Duration.ofSeconds(10));
        return rows.size() == 0 ? 0 : rows.iterator().next().getLong(0);
    }

    @Test
    void cancel() {
        String key = Api.newTenant();
        Api.customer(key, "anna", Map.of());
        JsonPath job = submit(key, "?stream=purchases", "application/x-ndjson", purchases(1, 40_000, "anna"),
                "big", 202);
        JsonPath cancelled = as(key).delete("/imports/" + job.getString("id")).then().statusCode(200).extract().jsonPath();
        assertEquals("cancelled", cancelled.getString("state"));
        sleep(1500);
        JsonPath later = as(key).get("/imports/big").then().extract().jsonPath();
        assertEquals("cancelled", later.getString("state"));
        assertTrue(later.getLong("stored") < 40_000, "stopped after its current chunk: " + later.getLong("stored"));
        long stored = later.getLong("stored");
        sleep(1000);
        assertEquals(stored, as(key).get("/imports/big").then().extract().jsonPath().getLong("stored"));
        // cancelling an ended job leaves it as it is
        as(key).delete("/imports/big").then().statusCode(200).body("state", equalTo("cancelled"));
        as(key).delete("/imports/nothing-here").then().statusCode(404)
                .contentType(startsWith("application/problem+json"));
    }

    @Test
    void anotherTenantCannotSeeAJob() {
        String owner = Api.newTenant();
        Api.customer(owner, "anna", Map.of());
        submit(owner, "?stream=purchases", "application/x-ndjson", purchases(1, 3, "anna"), "mine", 202);
        String other = Api.newTenant();
        as(other).get("/imports/mine").then().statusCode(404).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(other).get("/imports/mine/errors").then().statusCode(404);
        as(other).delete("/imports/mine").then().statusCode(404);
        as(other).get("/imports").then().statusCode(200).body("items.size()", equalTo(0));
        // the same id in another tenant is another job
        submit(other, "?stream=events", "application/x-ndjson", "{}\n", "mine", 202);
        assertEquals("completed", awaitEnd(owner, "mine").getString("state"));
        assertEquals(3, awaitEnd(owner, "mine").getLong("stored"));
    }

    @Test
    void badSubmissionsAreProblems() {
        String key = Api.newTenant();
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body("{}\n".getBytes(StandardCharsets.UTF_8))
                .post("/imports?stream=orders").then().statusCode(422).contentType(startsWith("application/problem+json"))
                .body("errors[0].pointer", equalTo("stream"));
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body("{}\n".getBytes(StandardCharsets.UTF_8))
                .post("/imports").then().statusCode(422).body("errors[0].pointer", equalTo("stream"));
        RestAssured.given().auth().oauth2(key).contentType("text/plain").body("{}\n".getBytes(StandardCharsets.UTF_8))
                .post("/imports?stream=events").then().statusCode(415).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(key).contentType("application/octet-stream").body("{}\n".getBytes(StandardCharsets.UTF_8))
                .post("/imports?stream=events").then().statusCode(415).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body(new byte[0])
                .post("/imports?stream=events").then().statusCode(400).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body("{}\n".getBytes(StandardCharsets.UTF_8))
                .header("Import-Id", "no spaces allowed").post("/imports?stream=events").then().statusCode(422)
                .body("errors[0].pointer", equalTo("id"));
        as(key).get("/imports").then().statusCode(200).body("items.size()", equalTo(0));
    }
}
