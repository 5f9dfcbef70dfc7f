package dev.segments.report.service;

import dev.segments.report.ReportDtos.SegmentReport;
import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.ExitCause;
import dev.segments.segment.InsightDtos.FieldProfile;
import dev.segments.segment.InsightDtos.Rollups;
import org.apache.pdfbox.pdmodel.common.PDRectangle;

import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/** The segment report as a PDF: A4 portrait, the figures as text and the charts as images. */
final class SegmentReportPdf {

    static final DateTimeFormatter WHEN = DateTimeFormatter.ofPattern("d MMM yyyy HH:mm 'UTC'", java.util.Locale.ENGLISH);
    static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMM yyyy", java.util.Locale.ENGLISH);

    private SegmentReportPdf() {
    }

    static byte[] render(SegmentReport r) {
        try (PdfDocument pdf = new PdfDocument(PDRectangle.A4, "Segment report: " + r.name(),
                "Segment report " + r.key() + ", " + WHEN.format(r.generatedAt()))) {
            int w = (int) pdf.width();
            pdf.title("Segment report: " + r.name(), "key " + r.key() + "  |  " + r.kind() + " segment, tier " + r.tier()
                    + "  |  generated " + WHEN.format(r.generatedAt()));
            if (r.description() != null && !r.description().isBlank()) pdf.paragraph(r.description());

            pdf.heading("The rule in words");
            pdf.paragraph(r.rule() == null ? "Static segment: its members are added and removed by hand." : r.rule());

            pdf.heading("Size");
            Rollups ro = r.profile().rollups();
            List<String[]> size = new ArrayList<>();
            size.add(new String[]{"Members now", Texts.number(r.size())});
            size.add(new String[]{"Customers in the base", Texts.number(r.baseSize())});
            size.add(new String[]{"Share of the base", Texts.percent(r.share())});
            size.add(new String[]{"Revenue (all time)", Texts.number(ro.revenue().segment()) + " of "
                    + Texts.number(ro.revenue().base()) + " (" + Texts.percent(ro.revenue().share()) + ")"});
            size.add(comparison("Revenue per customer", ro.revenuePerCustomer()));
            size.add(comparison("Average order value", ro.averageOrderValue()));
            size.add(comparison("Purchases per customer", ro.purchaseFrequency()));
            size.add(new String[]{"Members read from", r.profile().source()});
            pdf.keyValues(size);
            pdf.image(Charts.history(r.history(), w, 190), w, 190);

            pdf.heading("Profile");
            pdf.note("Each value's share of the members next to its share of the whole base; numbers as a histogram.");
            for (FieldProfile f : r.profile().fields()) {
                int h = f.numeric() != null ? 190 : 90 + 28 * Math.max(1, f.values().size());
                if (f.numeric() == null && f.values().isEmpty()) {
                    pdf.paragraph(f.label() + ": no member has a value.");
                    continue;
                }
                if (f.numeric() != null && f.numeric().histogram().isEmpty()) {
                    pdf.paragraph(f.label() + ": no member has a value.");
                    continue;
                }
                pdf.image(Charts.profile(f, w, h), w, h);
                if (f.numeric() != null && f.numeric().quantiles() != null) {
                    var q = f.numeric().quantiles();
                    pdf.note(f.label() + ": median " + Texts.number(q.p50()) + ", p25 " + Texts.number(q.p25()) + ", p75 "
                            + Texts.number(q.p75()) + ", mean " + Texts.number(f.numeric().mean()) + " (base "
                            + Texts.number(f.numeric().baseMean()) + ", index " + Texts.number(f.numeric().index()) + ")");
                }
            }

            pdf.heading("RFM grid");
            if (!r.rfm().computed()) {
                pdf.paragraph("RFM not computed: the tenant's RFM model has scored no customer yet (PUT /analytics/rfm, "
                        + "then POST /analytics/rfm/recompute).");
            } else {
                pdf.image(Charts.rfm(r.rfm(), 420, 320), 420, 320);
                pdf.note(Texts.number(r.rfm().scored()) + " members scored, " + Texts.number(r.rfm().notScored())
                        + " not scored (no purchase in the model's window); scored "
                        + (r.rfm().computedAt() == null ? "-" : WHEN.format(r.rfm().computedAt())) + ".");
            }

            Effectiveness e = r.effectiveness();
            pdf.heading("Effectiveness");
            pdf.note("Customers who entered between " + DAY.format(e.from()) + " and " + DAY.format(e.to())
                    + " (exclusive); a purchase within " + e.window() + " after entering counts.");
            List<String[]> eff = new ArrayList<>();
            eff.add(new String[]{"Entered", Texts.number(e.entered())});
            eff.add(new String[]{"Converted", Texts.number(e.conversion().converted()) + " (" + Texts.percent(e.conversion().rate()) + ")"});
            eff.add(new String[]{"Revenue in the window", Texts.number(e.conversion().revenue()) + " from "
                    + Texts.number(e.conversion().purchases()) + " purchases"});
            eff.add(new String[]{"Revenue per member", Texts.number(e.conversion().revenuePerMember())});
            eff.add(new String[]{"Baseline (non-members)", Texts.number(e.baseline().customers()) + " customers, "
                    + Texts.percent(e.baseline().rate()) + " converted, " + Texts.number(e.baseline().revenuePerCustomer())
                    + " per customer"});
            eff.add(new String[]{"Conversion lift", Texts.number(e.baseline().conversionLift())});
            eff.add(new String[]{"Revenue lift", Texts.number(e.baseline().revenueLift())});
            eff.add(new String[]{"Stays begun", Texts.number(e.tenure().stays()) + " (" + Texts.number(e.tenure().completed())
                    + " ended, " + Texts.number(e.tenure().stillMembers()) + " still members)"});
            eff.add(new String[]{"Median stay", e.tenure().medianDays() == null ? "-" : Texts.number(e.tenure().medianDays()) + " days"});
            StringBuilder exits = new StringBuilder();
            for (ExitCause c : e.exits()) {
                if (!exits.isEmpty()) exits.append(", ");
                exits.append(c.cause().replace('_', ' ')).append(": ").append(Texts.number(c.count()));
            }
            eff.add(new String[]{"Why they left", exits.isEmpty() ? "-" : exits.toString()});
            if (e.conversion().openWindows() > 0) {
                eff.add(new String[]{"Windows still open", Texts.number(e.conversion().openWindows())});
            }
            pdf.keyValues(eff);
            return pdf.bytes();
        }
    }

    private static String[] comparison(String label, dev.segments.segment.InsightDtos.Comparison c) {
        return new String[]{label, Texts.number(c.segment()) + " (base " + Texts.number(c.base()) + ", index "
                + Texts.number(c.index()) + ")"};
    }
}
