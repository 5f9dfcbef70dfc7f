package dev.segments.report.service;

import dev.segments.common.csv.CsvCells;
import dev.segments.report.ReportDtos.SegmentReport;
import dev.segments.segment.InsightDtos.Bin;
import dev.segments.segment.InsightDtos.Comparison;
import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.ExitCause;
import dev.segments.segment.InsightDtos.FieldProfile;
import dev.segments.segment.InsightDtos.RfmCell;
import dev.segments.segment.InsightDtos.SegmentStanding;
import dev.segments.segment.InsightDtos.Standings;
import dev.segments.segment.InsightDtos.ValueShare;
import dev.segments.segment.MembershipDtos.SizePoint;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The reports as CSV (RFC 4180, UTF-8, a header row; every cell through {@link CsvCells#cell}, which neutralises a
 * text cell a spreadsheet would run as a formula and leaves numbers as they are). The overview is one row per
 * segment, with no empty figure (a segment
 * created within the 30 days: {@code size_30_days_ago} 0, {@code change_30_days} its size, {@code created_within_30_days}
 * true); the segment report is "long": one figure per row as {@code section,metric,item,value}, so every figure of
 * the JSON has its row and a spreadsheet can pivot it. Numbers are written as in the JSON (plain, no separators).
 */
final class ReportCsv {

    static final String[] OVERVIEW_HEADER = {"key", "name", "kind", "tier", "description", "rule", "size",
            "size_30_days_ago", "change_30_days", "revenue", "revenue_share", "current", "created_within_30_days"};
    static final String[] SEGMENT_HEADER = {"section", "metric", "item", "value"};

    private ReportCsv() {
    }

    static byte[] overview(Standings s) {
        List<String[]> rows = new ArrayList<>();
        rows.add(OVERVIEW_HEADER);
        for (SegmentStanding x : s.segments()) {
            // a segment created within the 30 days had no members then: 0, and the change is its size (JSON: null)
            boolean young = x.sizeThen() == null;
            rows.add(new String[]{x.key(), x.name(), x.kind(), x.tier(), x.description(), x.rule(), Long.toString(x.size()),
                    young ? "0" : str(x.sizeThen()), young ? Long.toString(x.size()) : str(x.change()), str(x.revenue()),
                    str(x.revenueShare()), Boolean.toString(x.current()), Boolean.toString(young)});
        }
        return write(rows);
    }

    static byte[] segment(SegmentReport r) {
        List<String[]> rows = new ArrayList<>();
        rows.add(SEGMENT_HEADER);
        add(rows, "segment", "key", null, r.key());
        add(rows, "segment", "name", null, r.name());
        add(rows, "segment", "kind", null, r.kind());
        add(rows, "segment", "tier", null, r.tier());
        add(rows, "segment", "description", null, r.description());
        add(rows, "segment", "rule", null, r.rule());
        add(rows, "segment", "generatedAt", null, r.generatedAt().toString());
        add(rows, "size", "members", null, r.size());
        add(rows, "size", "base", null, r.baseSize());
        add(rows, "size", "share", null, r.share());
        add(rows, "size", "source", null, r.profile().source());
        var ro = r.profile().rollups();
        add(rows, "rollups", "revenue.segment", null, ro.revenue().segment());
        add(rows, "rollups", "revenue.base", null, ro.revenue().base());
        add(rows, "rollups", "revenue.share", null, ro.revenue().share());
        comparison(rows, "revenuePerCustomer", ro.revenuePerCustomer());
        comparison(rows, "averageOrderValue", ro.averageOrderValue());
        comparison(rows, "purchaseFrequency", ro.purchaseFrequency());
        for (SizePoint p : r.history()) add(rows, "history", "size", p.date().toString(), p.size());
        for (FieldProfile f : r.profile().fields()) {
            String section = "profile:" + f.field();
            if (f.numeric() == null) {
                for (ValueShare v : f.values()) share(rows, section, v.value(), v);
                if (f.other() != null) share(rows, section, "(other)", f.other());
                if (f.notSet() != null) share(rows, section, "(not set)", f.notSet());
            } else {
                var n = f.numeric();
                add(rows, section, "count", null, n.count());
                add(rows, section, "notSet", null, n.notSet());
                if (n.quantiles() != null) {
                    add(rows, section, "p0", null, n.quantiles().p0());
                    add(rows, section, "p25", null, n.quantiles().p25());
                    add(rows, section, "p50", null, n.quantiles().p50());
                    add(rows, section, "p75", null, n.quantiles().p75());
                    add(rows, section, "p90", null, n.quantiles().p90());
                    add(rows, section, "p100", null, n.quantiles().p100());
                }
                add(rows, section, "mean", null, n.mean());
                add(rows, section, "baseMean", null, n.baseMean());
                add(rows, section, "index", null, n.index());
                for (Bin b : n.histogram()) add(rows, section, "bin", b.from().toPlainString() + ".." + b.to().toPlainString(), b.count());
            }
        }
        add(rows, "rfm", "computed", null, Boolean.toString(r.rfm().computed()));
        if (r.rfm().computed()) {
            add(rows, "rfm", "computedAt", null, r.rfm().computedAt() == null ? null : r.rfm().computedAt().toString());
            add(rows, "rfm", "scored", null, r.rfm().scored());
            add(rows, "rfm", "notScored", null, r.rfm().notScored());
            for (RfmCell c : r.rfm().cells()) {
                String cell = "R" + c.recency() + "F" + c.frequency();
                add(rows, "rfm", "members", cell, c.members());
                add(rows, "rfm", "share", cell, c.share());
                add(rows, "rfm", "base", cell, c.base());
                add(rows, "rfm", "baseShare", cell, c.baseShare());
                add(rows, "rfm", "index", cell, c.index());
                add(rows, "rfm", "monetary", cell, c.monetary());
            }
        }
        Effectiveness e = r.effectiveness();
        add(rows, "effectiveness", "from", null, e.from().toString());
        add(rows, "effectiveness", "to", null, e.to().toString());
        add(rows, "effectiveness", "window", null, e.window());
        add(rows, "effectiveness", "entered", null, e.entered());
        add(rows, "effectiveness", "conversion.converted", null, e.conversion().converted());
        add(rows, "effectiveness", "conversion.rate", null, e.conversion().rate());
        add(rows, "effectiveness", "conversion.revenue", null, e.conversion().revenue());
        add(rows, "effectiveness", "conversion.purchases", null, e.conversion().purchases());
        add(rows, "effectiveness", "conversion.revenuePerMember", null, e.conversion().revenuePerMember());
        add(rows, "effectiveness", "conversion.openWindows", null, e.conversion().openWindows());
        add(rows, "effectiveness", "baseline.customers", null, e.baseline().customers());
        add(rows, "effectiveness", "baseline.converted", null, e.baseline().converted());
        add(rows, "effectiveness", "baseline.rate", null, e.baseline().rate());
        add(rows, "effectiveness", "baseline.revenue", null, e.baseline().revenue());
        add(rows, "effectiveness", "baseline.revenuePerCustomer", null, e.baseline().revenuePerCustomer());
        add(rows, "effectiveness", "baseline.conversionLift", null, e.baseline().conversionLift());
        add(rows, "effectiveness", "baseline.revenueLift", null, e.baseline().revenueLift());
        add(rows, "effectiveness", "tenure.stays", null, e.tenure().stays());
        add(rows, "effectiveness", "tenure.completed", null, e.tenure().completed());
        add(rows, "effectiveness", "tenure.stillMembers", null, e.tenure().stillMembers());
        add(rows, "effectiveness", "tenure.medianDays", null, e.tenure().medianDays());
        add(rows, "effectiveness", "tenure.meanDays", null, e.tenure().meanDays());
        for (ExitCause c : e.exits()) add(rows, "effectiveness", "exits", c.cause(), c.count());
        return write(rows);
    }

    private static void comparison(List<String[]> rows, String name, Comparison c) {
        add(rows, "rollups", name + ".segment", null, c.segment());
        add(rows, "rollups", name + ".base", null, c.base());
        add(rows, "rollups", name + ".index", null, c.index());
    }

    private static void share(List<String[]> rows, String section, String item, ValueShare v) {
        add(rows, section, "count", item, v.count());
        add(rows, section, "share", item, v.share());
        add(rows, section, "baseCount", item, v.baseCount());
        add(rows, section, "baseShare", item, v.baseShare());
        add(rows, section, "index", item, v.index());
    }

    private static void add(List<String[]> rows, String section, String metric, String item, Object value) {
        rows.add(new String[]{section, metric, item == null ? "" : item, str(value)});
    }

    private static String str(Object x) {
        if (x == null) return "";
        if (x instanceof BigDecimal d) return d.toPlainString();
        return x.toString();
    }

    /** Every cell through {@link CsvCells#cell}: formula neutralisation for text, RFC 4180 quoting. */
    private static byte[] write(List<String[]> rows) {
        StringBuilder sb = new StringBuilder(rows.size() * 48);
        for (String[] row : rows) CsvCells.row(sb, row);
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }
}
