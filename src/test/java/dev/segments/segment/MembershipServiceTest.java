package dev.segments.segment;

import dev.segments.customer.CustomerChanges;
import dev.segments.rule.Source;
import dev.segments.segment.service.MembershipService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.smallrye.mutiny.Uni;
import dev.segments.analytics.service.CustomerChangesPipeline;
import dev.segments.segment.persistence.MembershipRepository;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link MembershipService} called directly on real PostgreSQL. Profiles and rules are changed with plain SQL, so
 * that nothing but the call under test moves membership; the feed, the materialized members and the member counts
 * are then read from their tables.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class MembershipServiceTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    MembershipService membership;

    @Inject
    CustomerChanges changes;

    @Inject
    CustomerChangesPipeline pipeline;

    @Inject
    Pool pool;

    record Tenant(long id, String key) {
    }

    static Tenant tenant() {
        JsonPath created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "membership-" + System.nanoTime())).post("/admin/tenants")
                .then().statusCode(201).extract().jsonPath();
        return new Tenant(created.getLong("tenant.id"), created.getString("apiKey.key"));
    }

    private static long segment(String key, String segmentKey, Map<String, ?> rule) {
        return as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments")
                .then().statusCode(201).extract().jsonPath().getLong("id");
    }

    /** A profile change that bypasses the write path (membership does not hear of it). */
    private void setRegion(long customerId, String region) {
        pool.preparedQuery("update customer set region = $2 where id = $1").execute(Tuple.of(customerId, region))
                .await().atMost(WAIT);
    }

    /**
     * What a write does through the port: its change recorded in a transaction (here with no data written: the
     * data was changed beforehand with plain SQL), then followed after the commit.
     */
    private io.smallrye.mutiny.Uni<Void> changed(long tenantId, List<Long> customerIds, Set<Source> sources) {
        return pool.withTransaction(conn -> changes.record(conn, tenantId, customerIds, sources)).chain(changes::follow);
    }

    /** The tenant's journaled changes not yet followed ({@code customer_change}). */
    private long unfollowed(long tenantId) {
        return pool.preparedQuery("select count(*) from customer_change where tenant_id = $1").execute(Tuple.of(tenantId))
                .await().atMost(WAIT).iterator().next().getLong(0);
    }

    private long lastChangeId(long tenantId) {
        return pool.preparedQuery("select coalesce(max(id), 0) from membership_change where tenant_id = $1")
                .execute(Tuple.of(tenantId)).await().atMost(WAIT).iterator().next().getLong(0);
    }

    /** The tenant's changes after this id, in feed order, as "segment:kind:externalId:cause". */
    private List<String> feedAfter(long tenantId, long afterId) {
        List<String> out = new ArrayList<>();
        pool.preparedQuery("select segment_key, kind, customer_external_id, cause from membership_change"
                        + " where tenant_id = $1 and id > $2 order by id")
                .execute(Tuple.of(tenantId, afterId)).await().atMost(WAIT)
                .forEach(r -> out.add(r.getString(0) + ":" + r.getString(1) + ":" + r.getString(2) + ":" + r.getString(3)));
        return out;
    }

    /** The ids of the changes of one segment after this id. */
    private List<Long> changeIds(long segmentId, long afterId) {
        List<Long> out = new ArrayList<>();
        pool.preparedQuery("select id from membership_change where segment_id = $1 and id > $2 order by id")
                .execute(Tuple.of(segmentId, afterId)).await().atMost(WAIT).forEach(r -> out.add(r.getLong(0)));
        return out;
    }

    private Set<Long> members(long segmentId) {
        Set<Long> ids = new TreeSet<>();
        pool.preparedQuery("select customer_id from segment_membership where segment_id = $1").execute(Tuple.of(segmentId))
                .await().atMost(WAIT).forEach(r -> ids.add(r.getLong(0)));
        return ids;
    }

    private long memberCount(long segmentId) {
        Row r = pool.preparedQuery("select member_count from segment_state where segment_id = $1")
                .execute(Tuple.of(segmentId)).await().atMost(WAIT).iterator().next();
        return r.getLong(0);
    }

    @Test
    void writtenCustomersEnterAndExitOnceWithTheCauseAndTheCountsFollow() {
        Tenant t = tenant();
        long anna = Api.customer(t.key(), "anna", Map.of("region", "Moscow"));
        long boris = Api.customer(t.key(), "boris", Map.of("region", "Kazan"));
        long moscow = segment(t.key(), "moscow", Map.of("field", "region", "op", "eq", "value", "Moscow"));
        assertThat(members(moscow), contains(anna));
        assertThat(memberCount(moscow), equalTo(1L));

        setRegion(anna, "Tver");
        setRegion(boris, "Moscow");
        long before = lastChangeId(t.id());
        // a write of data the rule does not read (events) evaluates nothing
        membership.customersChanged(t.id(), List.of(anna, boris), Set.of(Source.EVENTS)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), before), empty());
        assertThat(members(moscow), contains(anna));

        // a profile write: both re-evaluated in one statement; a customer named twice is recorded once
        changed(t.id(), List.of(boris, anna, boris), Set.of(Source.PROFILE)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), before), contains("moscow:exited:anna:data_write", "moscow:entered:boris:data_write"));
        assertThat(members(moscow), contains(boris));
        assertThat(memberCount(moscow), equalTo(1L));

        // told again without a change: nothing new is recorded and the count stays
        long after = lastChangeId(t.id());
        changed(t.id(), List.of(anna, boris), Set.of(Source.PROFILE, Source.PURCHASES)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), after), empty());

        // two enter at once: the count moves by the diff
        setRegion(anna, "Moscow");
        long carl = Api.customer(t.key(), "carl", Map.of("region", "Kazan"));
        setRegion(carl, "Moscow");
        changed(t.id(), List.of(anna, carl), Set.of(Source.PROFILE)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), after), contains("moscow:entered:anna:data_write", "moscow:entered:carl:data_write"));
        assertThat(memberCount(moscow), equalTo(3L));
        assertThat((long) members(moscow).size(), equalTo(memberCount(moscow)));

        // a delete: every membership ends, recorded as an exit, and the count drops, in the delete's transaction
        long beforeDelete = lastChangeId(t.id());
        assertThat(changes.deleteCustomers(t.id(), List.of(carl), conn -> conn.preparedQuery("delete from customer where id = $1")
                .execute(Tuple.of(carl)).map(rs -> rs.rowCount() == 1)).await().atMost(WAIT), equalTo(true));
        assertThat(feedAfter(t.id(), beforeDelete), contains("moscow:exited:carl:data_write"));
        assertThat(memberCount(moscow), equalTo(2L));
        assertThat(members(moscow), contains(anna, boris));

        // a delete that deletes nothing (absent or stale) rolls back: no exit, the count and members stay
        long beforeStale = lastChangeId(t.id());
        assertThat(changes.deleteCustomers(t.id(), List.of(anna), conn -> io.smallrye.mutiny.Uni.createFrom().item(false))
                .await().atMost(WAIT), equalTo(false));
        assertThat(feedAfter(t.id(), beforeStale), empty());
        assertThat(memberCount(moscow), equalTo(2L));
        assertThat(members(moscow), contains(anna, boris));
    }

    @Test
    void aSegmentReferencingAnotherFollowsItOnWritesAndIsRefreshedAfterIt() {
        Tenant t = tenant();
        long vera = Api.customer(t.key(), "vera", Map.of("region", "Kazan", "priceTier", "vip"));
        long olga = Api.customer(t.key(), "olga", Map.of("region", "Kazan", "priceTier", "low"));
        // keys in the other order than dependencies: the referencing segment sorts first
        long moscow = segment(t.key(), "z-moscow", Map.of("field", "region", "op", "eq", "value", "Moscow"));
        long moscowVip = segment(t.key(), "a-moscow-vip", Map.of("and", List.of(Map.of("segment", "z-moscow"),
                Map.of("field", "priceTier", "op", "eq", "value", "vip"))));
        long other = segment(t.key(), "m-low", Map.of("field", "priceTier", "op", "eq", "value", "low"));
        assertThat(members(moscowVip), empty());

        // a write: one evaluation moves the customer into both, each change once
        setRegion(vera, "Moscow");
        setRegion(olga, "Moscow");
        long before = lastChangeId(t.id());
        changed(t.id(), List.of(vera, olga), Set.of(Source.PROFILE)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), before), contains("z-moscow:entered:vera:data_write",
                "z-moscow:entered:olga:data_write", "a-moscow-vip:entered:vera:data_write"));
        assertThat(members(moscowVip), contains(vera));
        assertThat(memberCount(moscowVip), equalTo(1L));
        assertThat(memberCount(moscow), equalTo(2L));

        // the referenced rule changes (without the service): ruleSaved refreshes it, then the segment that refers to it
        pool.preparedQuery("update segment set rule = $2::text::jsonb, version = version + 1 where id = $1")
                .execute(Tuple.of(moscow, "{\"field\": \"region\", \"op\": \"eq\", \"value\": \"Kazan\"}"))
                .await().atMost(WAIT);
        long beforeEdit = lastChangeId(t.id());
        membership.ruleSaved(t.id(), "z-moscow").await().atMost(WAIT);
        assertThat(feedAfter(t.id(), beforeEdit), contains("z-moscow:exited:vera:rule_edit",
                "z-moscow:exited:olga:rule_edit", "a-moscow-vip:exited:vera:rule_edit"));
        List<Long> base = changeIds(moscow, beforeEdit);
        List<Long> referencing = changeIds(moscowVip, beforeEdit);
        assertThat("the referenced segment's changes come first", base, everyItem(lessThan(referencing.get(0))));
        assertThat(referencing, everyItem(greaterThan(base.get(base.size() - 1))));
        assertThat(memberCount(moscow), equalTo(0L));
        assertThat(memberCount(moscowVip), equalTo(0L));
        // a segment that does not refer to the edited one is not re-evaluated
        assertThat(changeIds(other, beforeEdit), empty());
        assertThat(members(other), contains(olga));
    }

    @Test
    void aWriteWhoseFollowUpNeverRanIsFollowedByTheSweep() {
        Tenant t = tenant();
        long anna = Api.customer(t.key(), "anna", Map.of("region", "Kazan"));
        long moscow = segment(t.key(), "moscow", Map.of("field", "region", "op", "eq", "value", "Moscow"));
        assertThat("a write through the API followed its change and forgot it", unfollowed(t.id()), equalTo(0L));

        // a write's transaction (its data and the record of its change) commits; the process stops before the follow-up
        pool.withTransaction(conn -> conn.preparedQuery("update customer set region = 'Moscow' where id = $1")
                        .execute(Tuple.of(anna)).chain(() -> changes.record(conn, t.id(), List.of(anna), Set.of(Source.PROFILE))))
                .await().atMost(WAIT);
        long before = lastChangeId(t.id());
        assertThat("the gap: the write is stored, the membership is not", members(moscow), empty());
        assertThat(unfollowed(t.id()), equalTo(1L));

        // within the grace period the sweep leaves it (the write's own follow-up may still wait for the lock)
        pipeline.sweep(Duration.ofHours(1)).await().atMost(WAIT);
        assertThat(members(moscow), empty());
        assertThat(unfollowed(t.id()), equalTo(1L));

        // after it, the sweep follows it: the customer enters, once, with the write's cause, and the row is gone
        pipeline.sweep(Duration.ZERO).await().atMost(WAIT);
        assertThat(members(moscow), contains(anna));
        assertThat(memberCount(moscow), equalTo(1L));
        assertThat(feedAfter(t.id(), before), contains("moscow:entered:anna:data_write"));
        assertThat(unfollowed(t.id()), equalTo(0L));
        pipeline.sweep(Duration.ZERO).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), before), contains("moscow:entered:anna:data_write"));

        // a write that rolls back leaves no record
        assertThrows(IllegalStateException.class, () -> pool.withTransaction(conn -> changes.record(conn, t.id(),
                        List.of(anna), Set.of(Source.PROFILE))
                .chain(() -> Uni.createFrom().failure(new IllegalStateException("rolled back")))).await().atMost(WAIT));
        assertThat(unfollowed(t.id()), equalTo(0L));
    }

    /**
     * Each write path of the API records its change in its own transaction: with the tenant's membership lock held
     * here, the write's follow-up waits for it, and the write's journal row is then already committed; once the lock
     * is released the write answers and its row is gone.
     */
    @Test
    void everyWritePathJournalsItsChangeBeforeItsFollowUpAndForgetsItAfter() throws Exception {
        Tenant t = tenant();
        String key = t.key();
        long anna = Api.customer(key, "anna", Map.of("region", "Kazan"));
        segment(key, "anything", Map.of("or", List.of(Map.of("field", "region", "op", "eq", "value", "Moscow"),
                Map.of("aggregate", "count", "of", "purchases", "op", "gte", "value", 1),
                Map.of("aggregate", "count", "of", "interactions", "op", "gte", "value", 1),
                Map.of("aggregate", "count", "of", "events", "op", "gte", "value", 1))));
        as(key).body(Map.of("customerId", anna, "externalId", "p-0", "occurredAt", "2026-01-01T10:00:00Z", "amount", 5))
                .post("/purchases").then().statusCode(201);
        long purchase = as(key).get("/customers/" + anna + "/purchases").then().statusCode(200)
                .extract().jsonPath().getLong("items[0].id");
        Map<String, Supplier<Response>> writes = new LinkedHashMap<>();
        writes.put("POST /customers", () -> as(key).body(Map.of("externalId", "c-1")).post("/customers"));
        writes.put("PUT /customers/by-external-id", () -> as(key).body(Map.of("region", "Moscow"))
                .put("/customers/by-external-id/c-2"));
        writes.put("PATCH /customers/{id}", () -> as(key).contentType("application/merge-patch+json")
                .body("{\"region\": \"Moscow\"}").patch("/customers/" + anna));
        writes.put("POST /purchases", () -> as(key).body(Map.of("customerId", anna, "externalId", "p-1",
                "occurredAt", "2026-01-02T10:00:00Z", "amount", 7)).post("/purchases"));
        writes.put("DELETE /purchases/{id}", () -> as(key).delete("/purchases/" + purchase));
        writes.put("POST /interactions", () -> as(key).body(Map.of("customerId", anna,
                "occurredAt", "2026-01-03T10:00:00Z", "type", "call")).post("/interactions"));
        writes.put("POST /customers/import", () -> RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body("{\"externalId\": \"c-3\", \"region\": \"Moscow\"}\n".getBytes(StandardCharsets.UTF_8)).post("/customers/import"));
        writes.put("POST /events/import", () -> RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body(("{\"customerId\": " + anna + ", \"occurredAt\": \"2026-01-04T10:00:00Z\", \"name\": \"visit\"}\n").getBytes(StandardCharsets.UTF_8))
                .post("/events/import"));
        for (var write : writes.entrySet()) {
            SqlConnection lock = pool.getConnection().await().atMost(WAIT);
            try {
                Transaction tx = lock.begin().await().atMost(WAIT);
                lock.preparedQuery("select pg_advisory_xact_lock($1, $2::int)")
                        .execute(Tuple.of(MembershipRepository.LOCK_NAMESPACE, t.id())).await().atMost(WAIT);
                CompletableFuture<Response> answer = CompletableFuture.supplyAsync(write.getValue());
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (unfollowed(t.id()) == 0 && System.nanoTime() < deadline && !answer.isDone()) {
                    Thread.sleep(20);
                }
                assertThat(write.getKey() + ": its change is journaled while its follow-up waits"
                        + (answer.isDone() ? "; it answered " + answer.join().asString() : ""), unfollowed(t.id()),
                        equalTo(1L));
                assertThat(write.getKey() + " answers after its follow-up", answer.isDone(), equalTo(false));
                tx.rollback().await().atMost(WAIT);
                Response r = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                assertThat(write.getKey() + " " + r.asString(), r.statusCode(), lessThan(300));
                assertThat(write.getKey() + ": followed and forgotten", unfollowed(t.id()), equalTo(0L));
            } finally {
                lock.close().await().atMost(WAIT);
            }
        }
    }
}
