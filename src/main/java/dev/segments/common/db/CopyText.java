package dev.segments.common.db;

import java.util.List;

/**
 * PostgreSQL's COPY text format, as the imports write their staging rows (activity and customer imports): fields
 * separated by tabs, {@code \N} for null, backslash, tab and line breaks escaped; and the literal of a {@code text[]}.
 */
public final class CopyText {

    private CopyText() {
    }

    /**
     * Appends one field to a row: a tab first unless the row is still empty, then {@code \N} for null, else the value
     * ({@code toString()}) with backslash, tab and line breaks escaped.
     */
    public static void field(StringBuilder row, Object value) {
        if (row.length() > 0) {
            row.append('\t');
        }
        if (value == null) {
            row.append("\\N");
            return;
        }
        String s = value.toString();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> row.append("\\\\");
                case '\t' -> row.append("\\t");
                case '\n' -> row.append("\\n");
                case '\r' -> row.append("\\r");
                default -> row.append(ch);
            }
        }
    }

    /** A {@code text[]} literal: every element quoted, backslash and double quote escaped; null stays null. */
    public static String array(List<String> values) {
        if (values == null) {
            return null;
        }
        StringBuilder a = new StringBuilder("{");
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                a.append(',');
            }
            a.append('"');
            String v = values.get(i);
            for (int j = 0; j < v.length(); j++) {
                char ch = v.charAt(j);
                if (ch == '"' || ch == '\\') {
                    a.append('\\');
                }
                a.append(ch);
            }
            a.append('"');
        }
        return a.append('}').toString();
    }
}
