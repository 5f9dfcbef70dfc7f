package dev.segments.report.service;

import dev.segments.segment.InsightDtos.SegmentStanding;
import dev.segments.segment.InsightDtos.Standings;
import org.apache.pdfbox.pdmodel.common.PDRectangle;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The tenant overview as a PDF: A4 landscape, the sizes as bars, then the table of every segment. */
final class OverviewPdf {

    /** Segments in the size chart (the largest). */
    static final int CHART_SEGMENTS = 20;

    private OverviewPdf() {
    }

    static byte[] render(Standings s) {
        PDRectangle landscape = new PDRectangle(PDRectangle.A4.getHeight(), PDRectangle.A4.getWidth());
        try (PdfDocument pdf = new PdfDocument(landscape, "Segments", "Segments overview, "
                + SegmentReportPdf.WHEN.format(s.evaluatedAt()))) {
            int w = (int) pdf.width();
            pdf.title("Segments", s.segments().size() + " segments  |  " + Texts.number(s.baseSize()) + " customers, revenue "
                    + Texts.number(s.baseRevenue()) + "  |  generated " + SegmentReportPdf.WHEN.format(s.evaluatedAt()));
            if (!s.segments().isEmpty()) {
                List<SegmentStanding> largest = s.segments().stream()
                        .sorted(Comparator.comparingLong(SegmentStanding::size).reversed().thenComparing(SegmentStanding::key))
                        .limit(CHART_SEGMENTS).toList();
                int h = Math.min(380, Math.max(150, 70 + 18 * largest.size()));
                pdf.image(Charts.bars("Members per segment" + (s.segments().size() > CHART_SEGMENTS ? " (the "
                                + CHART_SEGMENTS + " largest)" : ""), "members",
                        largest.stream().map(SegmentStanding::key).toList(),
                        largest.stream().map(SegmentStanding::size).toList(), w, h), w, h);
            }
            List<String[]> rows = new ArrayList<>();
            for (SegmentStanding x : s.segments()) {
                rows.add(new String[]{x.key(), x.name(), x.tier(), Texts.orDash(x.description()),
                        x.rule() == null ? "(static: members added by hand)" : x.rule(),
                        Texts.number(x.size()) + (x.current() ? "" : " *"), Texts.change(x.change()), Texts.percent(x.revenueShare())});
            }
            pdf.table(new float[]{0.10f, 0.12f, 0.07f, 0.15f, 0.33f, 0.08f, 0.07f, 0.08f},
                    new String[]{"Key", "Name", "Tier", "Description", "Rule in words", "Size", "30 days", "Revenue"}, rows, 8.5f);
            pdf.note("Size: members now (materialized membership; * refresh due). 30 days: the change against the size on "
                    + SegmentReportPdf.DAY.format(s.since()) + " from the change feed (new: created since). Revenue: the members' "
                    + "share of all customers' total spend.");
            return pdf.bytes();
        }
    }
}
