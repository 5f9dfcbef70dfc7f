package dev.segments.activity;

import dev.segments.activity.persistence.ActivityRepository;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.comparesEqualTo;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/**
 * The rollup statement ({@link ActivityRepository#recomputeRollups}) called directly on real PostgreSQL: activity
 * rows are written and deleted with plain SQL, so nothing but the statement under test moves the customer's rollups.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class RollupRecomputeTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final OffsetDateTime T0 = OffsetDateTime.of(2026, 3, 1, 10, 0, 0, 0, ZoneOffset.UTC);

    @Inject
    ActivityRepository activity;

    @Inject
    Pool pool;

    private long purchase(long tenantId, long customerId, OffsetDateTime at, String amount) {
        return pool.preparedQuery("insert into purchase (tenant_id, customer_id, occurred_at, amount)"
                        + " values ($1, $2, $3, $4::text::numeric) returning id")
                .execute(Tuple.of(tenantId, customerId, at, amount)).await().atMost(WAIT).iterator().next().getLong(0);
    }

    private long interaction(long tenantId, long customerId, OffsetDateTime at) {
        return pool.preparedQuery("insert into interaction (tenant_id, customer_id, occurred_at, type)"
                        + " values ($1, $2, $3, 'call') returning id")
                .execute(Tuple.of(tenantId, customerId, at)).await().atMost(WAIT).iterator().next().getLong(0);
    }

    private long event(long tenantId, long customerId, OffsetDateTime at) {
        return pool.preparedQuery("insert into event (tenant_id, customer_id, occurred_at, name)"
                        + " values ($1, $2, $3, 'login') returning id")
                .execute(Tuple.of(tenantId, customerId, at)).await().atMost(WAIT).iterator().next().getLong(0);
    }

    private void delete(String table, long id) {
        pool.preparedQuery("delete from " + table + " where id = $1").execute(Tuple.of(id)).await().atMost(WAIT);
    }

    private void recompute(long tenantId, List<Long> customerIds) {
        pool.withTransaction(conn -> activity.recomputeRollups(conn, tenantId, customerIds)).await().atMost(WAIT);
    }

    private Row rollups(long customerId) {
        return pool.preparedQuery("select purchase_count, total_spend, average_order_value, first_purchase_at,"
                        + " last_purchase_at, last_interaction_at, last_seen_at, first_touch_at from customer where id = $1")
                .execute(Tuple.of(customerId)).await().atMost(WAIT).iterator().next();
    }

    /** The ids of the tenant's customers matching a rule (the rule language reads the rollups). */
    private static List<Long> matching(String key, Map<String, ?> rule) {
        return as(key).body(Map.of("rule", rule)).post("/customers/search?fields=id").then().statusCode(200)
                .extract().jsonPath().getList("items.id", Long.class);
    }

    @Test
    void purchasesInsertedAndDeletedAreCountedSummedAndDated() {
        Api.Tenant t = Api.tenant();
        long anna = Api.customer(t.key(), "anna", Map.of());
        long boris = Api.customer(t.key(), "boris", Map.of());
        long p1 = purchase(t.id(), anna, T0.plusDays(2), "100.00");
        purchase(t.id(), anna, T0, "100.00");
        long p3 = purchase(t.id(), anna, T0.plusDays(5), "69.98");
        purchase(t.id(), boris, T0.plusDays(1), "10");

        // nothing recomputed yet: the insert alone does not move the rollups
        assertThat(rollups(anna).getInteger("purchase_count"), equalTo(0));

        recompute(t.id(), List.of(anna));
        Row a = rollups(anna);
        assertThat(a.getInteger("purchase_count"), equalTo(3));
        assertThat(a.getBigDecimal("total_spend"), comparesEqualTo(new BigDecimal("269.98")));
        assertThat(a.getOffsetDateTime("first_purchase_at").toInstant(), equalTo(T0.toInstant()));
        assertThat(a.getOffsetDateTime("last_purchase_at").toInstant(), equalTo(T0.plusDays(5).toInstant()));
        assertThat(a.getOffsetDateTime("last_seen_at").toInstant(), equalTo(T0.plusDays(5).toInstant()));
        assertThat(a.getOffsetDateTime("last_interaction_at"), nullValue());
        // a customer not named is not touched
        assertThat(rollups(boris).getInteger("purchase_count"), equalTo(0));

        // averageOrderValue is the exact quotient 269.98 / 3 = 89.99333...: above 89.9933, not equal to it
        assertThat(matching(t.key(), Map.of("field", "averageOrderValue", "op", "gt", "value", new BigDecimal("89.9933"))),
                contains(anna));
        assertThat(matching(t.key(), Map.of("field", "averageOrderValue", "op", "eq", "value", new BigDecimal("89.9933"))),
                empty());
        assertThat(matching(t.key(), Map.of("field", "averageOrderValue", "op", "lt", "value", new BigDecimal("89.9934"))),
                contains(anna));

        // deleting the latest and one earlier purchase: count, total, average and dates follow
        delete("purchase", p3);
        delete("purchase", p1);
        recompute(t.id(), List.of(anna, boris));
        a = rollups(anna);
        assertThat(a.getInteger("purchase_count"), equalTo(1));
        assertThat(a.getBigDecimal("total_spend"), comparesEqualTo(new BigDecimal("100")));
        assertThat(a.getBigDecimal("average_order_value"), comparesEqualTo(new BigDecimal("100")));
        assertThat(a.getOffsetDateTime("first_purchase_at").toInstant(), equalTo(T0.toInstant()));
        assertThat(a.getOffsetDateTime("last_purchase_at").toInstant(), equalTo(T0.toInstant()));
        assertThat(a.getOffsetDateTime("last_seen_at").toInstant(), equalTo(T0.toInstant()));
        Row b = rollups(boris);
        assertThat(b.getInteger("purchase_count"), equalTo(1));
        assertThat(b.getBigDecimal("total_spend"), comparesEqualTo(new BigDecimal("10")));
        assertThat(matching(t.key(), Map.of("field", "averageOrderValue", "op", "gt", "value", 50)), contains(anna));
    }

    @Test
    void lastSeenAtIsTheLatestActivityOfAnyStream() {
        Api.Tenant t = Api.tenant();
        long clara = Api.customer(t.key(), "clara", Map.of());
        long p = purchase(t.id(), clara, T0, "5");
        interaction(t.id(), clara, T0.plusHours(3));
        recompute(t.id(), List.of(clara));
        Row c = rollups(clara);
        assertThat(c.getOffsetDateTime("last_interaction_at").toInstant(), equalTo(T0.plusHours(3).toInstant()));
        assertThat(c.getOffsetDateTime("last_seen_at").toInstant(), equalTo(T0.plusHours(3).toInstant()));

        event(t.id(), clara, T0.plusHours(7));
        recompute(t.id(), List.of(clara));
        assertThat(rollups(clara).getOffsetDateTime("last_seen_at").toInstant(), equalTo(T0.plusHours(7).toInstant()));
        // the interaction rollup does not take events
        assertThat(rollups(clara).getOffsetDateTime("last_interaction_at").toInstant(), equalTo(T0.plusHours(3).toInstant()));

        // every purchase gone: no count, no total, no average, no purchase dates; lastSeenAt from the other streams
        delete("purchase", p);
        recompute(t.id(), List.of(clara));
        c = rollups(clara);
        assertThat(c.getInteger("purchase_count"), equalTo(0));
        assertThat(c.getBigDecimal("total_spend"), comparesEqualTo(BigDecimal.ZERO));
        assertThat(c.getBigDecimal("average_order_value"), nullValue());
        assertThat(c.getOffsetDateTime("first_purchase_at"), nullValue());
        assertThat(c.getOffsetDateTime("last_purchase_at"), nullValue());
        assertThat(c.getOffsetDateTime("last_seen_at").toInstant(), equalTo(T0.plusHours(7).toInstant()));
        assertThat(matching(t.key(), Map.of("field", "averageOrderValue", "op", "isSet")), empty());
        assertThat(matching(t.key(), Map.of("field", "lastSeenAt", "op", "isSet")), contains(clara));
    }

    /**
     * first_touch_at (V24, the value-quadrant model's first contact): the earliest interaction or event, purchases not
     * included; the bulk import's chunk takes the least of it and its rows, which is what the recompute gives.
     */
    @Test
    void firstTouchAtIsTheEarliestInteractionOrEvent() {
        Api.Tenant t = Api.tenant();
        long dora = Api.customer(t.key(), "dora", Map.of());
        purchase(t.id(), dora, T0, "5");
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at"), nullValue());

        long call = interaction(t.id(), dora, T0.plusHours(3));
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at").toInstant(), equalTo(T0.plusHours(3).toInstant()));
        long login = event(t.id(), dora, T0.plusHours(1));
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at").toInstant(), equalTo(T0.plusHours(1).toInstant()));
        delete("event", login);
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at").toInstant(), equalTo(T0.plusHours(3).toInstant()));

        // the import: an earlier event moves it, a later interaction does not
        importLines(t.key(), "/events/import", "{\"customerId\": %d, \"externalId\": \"e-1\", \"occurredAt\": \"%s\", \"name\": \"visit\"}"
                .formatted(dora, T0.minusDays(1)));
        importLines(t.key(), "/interactions/import", "{\"customerId\": %d, \"externalId\": \"i-1\", \"occurredAt\": \"%s\", \"type\": \"call\"}"
                .formatted(dora, T0.plusDays(10)));
        OffsetDateTime imported = rollups(dora).getOffsetDateTime("first_touch_at");
        assertThat(imported.toInstant(), equalTo(T0.minusDays(1).toInstant()));
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at").toInstant(), equalTo(imported.toInstant()));

        delete("interaction", call);
        pool.preparedQuery("delete from event where customer_id = $1").execute(Tuple.of(dora)).await().atMost(WAIT);
        recompute(t.id(), List.of(dora));
        assertThat(rollups(dora).getOffsetDateTime("first_touch_at").toInstant(), equalTo(T0.plusDays(10).toInstant()));
    }

    private static void importLines(String key, String path, String ndjson) {
        assertThat(ActivityImportTest.post(key, path, "application/x-ndjson", ndjson, 200).getInt("stored"), equalTo(1));
    }
}
