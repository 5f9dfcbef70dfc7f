package dev.segments.segment;

import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static dev.segments.support.Api.customer;
import static dev.segments.support.Api.newTenant;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-tenant rules cache (TenantRulesLoader) and the statements kept prepared (PreparedStatements). Changes are
 * written straight to the database here, as another instance of the service would write them: the next request
 * must see them without any help from this instance.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class TenantRulesCacheTest {

    @Inject
    Pool pool;

    private void sql(String sql, Object... params) {
        pool.preparedQuery(sql).execute(Tuple.from(params)).await().atMost(Duration.ofSeconds(30));
    }

    @Test
    void aSegmentChangedByAnotherInstanceIsSeenAtTheNextRequest() {
        String key = newTenant();
        String segment = "cache-" + UUID.randomUUID();
        customer(key, "de", Map.of("country", "DE"));
        customer(key, "fr", Map.of("country", "FR"));
        as(key).body(Map.of("key", segment, "name", "by country", "rule", Map.of("field", "country", "op", "eq", "value", "DE")))
                .post("/segments").then().statusCode(201);
        as(key).get("/segments/" + segment + "/members").then().statusCode(200)
                .body("items.externalId", contains("de"));

        sql("update segment set rule = '{\"field\": \"country\", \"op\": \"eq\", \"value\": \"FR\"}'::jsonb where key = $1",
                segment);
        // asOf: the rule is evaluated with the cached rules (without it the materialization is read, which the
        // direct update, bypassing the service and the segment's version, does not refresh)
        as(key).queryParam("asOf", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString())
                .get("/segments/" + segment + "/members").then().statusCode(200)
                .body("items.externalId", contains("fr"));

        sql("delete from segment where key = $1", segment);
        as(key).get("/segments/" + segment + "/count").then().statusCode(404);
    }

    @Test
    void anAttributeDeclaredByAnotherInstanceIsSeenAtTheNextRequest() {
        String key = newTenant();
        customer(key, "x", Map.of());
        Map<String, Object> rule = Map.of("field", "attributes.cacheProbe", "op", "gte", "value", 3);
        as(key).body(Map.of("rule", rule)).post("/segments/preview").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/field")).body("errors[0].code", equalTo("unknown_field"));

        sql("insert into attribute_definition (tenant_id, entity, key, type)"
                + " select tenant_id, 'customer', 'cacheProbe', 'integer' from api_key where key_hash = sha256(convert_to($1, 'UTF8'))",
                key);
        as(key).body(Map.of("rule", rule)).post("/segments/preview").then().statusCode(200).body("count", equalTo(0));
    }

    /**
     * A customer's segments evaluated (asOf; the live fallback of the read from the materialization): one statement
     * over all of the tenant's segments, kept prepared with a generic plan, so it is planned once per pooled
     * connection rather than at every request.
     */
    @Test
    void aCustomersSegmentsAreNotPlannedAtEveryRequest() {
        sql("create extension if not exists pg_stat_statements");
        // plans are only counted with track_planning (a superuser setting; this is the tests' own server)
        pool.query("alter system set pg_stat_statements.track_planning = on").execute().await().atMost(Duration.ofSeconds(30));
        sql("select pg_reload_conf()");
        String key = newTenant();
        long id = customer(key, "p", Map.of("country", "DE", "priceTier", "vip"));
        for (int i = 0; i < 6; i++) {
            as(key).body(Map.of("key", "plan-" + i, "name", "s" + i, "rule", Map.of("and", List.of(
                            Map.of("field", "country", "op", "eq", "value", "DE"),
                            Map.of("aggregate", "count", "of", "purchases", "within", "P" + (i + 1) + "0D", "op", "gte", "value", 0)))))
                    .post("/segments").then().statusCode(201);
        }
        sql("select pg_stat_statements_reset()");
        int requests = 60;
        for (int i = 0; i < requests; i++) {
            // asOf: evaluated (without it the segments are read from the materialization)
            as(key).queryParam("asOf", java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString())
                    .get("/customers/" + id + "/segments").then().statusCode(200).body("key", hasSize(6));
        }
        Row row = pool.query("select coalesce(sum(calls), 0), coalesce(sum(plans), 0) from pg_stat_statements"
                        + " where query like '/* keep prepared */ select c.id, array_remove%'")
                .execute().await().atMost(Duration.ofSeconds(30)).iterator().next();
        assertEquals(requests, row.getLong(0), "every request ran the statement");
        assertTrue(row.getLong(1) >= 1, "planning is tracked");
        assertTrue(row.getLong(1) < requests / 2, "planned " + row.getLong(1) + " times for " + requests + " executions");
    }
}
