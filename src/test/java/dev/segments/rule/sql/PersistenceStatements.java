package dev.segments.rule.sql;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The SQL statements written in the production persistence classes ({@code src/main/java/dev/segments/**}/persistence),
 * read from their source: each string expression made of literals (text blocks and strings joined with {@code +}),
 * with the {@code static final String} constants of the same file put in. A statement is an expression that starts
 * with select, with, update, delete or insert; {@code dynamic} when a piece of it is computed at run time (then
 * {@link #sql} has {@code ?dynamic?} in its place, or it is a template filled by {@code formatted} or {@code replace}).
 * JDBC's {@code ?} parameters become {@code $1, $2, ...}.
 */
record PersistenceStatements(String file, int line, String sql, boolean dynamic) {

    static final Path ROOT = Path.of("src/main/java/dev/segments");
    private static final Pattern STATEMENT = Pattern.compile("^\\s*(select|with|update|delete|insert)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern CONSTANT = Pattern.compile("static\\s+final\\s+String\\s+([A-Z_][A-Z0-9_]*)\\s*=\\s*$");
    private static final Pattern GAP_CONSTANT = Pattern.compile("\\s*\\+\\s*([A-Z_][A-Z0-9_]*)\\s*\\+\\s*");
    private static final Pattern LEADING_CONSTANT = Pattern.compile("\\b([A-Z_][A-Z0-9_]*)\\s*\\+\\s*$");

    /** Whether a constant is joined to literals somewhere in the file (then it is a piece, not a statement). */
    private static boolean usedAsFragment(String src, String constant) {
        return Pattern.compile("\\b" + constant + "\\s*\\+\\s*\"|\"\\s*\\+\\s*" + constant + "\\b").matcher(src).find();
    }

    /** A string literal's text and where it stands in the source. */
    private record Literal(int start, int end, String text) {
    }

    static List<PersistenceStatements> all() {
        List<PersistenceStatements> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT)) {
            for (Path f : files.filter(p -> p.getParent().getFileName().toString().equals("persistence")
                    && p.toString().endsWith(".java")).sorted().toList()) {
                out.addAll(of(ROOT.relativize(f).toString(), Files.readString(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static List<PersistenceStatements> of(String file, String src) {
        List<Literal> literals = literals(src);
        // chains: literals joined by +, a same-file constant between two of them resolved in a second pass
        List<int[]> chains = new ArrayList<>(); // [first literal, last literal]
        for (int i = 0; i < literals.size(); i++) {
            if (!chains.isEmpty()) {
                int[] last = chains.get(chains.size() - 1);
                String between = src.substring(literals.get(last[1]).end(), literals.get(i).start());
                if (between.strip().equals("+") || GAP_CONSTANT.matcher(between).matches()
                        || between.matches("(?s)\\s*\\+[^;{}\"]*\\+\\s*")) {
                    last[1] = i;
                    continue;
                }
            }
            chains.add(new int[]{i, i});
        }
        Map<String, String> constants = new HashMap<>();
        List<PersistenceStatements> statements = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            for (int[] chain : chains) {
                StringBuilder sql = new StringBuilder();
                boolean dynamic = false;
                for (int i = chain[0]; i <= chain[1]; i++) {
                    if (i > chain[0]) {
                        String between = src.substring(literals.get(i - 1).end(), literals.get(i).start());
                        Matcher m = GAP_CONSTANT.matcher(between);
                        if (!between.strip().equals("+")) {
                            if (m.matches() && constants.containsKey(m.group(1))) {
                                sql.append(constants.get(m.group(1)));
                            } else {
                                sql.append(" ?dynamic? ");
                                dynamic = true;
                            }
                        }
                    }
                    sql.append(literals.get(i).text());
                }
                Literal first = literals.get(chain[0]);
                // what follows the chain: a constant after it (X + " ..." is a suffix we cannot see)
                String after = src.substring(literals.get(chain[1]).end(), Math.min(src.length(), literals.get(chain[1]).end() + 40));
                String before = src.substring(Math.max(0, first.start() - 200), first.start());
                Matcher c = CONSTANT.matcher(before);
                if (pass == 0) {
                    if (c.find() && after.strip().startsWith(";")) {
                        constants.put(c.group(1), sql.toString());
                    }
                    continue;
                }
                if (c.find() && after.strip().startsWith(";") && usedAsFragment(src, c.group(1))) {
                    continue; // a piece of other statements (a common table, a select list): checked in them
                }
                // a same-file constant in front (CHECK + """ ... """): put in
                Matcher lead = LEADING_CONSTANT.matcher(before);
                if (lead.find() && constants.containsKey(lead.group(1))) {
                    sql.insert(0, constants.get(lead.group(1)));
                    before = before.substring(0, lead.start());
                }
                if (!STATEMENT.matcher(sql).find()) {
                    continue;
                }
                // a statement continued by computed text after its last literal, or preceded by some
                if (after.matches("(?s)\\s*(\\+|\\.formatted\\(|\\.replace\\().*") || before.matches("(?s).*\\+\\s*$")) {
                    dynamic = true;
                }
                statements.add(new PersistenceStatements(file, lineOf(src, first.start()), jdbcToDollar(sql.toString()), dynamic));
            }
        }
        return statements;
    }

    private static int lineOf(String src, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (src.charAt(i) == '\n') line++;
        }
        return line;
    }

    /** JDBC's ? parameters as $1, $2, ... (outside quotes; the statements use no ? operator). */
    static String jdbcToDollar(String sql) {
        if (sql.contains("$1")) {
            return sql;
        }
        StringBuilder out = new StringBuilder();
        int n = 0;
        boolean quoted = false;
        for (int i = 0; i < sql.length(); i++) {
            char ch = sql.charAt(i);
            if (ch == '\'') quoted = !quoted;
            if (ch == '?' && !quoted && !sql.startsWith("?dynamic?", i) && !(i >= 8 && sql.startsWith("?dynamic?", i - 8))) {
                out.append('$').append(++n);
            } else {
                out.append(ch);
            }
        }
        return out.toString();
    }

    /** Every string literal and text block outside comments and char literals, unescaped. */
    private static List<Literal> literals(String src) {
        List<Literal> out = new ArrayList<>();
        int i = 0;
        int n = src.length();
        while (i < n) {
            char ch = src.charAt(i);
            if (ch == '/' && i + 1 < n && src.charAt(i + 1) == '/') {
                i = src.indexOf('\n', i);
                if (i < 0) break;
            } else if (ch == '/' && i + 1 < n && src.charAt(i + 1) == '*') {
                i = src.indexOf("*/", i + 2) + 2;
            } else if (ch == '\'') {
                int j = i + 1;
                while (src.charAt(j) != '\'') j += src.charAt(j) == '\\' ? 2 : 1;
                i = j + 1;
            } else if (src.startsWith("\"\"\"", i)) {
                int j = src.indexOf("\"\"\"", i + 3);
                while (src.charAt(j - 1) == '\\') j = src.indexOf("\"\"\"", j + 1);
                String body = src.substring(src.indexOf('\n', i) + 1, j);
                out.add(new Literal(i, j + 3, unescape(body.stripIndent())));
                i = j + 3;
            } else if (ch == '"') {
                int j = i + 1;
                while (src.charAt(j) != '"') j += src.charAt(j) == '\\' ? 2 : 1;
                out.add(new Literal(i, j + 1, unescape(src.substring(i + 1, j))));
                i = j + 1;
            } else {
                i++;
            }
        }
        return out;
    }

    private static String unescape(String s) {
        return s.replace("\\\n", "").translateEscapes();
    }

    String where() {
        return file + ":" + line;
    }

    String key() {
        return String.join(" ", sql.toLowerCase(Locale.ROOT).split("\\s+")).strip();
    }
}
