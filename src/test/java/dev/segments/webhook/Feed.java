package dev.segments.webhook;

import dev.segments.support.Api;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static dev.segments.support.Api.as;

/**
 * Test fixtures for webhooks: a tenant with static segments and customers, and entries in its change feed written
 * the way the live-membership writers write them (under the tenant's advisory lock, so ids commit in order).
 */
final class Feed {

    /** A tenant made through the API: its key, its id, and its customers by external id. */
    record Tenant(String key, long id, Map<String, Long> customers) {
        long customer(String externalId) {
            return customers.get(externalId);
        }
    }

    private final Pool pool;

    Feed(Pool pool) {
        this.pool = pool;
    }

    /** A new tenant with these static segments and customers c1..cN. */
    Tenant tenant(List<String> segments, int customers) {
        String key = Api.newTenant();
        for (String s : segments) {
            as(key).body(Map.of("key", s, "name", s, "kind", "static")).post("/segments").then().statusCode(201);
        }
        Map<String, Long> ids = new HashMap<>();
        String prefix = "c-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        for (int i = 1; i <= customers; i++) {
            ids.put("c" + i, Api.customer(key, prefix + i, Map.of()));
        }
        long tenantId = one("select tenant_id from customer where id = $1", ids.values().iterator().next()).getLong(0);
        return new Tenant(key, tenantId, ids);
    }

    /**
     * Customers enter a static segment through the API; the live-membership code records the entries in the feed
     * (cause static_edit, in customer id order). Returns the ids of those changes in feed order.
     */
    List<Long> enter(Tenant t, String segment, String... customers) {
        List<Long> ids = Arrays.stream(customers).map(t::customer).toList();
        long before = one("select coalesce(max(id), 0) from membership_change where tenant_id = $1", t.id()).getLong(0);
        as(t.key()).body(Map.of("customerIds", ids)).post("/segments/" + segment + "/members").then().statusCode(200);
        List<Long> changes = new ArrayList<>();
        pool.preparedQuery("select id from membership_change where tenant_id = $1 and segment_key = $2 and id > $3"
                        + " and kind = 'entered' order by id")
                .execute(Tuple.of(t.id(), segment, before)).await().atMost(Duration.ofSeconds(10))
                .forEach(r -> changes.add(r.getLong(0)));
        if (changes.size() != ids.size()) {
            throw new AssertionError("expected " + ids.size() + " entries in the feed, found " + changes.size());
        }
        return changes;
    }

    /**
     * Appends changes of one segment to the tenant's feed in one transaction, under the same advisory lock as every
     * writer of membership_change; returns their ids in feed order.
     */
    List<Long> changes(Tenant t, String segment, String kind, String... customers) {
        long[] ids = Arrays.stream(customers).mapToLong(t::customer).toArray();
        return pool.withTransaction(conn -> conn.preparedQuery("select pg_advisory_xact_lock(1936025972, $1::bigint::int)")
                        .execute(Tuple.of(t.id()))
                        .chain(() -> conn.preparedQuery("""
                                        insert into membership_change (tenant_id, segment_id, segment_key, customer_id,
                                                                       customer_external_id, kind, cause, at)
                                        select $1, s.id, s.key, c.id, c.external_id, $3, 'static_edit', clock_timestamp()
                                        from unnest($4::bigint[]) with ordinality as x(customer_id, n)
                                        join customer c on c.id = x.customer_id and c.tenant_id = $1
                                        join segment s on s.tenant_id = $1 and s.key = $2
                                        order by x.n
                                        returning id""")
                                .execute(Tuple.of(t.id(), segment, kind, Arrays.stream(ids).boxed().toArray(Long[]::new)))))
                .map(rs -> {
                    List<Long> list = new ArrayList<>();
                    rs.forEach(r -> list.add(r.getLong(0)));
                    return list.stream().sorted().toList();
                })
                .await().atMost(Duration.ofSeconds(10));
    }

    Row one(String sql, Object... params) {
        return pool.preparedQuery(sql).execute(Tuple.from(Arrays.asList(params))).await().atMost(Duration.ofSeconds(10))
                .iterator().next();
    }

    void sql(String sql, Object... params) {
        pool.preparedQuery(sql).execute(Tuple.from(Arrays.asList(params))).await().atMost(Duration.ofSeconds(10));
    }

    /** Waits until the condition holds (checked every 20 ms), failing after {@code max}. */
    static void await(Duration max, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
