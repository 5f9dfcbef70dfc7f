package dev.segments.common;

import dev.segments.common.idempotency.IdempotencyStore;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Idempotency-Key: fingerprint over the body, leases of in-flight records, retention (issue 12, item 5). */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class IdempotencyTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    @Inject
    IdempotencyStore store;

    @Test
    void sameKeyAndBodyReplaysTheFirstResponseAndStoresOneRow() {
        String key = Api.newTenant();
        long customer = Api.customer(key, "replay", Map.of());
        String idem = UUID.randomUUID().toString();
        String body = purchase(customer, 7);
        var first = as(key).header("Idempotency-Key", idem).body(body).post("/purchases").then().statusCode(201)
                .extract();
        var replay = as(key).header("Idempotency-Key", idem).body(body).post("/purchases").then().statusCode(201)
                .header("Idempotency-Replayed", "true").extract();
        assertNull(first.header("Idempotency-Replayed"));
        assertEquals(first.jsonPath().getLong("id"), replay.jsonPath().getLong("id"));
        assertEquals(first.header("Location"), replay.header("Location"));
        assertEquals(1, purchases(customer));
    }

    @Test
    void sameKeyWithAnotherBodyIs422AndStoresNothingOfIt() {
        String key = Api.newTenant();
        long customer = Api.customer(key, "reuse", Map.of());
        String idem = UUID.randomUUID().toString();
        as(key).header("Idempotency-Key", idem).body(purchase(customer, 7)).post("/purchases").then().statusCode(201);
        as(key).header("Idempotency-Key", idem).body(purchase(customer, 8)).post("/purchases").then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/validation"))
                .body("errors[0].code", equalTo("key_reused"))
                .body("errors[0].pointer", equalTo("Idempotency-Key"));
        assertEquals(1, purchases(customer));
        as(key).get("/customers/" + customer).then().body("rollups.purchaseCount", equalTo(1));

        // another customer under the same key: refused, and that customer is not created
        String otherKey = UUID.randomUUID().toString();
        as(key).header("Idempotency-Key", otherKey).body("{\"externalId\": \"c-1\"}").post("/customers").then()
                .statusCode(201);
        as(key).header("Idempotency-Key", otherKey).body("{\"externalId\": \"c-2\"}").post("/customers").then()
                .statusCode(422).body("errors[0].code", equalTo("key_reused"));
        as(key).get("/customers/by-external-id/c-2").then().statusCode(404);
        // another query string is another request
        as(key).header("Idempotency-Key", otherKey).queryParam("x", "1").body("{\"externalId\": \"c-1\"}")
                .post("/customers").then().statusCode(422).body("errors[0].code", equalTo("key_reused"));
    }

    @Test
    void streamedImportIsFingerprintedByItsWholeBody() {
        String key = Api.newTenant();
        String idem = UUID.randomUUID().toString();
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 3000; i++) {
            lines.append("{\"externalId\": \"i-").append(i).append("\", \"name\": \"N").append(i).append("\"}\n");
        }
        byte[] body = lines.toString().getBytes(StandardCharsets.UTF_8);
        byte[] other = (lines + "{\"externalId\": \"late\"}\n").getBytes(StandardCharsets.UTF_8);
        importing(key, idem, body).then().statusCode(200).body("created", equalTo(3000));
        importing(key, idem, body).then().statusCode(200).header("Idempotency-Replayed", "true")
                .body("created", equalTo(3000));
        // differs only after 3,000 lines (well past any buffer): still 422, and the extra line is not stored
        importing(key, idem, other).then().statusCode(422).body("errors[0].code", equalTo("key_reused"));
        as(key).get("/customers/by-external-id/late").then().statusCode(404);
    }

    @Test
    void endpointWithoutBodyReplaysByRequestLine() {
        String key = Api.newTenant();
        as(key).body("""
                {"key": "kazan", "name": "Kazan", "rule": {"field": "region", "op": "eq", "value": "Kazan"}}""")
                .post("/segments").then().statusCode(201);
        String idem = UUID.randomUUID().toString();
        String first = as(key).header("Idempotency-Key", idem).post("/segments/kazan/refresh").then().statusCode(200)
                .extract().asString();
        Api.customer(key, "k-1", Map.of("region", "Kazan"));
        String again = as(key).header("Idempotency-Key", idem).post("/segments/kazan/refresh").then().statusCode(200)
                .header("Idempotency-Replayed", "true").extract().asString();
        assertEquals(first, again);
        as(key).header("Idempotency-Key", idem).post("/segments/other/refresh").then().statusCode(422)
                .body("errors[0].code", equalTo("key_reused"));
    }

    @Test
    void inFlightRecordWithLapsedLeaseIsTakenOverAndWrittenOnce() {
        String key = Api.newTenant();
        long customer = Api.customer(key, "lapsed", Map.of());
        long tenant = tenantOf(customer);
        String idem = UUID.randomUUID().toString();
        // a first attempt that died in flight: claimed, never completed, lease over
        sql("insert into idempotency_record (tenant_id, key, owner, lease_until) values ($1, $2, $3, now() - interval '1 second')",
                Tuple.of(tenant, idem, UUID.randomUUID()));
        long id = as(key).header("Idempotency-Key", idem).body(purchase(customer, 5)).post("/purchases").then()
                .statusCode(201).extract().jsonPath().getLong("id");
        long replay = as(key).header("Idempotency-Key", idem).body(purchase(customer, 5)).post("/purchases").then()
                .statusCode(201).header("Idempotency-Replayed", "true").extract().jsonPath().getLong("id");
        assertEquals(id, replay);
        assertEquals(1, purchases(customer));

        // a record left in flight before leases existed (lease_until null) is free too
        String legacy = UUID.randomUUID().toString();
        sql("insert into idempotency_record (tenant_id, key, request_hash) values ($1, $2, '\\x00'::bytea)",
                Tuple.of(tenant, legacy));
        as(key).header("Idempotency-Key", legacy).body(purchase(customer, 6)).post("/purchases").then().statusCode(201);
        assertEquals(2, purchases(customer));
    }

    @Test
    void liveLeaseIs409WithRetryAfterAndRunsNothing() {
        String key = Api.newTenant();
        long customer = Api.customer(key, "live", Map.of());
        String idem = UUID.randomUUID().toString();
        sql("insert into idempotency_record (tenant_id, key, owner, lease_until) values ($1, $2, $3, now() + interval '90 seconds')",
                Tuple.of(tenantOf(customer), idem, UUID.randomUUID()));
        var response = as(key).header("Idempotency-Key", idem).body(purchase(customer, 5)).post("/purchases").then()
                .statusCode(409).contentType("application/problem+json").body("type", equalTo("/problems/conflict"))
                .extract();
        int retryAfter = Integer.parseInt(response.header("Retry-After"));
        assertTrue(retryAfter > 60 && retryAfter <= 90, "Retry-After " + retryAfter);
        assertEquals(0, purchases(customer));
        // keys are printable ASCII of at most 255 characters
        for (String bad : new String[]{"a\tb", "x".repeat(256), "caf\u00e9"}) {
            as(key).header("Idempotency-Key", bad).body(purchase(customer, 5)).post("/purchases").then()
                    .statusCode(422).body("errors[0].code", equalTo("invalid_value"))
                    .body("errors[0].pointer", equalTo("Idempotency-Key"));
        }
        assertEquals(0, purchases(customer));
    }

    /** The %test lease is 2 s; a body streamed for about 5 s keeps extending it, so a retry meanwhile is a 409. */
    @Test
    void aStreamedBodyExtendsTheLeaseWhileItIsRead() throws Exception {
        String key = Api.newTenant();
        String idem = UUID.randomUUID().toString();
        int lines = 20;
        InputStream slow = new InputStream() {
            private int line = 0;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] buffer, int offset, int length) {
                if (line == lines) {
                    return -1;
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                // one 4 KB line per read (padded with JSON whitespace), so the client sends it at once
                byte[] text = ("{\"externalId\": \"s-" + line++ + "\"" + " ".repeat(4000) + "}\n")
                        .getBytes(StandardCharsets.UTF_8);
                int n = Math.min(length, text.length);
                System.arraycopy(text, 0, buffer, offset, n);
                return n;
            }
        };
        var first = CompletableFuture.supplyAsync(() -> RestAssured.given().auth().oauth2(key)
                .header("Idempotency-Key", idem).contentType("application/x-ndjson").body(slow)
                .post("/customers/import").then().statusCode(200).extract().jsonPath().getInt("created"));
        Thread.sleep(3500);
        var retry = importing(key, idem, "{\"externalId\": \"s-0\"}\n".getBytes(StandardCharsets.UTF_8)).then()
                .statusCode(409).extract();
        assertTrue(Integer.parseInt(retry.header("Retry-After")) <= 2, "Retry-After " + retry.header("Retry-After"));
        assertEquals(lines, first.get(60, TimeUnit.SECONDS));
        as(key).get("/customers/by-external-id/s-19").then().statusCode(200);
    }

    @Test
    void aClaimTakenOverCanNoLongerWriteTheRecord() {
        String key = Api.newTenant();
        long tenant = tenantOf(Api.customer(key, "owner", Map.of()));
        String idem = UUID.randomUUID().toString();
        UUID first = store.claim(tenant, idem).await().atMost(WAIT);
        assertNull(store.claim(tenant, idem).await().atMost(WAIT), "a live lease is not claimed twice");
        sql("update idempotency_record set lease_until = now() - interval '1 second' where tenant_id = $1 and key = $2",
                Tuple.of(tenant, idem));
        UUID second = store.claim(tenant, idem).await().atMost(WAIT);
        assertNotEquals(first, second);
        store.complete(tenant, idem, first, 201, "application/json", "{\"late\":true}", null, new byte[]{1})
                .await().atMost(WAIT);
        assertNull(store.read(tenant, idem).await().atMost(WAIT).status(), "the lapsed attempt wrote nothing");
        store.complete(tenant, idem, second, 201, "application/json", "{}", null, new byte[]{2}).await().atMost(WAIT);
        assertEquals(201, store.read(tenant, idem).await().atMost(WAIT).status());
    }

    @Test
    void recordsPastTheRetentionAreNotReplayedAndAreDeleted() {
        String key = Api.newTenant();
        long customer = Api.customer(key, "retention", Map.of());
        long tenant = tenantOf(customer);
        String old = UUID.randomUUID().toString();
        String recent = UUID.randomUUID().toString();
        as(key).header("Idempotency-Key", old).body(purchase(customer, 1)).post("/purchases").then().statusCode(201);
        as(key).header("Idempotency-Key", recent).body(purchase(customer, 2)).post("/purchases").then().statusCode(201);
        sql("update idempotency_record set created_at = now() - interval '25 hours' where tenant_id = $1 and key = $2",
                Tuple.of(tenant, old));
        // expired: the key is free again, so another body runs instead of a 422 (and is not a replay)
        as(key).header("Idempotency-Key", old).body(purchase(customer, 3)).post("/purchases").then().statusCode(201)
                .header("Idempotency-Replayed", nullValue());
        assertEquals(3, purchases(customer));

        sql("update idempotency_record set created_at = now() - interval '25 hours' where tenant_id = $1 and key = $2",
                Tuple.of(tenant, old));
        int deleted = store.purgeExpired().await().atMost(WAIT);
        assertTrue(deleted >= 1, "deleted " + deleted);
        assertEquals(0, count("select count(*) from idempotency_record where tenant_id = $1 and key = $2", tenant, old));
        assertEquals(1, count("select count(*) from idempotency_record where tenant_id = $1 and key = $2", tenant, recent));
        as(key).header("Idempotency-Key", recent).body(purchase(customer, 2)).post("/purchases").then().statusCode(201)
                .header("Idempotency-Replayed", "true");
    }

    private static io.restassured.response.Response importing(String key, String idem, byte[] body) {
        return RestAssured.given().auth().oauth2(key).header("Idempotency-Key", idem)
                .contentType("application/x-ndjson").body(body).post("/customers/import");
    }

    private static String purchase(long customer, int amount) {
        return """
                {"customerId": %d, "occurredAt": "2026-01-10T10:00:00Z", "amount": %d}""".formatted(customer, amount);
    }

    private long purchases(long customer) {
        return count("select count(*) from purchase where customer_id = $1", customer);
    }

    private long tenantOf(long customer) {
        return count("select tenant_id from customer where id = $1", customer);
    }

    private long count(String sql, Object... params) {
        Row row = pool.preparedQuery(sql).execute(Tuple.from(params)).await().atMost(WAIT).iterator().next();
        return row.getLong(0);
    }

    private void sql(String sql, Tuple params) {
        pool.preparedQuery(sql).execute(params).await().atMost(WAIT);
    }
}
