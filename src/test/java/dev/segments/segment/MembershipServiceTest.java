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
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
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
        changes.customersChanged(t.id(), List.of(boris, anna, boris), Source.PROFILE).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), before), contains("moscow:exited:anna:data_write", "moscow:entered:boris:data_write"));
        assertThat(members(moscow), contains(boris));
        assertThat(memberCount(moscow), equalTo(1L));

        // told again without a change: nothing new is recorded and the count stays
        long after = lastChangeId(t.id());
        changes.customersChanged(t.id(), List.of(anna, boris), Set.of(Source.PROFILE, Source.PURCHASES)).await().atMost(WAIT);
        assertThat(feedAfter(t.id(), after), empty());

        // two enter at once: the count moves by the diff
        setRegion(anna, "Moscow");
        long carl = Api.customer(t.key(), "carl", Map.of("region", "Kazan"));
        setRegion(carl, "Moscow");
        changes.customersChanged(t.id(), List.of(anna, carl), Source.PROFILE).await().atMost(WAIT);
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
        changes.customersChanged(t.id(), List.of(vera, olga), Source.PROFILE).await().atMost(WAIT);
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
}
