package dev.segments.report.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.ProblemException;
import dev.segments.report.ReportDtos.Rendered;
import dev.segments.report.ReportDtos.SegmentReport;
import dev.segments.segment.InsightDtos.Standings;
import dev.segments.segment.persistence.SegmentRow;
import dev.segments.segment.service.MembershipQueries;
import dev.segments.segment.service.SegmentInsights;
import dev.segments.segment.service.SegmentService;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.Supplier;

/**
 * The reports (docs/insight.md, "Reports"): a segment report (what the segment is, the rule in words, size and
 * history, profile, RFM grid, effectiveness) and the tenant overview (every segment, its size, change over 30 days
 * and revenue share), gathered from {@link SegmentInsights} and {@link MembershipQueries} as they are and rendered
 * as PDF, CSV or JSON. Gathering runs its statements one after another (each like an evaluation); rendering runs
 * on a worker thread, never on the event loop.
 */
@ApplicationScoped
public class ReportService {

    /** Days of size history in a segment report (today and the 89 days before). */
    public static final int HISTORY_DAYS = 90;
    /** The overview's "change over" period. */
    public static final int CHANGE_DAYS = 30;

    /** The steps of each report, in order; the last is rendering. */
    public static final List<String> SEGMENT_STEPS = List.of("segment", "profile", "history", "rfm", "effectiveness", "render");
    public static final List<String> OVERVIEW_STEPS = List.of("segments", "render");

    /** Told when a step starts ({@code done} steps finished before it); a job stores it as its progress. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (step, done) -> Uni.createFrom().voidItem();

        Uni<Void> step(String step, int done);
    }

    private final SegmentService segments;
    private final SegmentInsights insights;
    private final MembershipQueries membership;
    private final ObjectMapper mapper;

    ReportService(SegmentService segments, SegmentInsights insights, MembershipQueries membership, ObjectMapper mapper) {
        this.segments = segments;
        this.insights = insights;
        this.membership = membership;
        this.mapper = mapper;
    }

    /** The format named by a request (null: pdf); 422 with {@code pointer} for another. */
    public static String format(String format, String pointer) {
        String f = format == null || format.isBlank() ? "pdf" : format.strip().toLowerCase(java.util.Locale.ROOT);
        if (!dev.segments.report.ReportDtos.FORMATS.contains(f)) {
            throw ProblemException.validation(pointer, "unknown_format", "format must be pdf, csv or json");
        }
        return f;
    }

    // ------------------------------------------------------------------ the data

    /** The segment report's figures; 404 for an unknown segment. */
    public Uni<SegmentReport> segmentReport(long tenantId, String key, Progress progress) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return progress.step("segment", 0)
                .chain(() -> segments.row(tenantId, key))
                .chain(row -> segments.rules(tenantId).map(rules -> new Head(row, insights.ruleText(rules, row))))
                .chain(head -> progress.step("profile", 1).chain(() -> insights.profile(tenantId, key, null, null))
                        .chain(profile -> progress.step("history", 2)
                                .chain(() -> membership.history(tenantId, key, now.minusDays(HISTORY_DAYS - 1), now))
                                .chain(history -> progress.step("rfm", 3).chain(() -> insights.rfmGrid(tenantId, key))
                                        .chain(rfm -> progress.step("effectiveness", 4)
                                                .chain(() -> insights.effectiveness(tenantId, key, null, null, null))
                                                .map(eff -> {
                                                    SegmentRow r = head.row();
                                                    return new SegmentReport(now, r.key(), r.name(), r.kind().wire(),
                                                            r.tier().wire(), r.description(), head.rule(), profile.size(),
                                                            profile.baseSize(), profile.share(), history, profile, rfm, eff);
                                                })))));
    }

    private record Head(SegmentRow row, String rule) {
    }

    /** Every segment of the tenant with its size now, 30 days ago and its revenue share. */
    public Uni<Standings> overview(long tenantId, Progress progress) {
        return progress.step("segments", 0).chain(() -> insights.standings(tenantId, CHANGE_DAYS));
    }

    // ------------------------------------------------------------------ files

    /** The segment report as a file in {@code format} (pdf, csv, json). */
    public Uni<Rendered> segmentFile(long tenantId, String key, String format, Progress progress) {
        String f = format(format, "format");
        return segmentReport(tenantId, key, progress).chain(report -> progress.step("render", SEGMENT_STEPS.size() - 1)
                .chain(() -> render(() -> switch (f) {
                    case "pdf" -> new Rendered(SegmentReportPdf.render(report), "application/pdf", "segment-" + key + ".pdf");
                    case "csv" -> new Rendered(ReportCsv.segment(report), "text/csv", "segment-" + key + ".csv");
                    default -> new Rendered(json(report), "application/json", "segment-" + key + ".json");
                })));
    }

    /** The tenant overview as a file in {@code format}. */
    public Uni<Rendered> overviewFile(long tenantId, String format, Progress progress) {
        String f = format(format, "format");
        return overview(tenantId, progress).chain(standings -> progress.step("render", OVERVIEW_STEPS.size() - 1)
                .chain(() -> render(() -> switch (f) {
                    case "pdf" -> new Rendered(OverviewPdf.render(standings), "application/pdf", "segments.pdf");
                    case "csv" -> new Rendered(ReportCsv.overview(standings), "text/csv", "segments.csv");
                    default -> new Rendered(json(standings), "application/json", "segments.json");
                })));
    }

    /** Draws on a worker thread (charts and PDF are CPU work, never on the event loop). */
    private static Uni<Rendered> render(Supplier<Rendered> work) {
        return Uni.createFrom().item(work).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private byte[] json(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
