package dev.segments.segment.persistence;

import dev.segments.segment.SegmentKind;
import dev.segments.segment.SegmentTier;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Segment definitions and static members, over the reactive PG pool. */
@ApplicationScoped
public class SegmentRepository {

    private static final String COLUMNS =
            "id, key, name, description, kind, rule::text, tier, tags, created_at, updated_at, version";

    private final Pool pool;

    SegmentRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * The tenant's rules version ({@code tenant.rules_version}, bumped by triggers on every attribute or segment
     * change, V5), or -1 for an unknown tenant: what the cached rules of a tenant are revalidated with.
     */
    public Uni<Long> rulesVersion(long tenantId) {
        return pool.preparedQuery("select rules_version from tenant where id = $1").execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? -1L : rows.iterator().next().getLong("rules_version"));
    }

    public Uni<List<SegmentRow>> listAll(long tenantId) {
        return pool.preparedQuery("select " + COLUMNS + " from segment where tenant_id = $1 order by key")
                .execute(Tuple.of(tenantId)).map(SegmentRepository::rows);
    }

    public Uni<Optional<SegmentRow>> find(long tenantId, String key) {
        return pool.preparedQuery("select " + COLUMNS + " from segment where tenant_id = $1 and key = $2")
                .execute(Tuple.of(tenantId, key)).map(rs -> rows(rs).stream().findFirst());
    }

    /** Inserts; empty when the key is taken. */
    public Uni<Optional<SegmentRow>> insert(long tenantId, String key, String name, String description,
                                            SegmentKind kind, String rule, SegmentTier tier, List<String> tags) {
        return pool.preparedQuery("insert into segment (tenant_id, key, name, description, kind, rule, tier, tags)"
                        + " values ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8) on conflict (tenant_id, key) do nothing"
                        + " returning " + COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenantId, key, name, description, kind.wire(), rule, tier.wire(),
                        tags.toArray(new String[0]))))
                .map(rs -> rows(rs).stream().findFirst());
    }

    /** Replaces the definition; empty when absent or (with expectedVersion) stale. */
    public Uni<Optional<SegmentRow>> update(long tenantId, String key, String name, String description, String rule,
                                            SegmentTier tier, List<String> tags, Long expectedVersion) {
        return pool.preparedQuery("update segment set name = $3, description = $4, rule = $5::text::jsonb, tier = $6,"
                        + " tags = $7, updated_at = now(), version = version + 1"
                        + " where tenant_id = $1 and key = $2 and ($8::bigint is null or version = $8)"
                        + " returning " + COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenantId, key, name, description, rule, tier.wire(),
                        tags.toArray(new String[0]), expectedVersion)))
                .map(rs -> rows(rs).stream().findFirst());
    }

    public Uni<Boolean> delete(long tenantId, String key, Long expectedVersion) {
        return pool.preparedQuery("delete from segment where tenant_id = $1 and key = $2"
                        + " and ($3::bigint is null or version = $3)")
                .execute(Tuple.of(tenantId, key, expectedVersion)).map(rs -> rs.rowCount() == 1);
    }

    /** Adds customers (given by id or external id) to a static segment; returns the ids that were new. */
    public Uni<List<Long>> addMembers(SqlConnection conn, long tenantId, long segmentId, List<Long> ids,
                                      List<String> externalIds) {
        return conn.preparedQuery("""
                        insert into segment_member (segment_id, customer_id, tenant_id)
                        select $2, c.id, c.tenant_id from customer c
                        where c.tenant_id = $1 and (c.id = any($3::bigint[]) or c.external_id = any($4::text[]))
                        on conflict do nothing returning customer_id""")
                .execute(Tuple.of(tenantId, segmentId, ids.toArray(new Long[0]), externalIds.toArray(new String[0])))
                .map(SegmentRepository::ids);
    }

    /** Removes customers from a static segment; returns the ids that were members. */
    public Uni<List<Long>> removeMembers(SqlConnection conn, long tenantId, long segmentId, List<Long> ids,
                                         List<String> externalIds) {
        return conn.preparedQuery("""
                        delete from segment_member m using customer c
                        where m.segment_id = $2 and m.tenant_id = $1 and c.id = m.customer_id and c.tenant_id = $1
                          and (c.id = any($3::bigint[]) or c.external_id = any($4::text[]))
                        returning m.customer_id""")
                .execute(Tuple.of(tenantId, segmentId, ids.toArray(new Long[0]), externalIds.toArray(new String[0])))
                .map(SegmentRepository::ids);
    }

    private static List<Long> ids(RowSet<Row> rs) {
        List<Long> list = new ArrayList<>();
        rs.forEach(r -> list.add(r.getLong(0)));
        return list;
    }

    /** Which of these references exist among the tenant's customers (to report the unknown ones). */
    public Uni<List<Object>> knownCustomers(long tenantId, List<Long> ids, List<String> externalIds) {
        return pool.preparedQuery("select id, external_id from customer where tenant_id = $1"
                        + " and (id = any($2::bigint[]) or external_id = any($3::text[]))")
                .execute(Tuple.of(tenantId, ids.toArray(new Long[0]), externalIds.toArray(new String[0])))
                .map(rs -> {
                    List<Object> known = new ArrayList<>();
                    rs.forEach(r -> {
                        known.add(r.getLong(0));
                        known.add(r.getString(1));
                    });
                    return known;
                });
    }

    private static List<SegmentRow> rows(RowSet<Row> rs) {
        List<SegmentRow> list = new ArrayList<>();
        for (Row r : rs) {
            String[] tags = r.getArrayOfStrings(7);
            list.add(new SegmentRow(r.getLong(0), r.getString(1), r.getString(2), r.getString(3),
                    SegmentKind.of(r.getString(4)), r.getString(5), SegmentTier.of(r.getString(6)), tags == null ? List.of() : Arrays.asList(tags),
                    r.getOffsetDateTime(8), r.getOffsetDateTime(9), r.getLong(10)));
        }
        return list;
    }
}
