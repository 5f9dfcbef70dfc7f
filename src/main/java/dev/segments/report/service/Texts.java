package dev.segments.report.service;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/** How the reports write figures for people: thousands separators, percents, short labels. */
final class Texts {

    private Texts() {
    }

    /** 1,234.5 (up to 4 decimals, as the figures are rounded); "-" for none. */
    static String number(BigDecimal x) {
        if (x == null) return "-";
        DecimalFormat f = new DecimalFormat("#,##0.####", DecimalFormatSymbols.getInstance(Locale.ROOT));
        f.setRoundingMode(RoundingMode.HALF_EVEN);
        return f.format(x);
    }

    static String number(long x) {
        return number(BigDecimal.valueOf(x));
    }

    /** A share as a percent with one decimal: 0.2513 -> 25.1 %; "-" for none. */
    static String percent(BigDecimal share) {
        if (share == null) return "-";
        return share.multiply(BigDecimal.valueOf(100)).setScale(1, RoundingMode.HALF_EVEN).toPlainString() + " %";
    }

    /** A signed change: +12, -3, 0; "new" when there is nothing to compare with. */
    static String change(Long change) {
        if (change == null) return "new";
        return (change > 0 ? "+" : "") + number(change);
    }

    static String orDash(String s) {
        return s == null || s.isBlank() ? "-" : s;
    }

    static String shorten(String s, int max) {
        if (s == null) return "(none)";
        return s.length() <= max ? s : s.substring(0, max - 1) + "…";
    }
}
