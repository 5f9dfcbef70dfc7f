package dev.segments.segment.service;

import dev.segments.common.error.ProblemException;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.segment.MembershipDtos.Change;
import dev.segments.segment.MembershipDtos.ChangePage;
import dev.segments.segment.MembershipDtos.Freshness;
import dev.segments.segment.MembershipDtos.HistoricMember;
import dev.segments.segment.MembershipDtos.HistoricMemberPage;
import dev.segments.segment.MembershipDtos.RefreshResult;
import dev.segments.segment.MembershipDtos.SizePoint;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.persistence.SegmentRepository;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reading live membership: freshness, the change feed, members at a past time, size over time; refresh on demand. */
@ApplicationScoped
public class MembershipQueries {

    /** Most daily points one history request returns. */
    static final int MAX_DAYS = 1000;

    private final MembershipRepository repository;
    private final SegmentRepository segments;
    private final MembershipService membership;

    MembershipQueries(MembershipRepository repository, SegmentRepository segments, MembershipService membership) {
        this.repository = repository;
        this.segments = segments;
        this.membership = membership;
    }

    public Uni<Freshness> freshness(long tenantId, String key) {
        return segment(tenantId, key).chain(s -> freshness(tenantId, List.of(s)).map(m -> m.get(s.key())));
    }

    /** Freshness of several segments of the tenant, in one query. */
    public Uni<Map<String, Freshness>> freshness(long tenantId, Collection<SegmentRow> rows) {
        return repository.states(tenantId).map(states -> {
            Map<Long, MembershipRepository.State> byId = new HashMap<>();
            states.forEach(st -> byId.put(st.segmentId(), st));
            Map<String, Freshness> result = new HashMap<>();
            for (SegmentRow row : rows) {
                MembershipRepository.State st = row.isStatic() ? null : byId.get(row.id());
                result.put(row.key(), st == null ? new Freshness(true, null, null, null, null, null)
                        : new Freshness(true, st.lastEvaluatedAt(), st.evaluationMs(), st.memberCount(),
                        st.driftIntervalMs() == null ? null : Duration.ofMillis(st.driftIntervalMs()).toString(),
                        st.nextRefreshAt()));
            }
            return result;
        });
    }

    /** On-demand full evaluation of a dynamic segment (cause refresh). */
    public Uni<RefreshResult> refresh(long tenantId, String key) {
        return segment(tenantId, key).chain(s -> {
            if (s.isStatic()) {
                return Uni.createFrom().failure(new ProblemException(dev.segments.common.error.ProblemType.CONFLICT,
                        "Segment '" + key + "' is static: its members change only when added or removed"));
            }
            return membership.refresh(tenantId, key, "refresh").chain(diff -> freshness(tenantId, key)
                    .map(f -> new RefreshResult(key, diff.entered(), diff.exited(), f)));
        });
    }

    /**
     * On-demand full evaluation of all of the tenant's dynamic segments in one shared evaluation (cause refresh):
     * one result per dynamic segment, every segment after those it references.
     */
    public Uni<List<RefreshResult>> refreshAll(long tenantId) {
        return membership.refreshAll(tenantId, "refresh").chain(diffs -> segments.listAll(tenantId)
                .chain(rows -> freshness(tenantId, rows.stream().filter(row -> diffs.containsKey(row.key())).toList()))
                .map(fresh -> diffs.entrySet().stream().map(e -> new RefreshResult(e.getKey(), e.getValue().entered(),
                        e.getValue().exited(), fresh.get(e.getKey()))).toList()));
    }

    /** The tenant's change feed (of one segment when key is given), in order, after a cursor. */
    public Uni<ChangePage> changes(long tenantId, String key, PageRequest page) {
        Uni<Long> segmentId = key == null ? Uni.createFrom().nullItem() : segment(tenantId, key).map(SegmentRow::id);
        long after = page.afterId();
        return segmentId.chain(id -> repository.changes(tenantId, id, after, page.limit() + 1)).map(rows -> {
            boolean more = rows.size() > page.limit();
            List<MembershipRepository.Change> items = more ? rows.subList(0, page.limit()) : rows;
            long last = items.isEmpty() ? after : items.get(items.size() - 1).id();
            return new ChangePage(items.stream().map(c -> new Change(Cursors.encodeId(c.id()), c.segmentKey(),
                    c.customerId(), c.customerExternalId(), c.kind(), c.cause(), c.at(), c.flippedNodes())).toList(),
                    Cursors.encodeId(last), more);
        });
    }

    /** Who was a member at time {@code at}, from the recorded changes, in customer id order. */
    public Uni<HistoricMemberPage> membersAt(long tenantId, String key, OffsetDateTime at, PageRequest page) {
        dev.segments.common.http.DateParams.requireInRange(at, "at");
        return segment(tenantId, key).chain(s -> repository.membersAt(tenantId, s.id(), at, page.afterId(), page.limit() + 1))
                .map(rows -> {
                    List<HistoricMember> members = new ArrayList<>();
                    rows.forEach(r -> members.add(new HistoricMember((Long) r[0], (String) r[1])));
                    Page<HistoricMember> p = Page.fromOverfetch(members, page.limit(), m -> Cursors.encodeId(m.id()));
                    return new HistoricMemberPage(p.items(), p.nextCursor());
                });
    }

    /** The segment's size at the end of each UTC day from {@code from} to {@code to} (default: the last 30 days). */
    public Uni<List<SizePoint>> history(long tenantId, String key, OffsetDateTime from, OffsetDateTime to) {
        dev.segments.common.http.DateParams.requireInRange(from, "from");
        OffsetDateTime end = to == null ? OffsetDateTime.now(ZoneOffset.UTC) : dev.segments.common.http.DateParams.requireInRange(to, "to");
        OffsetDateTime start = from == null ? end.minusDays(29) : from;
        if (start.isAfter(end)) {
            throw ProblemException.validation("from", "invalid_range", "from must not be after to");
        }
        if (ChronoUnit.DAYS.between(start.toLocalDate(), end.toLocalDate()) >= MAX_DAYS) {
            throw ProblemException.validation("from", "invalid_range", "at most " + MAX_DAYS + " days per request");
        }
        return segment(tenantId, key).chain(s -> repository.dailySizes(tenantId, s.id(), start, end))
                .map(rows -> rows.stream().map(r -> new SizePoint((java.time.LocalDate) r[0], (Long) r[1])).toList());
    }

    private Uni<SegmentRow> segment(long tenantId, String key) {
        return segments.find(tenantId, key).map(r -> r.orElseThrow(() -> SegmentService.notFound(key)));
    }
}
