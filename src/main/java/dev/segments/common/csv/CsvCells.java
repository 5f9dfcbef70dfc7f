package dev.segments.common.csv;

import java.util.regex.Pattern;

/**
 * The one place a CSV cell the service writes is escaped (every CSV download: {@code members.csv}, the segment report
 * and the tenant overview as CSV, report job files in CSV). Two things happen to a value, in this order:
 * <ol>
 *   <li><b>Formula neutralisation</b> (OWASP "CSV injection"): a cell that starts with {@code =}, {@code +},
 *   {@code -}, {@code @}, a tab or a carriage return is prefixed with a single quote {@code '}, so that a spreadsheet
 *   shows it as text instead of running it as a formula, unless the whole cell is a plain number
 *   ({@code -12.50}, {@code +3}, {@code -1E+5}): a number is not a formula, and a negative amount stays a number.</li>
 *   <li><b>RFC 4180 quoting</b>: a cell holding a comma, a double quote, a line feed or a carriage return is written
 *   between double quotes, with each double quote doubled.</li>
 * </ol>
 * {@code null} is the empty cell. docs/security.md, "CSV downloads".
 */
public final class CsvCells {

    /** A plain decimal number, as {@code BigDecimal.toPlainString}, {@code Long.toString} or a JSON number writes it. */
    private static final Pattern NUMBER = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");

    private CsvCells() {
    }

    /** One cell, neutralised and quoted: the only cell escaping the service's CSV writers use. */
    public static String cell(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        String v = formulaLike(value) ? "'" + value : value;
        if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
            return "\"" + v.replace("\"", "\"\"") + "\"";
        }
        return v;
    }

    /** A record: the cells escaped by {@link #cell}, separated by commas, ended by a line feed. */
    public static String row(String... cells) {
        StringBuilder sb = new StringBuilder();
        row(sb, cells);
        return sb.toString();
    }

    /** Appends a record (see {@link #row(String...)}). */
    public static void row(StringBuilder sb, String... cells) {
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(cell(cells[i]));
        }
        sb.append('\n');
    }

    /** Whether a spreadsheet would read the cell as a formula: it starts with = + - @ tab or CR and is no number. */
    static boolean formulaLike(String v) {
        char first = v.charAt(0);
        return switch (first) {
            case '=', '@', '\t', '\r' -> true;
            case '+', '-' -> !NUMBER.matcher(v).matches();
            default -> false;
        };
    }
}
