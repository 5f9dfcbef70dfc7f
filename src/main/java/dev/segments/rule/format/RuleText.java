package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldCatalog.StreamDef;
import dev.segments.rule.FieldCatalog.StreamWords;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import dev.segments.rule.RuleLimits;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import dev.segments.rule.Typing;
import dev.segments.rule.Value;
import dev.segments.rule.Values;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A rule as a readable English sentence: "bought in the last 90 days and spent more than 1,000 in the last 365 days
 * and had at least 2 consultations before their last purchase". Driven by the catalog's words for each field and
 * stream ({@link FieldDef.Words}, {@link StreamWords}); nothing here switches on a field's name. The sentence says
 * exactly what the rule means (docs/insight.md, "A rule in words"):
 * <ul>
 *   <li>{@code and}/{@code or} join their children; a group inside a group is in parentheses, and a group of one
 *       child is that child;</li>
 *   <li>{@code not} is folded into its leaf ("is not", "did not buy", "not a member of"), which is exact under the
 *       two-valued semantics (a negating operator is the complement of its positive one), so {@code not not X} reads
 *       as X; {@code not} over a group reads "not (...)";</li>
 *   <li>an aggregate's {@code where} becomes the rows' noun (the stream's kind field: "consultations"), time
 *       qualifiers ("before their last purchase", "in the last 30 days") and "where ..." for the rest;</li>
 *   <li>values: strings in double quotes, numbers with thousands separators as written, dates "1 May 2024",
 *       instants in UTC "1 May 2024 10:00 UTC", durations "the last 90 days", refs "their last purchase".</li>
 * </ul>
 * Fields or streams the catalog no longer knows (a stored rule naming a removed attribute) read as their names in
 * words. Plain Java, no state: safe to share.
 */
public final class RuleText {

    /** Structural parse of stored rules: they were valid when saved, so be generous with limits. */
    private static final RuleParser PARSER =
            new RuleParser(new RuleLimits(64, 100_000, 1_000_000, 64 * 1024 * 1024, 100_000));
    private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("d MMMM uuuu", Locale.ENGLISH);
    private static final Pattern DURATION = Pattern.compile(
            "^P(?:(\\d+)Y)?(?:(\\d+)M)?(?:(\\d+)W)?(?:(\\d+)D)?(?:T(?:(\\d+)H)?(?:(\\d+)M)?(?:(\\d+)S)?)?$");
    private static final String[] UNITS = {"year", "month", "week", "day", "hour", "minute", "second"};

    private final FieldCatalog catalog;
    private final Function<String, Optional<String>> segmentNames;

    private RuleText(FieldCatalog catalog, Function<String, Optional<String>> segmentNames) {
        this.catalog = Objects.requireNonNull(catalog);
        this.segmentNames = segmentNames == null ? k -> Optional.empty() : segmentNames;
    }

    /**
     * The sentence of a native rule (as stored).
     *
     * @param segmentNames a segment's name by key, for segment references (empty: the key is shown)
     * @throws dev.segments.rule.InvalidRuleException if the rule is not a structurally valid native rule
     */
    public static String of(JsonNode nativeRule, FieldCatalog catalog, Function<String, Optional<String>> segmentNames) {
        return of(PARSER.parse(nativeRule), catalog, segmentNames);
    }

    /** The sentence of a parsed rule. */
    public static String of(RuleNode rule, FieldCatalog catalog, Function<String, Optional<String>> segmentNames) {
        return new RuleText(catalog, segmentNames).node(rule, null, false, false);
    }

    // ------------------------------------------------------------------ nodes

    /** nested: the node is a child of a group (a group then needs parentheses); stream: the where's stream. */
    private String node(RuleNode n, StreamDef stream, boolean negated, boolean nested) {
        return switch (n) {
            case RuleNode.Group g -> {
                if (g.children().size() == 1) yield node(g.children().get(0), stream, negated, nested);
                String joiner = g.combinator() == RuleNode.Combinator.AND ? " and " : " or ";
                List<String> parts = new ArrayList<>();
                for (RuleNode child : g.children()) parts.add(node(child, stream, false, true));
                String text = String.join(joiner, parts);
                yield negated ? "not (" + text + ")" : nested ? "(" + text + ")" : text;
            }
            case RuleNode.Not not -> node(not.child(), stream, !negated, nested);
            case RuleNode.Condition c -> condition(c, stream, negated);
            case RuleNode.Aggregate a -> aggregate(a, negated);
            case RuleNode.SegmentRef s -> (negated ? "not a member of segment " : "member of segment ")
                    + quote(segmentNames.apply(s.key()).orElse(s.key()));
        };
    }

    /** An operator and whether it is said negated, with negating operators turned into their positive ones. */
    private record Op(Operator op, boolean negated) {
        static Op of(Operator op, boolean negated) {
            Operator positive = switch (op) {
                case NEQ -> Operator.EQ;
                case NOT_IN -> Operator.IN;
                case NOT_CONTAINS -> Operator.CONTAINS;
                case HAS_NONE -> Operator.HAS_ANY;
                case NOT_WITHIN -> Operator.WITHIN;
                case IS_NOT_SET -> Operator.IS_SET;
                case IS_SET, EQ, IN, CONTAINS, STARTS_WITH, ENDS_WITH, GT, GTE, LT, LTE, BETWEEN, BEFORE, AFTER,
                     WITHIN, HAS_ANY, HAS_ALL -> op;
            };
            return new Op(positive, negated != (positive != op));
        }
    }

    private String condition(RuleNode.Condition c, StreamDef stream, boolean negated) {
        Optional<FieldDef> fd = stream == null ? catalog.customerField(c.field()) : stream.field(c.field());
        FieldType type = fd.isPresent() ? Typing.conditionType(fd.get(), c.op(), c.value()).orElse(null)
                : Typing.inferFromValue(c.op(), c.value());
        Op op = Op.of(c.op(), negated);
        if (op.op() == Operator.WITHIN && fd.isPresent() && fd.get().words().hasVerb()) {
            FieldDef.Words w = fd.get().words();
            return (op.negated() ? w.didNot() : w.did()) + " in " + duration(c.value());
        }
        String label = fd.map(FieldDef::label).orElseGet(() -> unknown(c.field()));
        return label + " " + comparison(type, op, c.value());
    }

    /** What follows the subject: "is \"Moscow\"", "was in the last 90 days", "include any of ...". */
    private String comparison(FieldType type, Op o, Value value) {
        boolean neg = o.negated();
        boolean time = type != null && type.isTime();
        String be = time ? (neg ? "was not" : "was") : (neg ? "is not" : "is");
        return switch (o.op()) {
            case IS_SET -> type == FieldType.STRING_LIST ? (neg ? "are empty" : "are not empty")
                    : neg ? "is not set" : "is set";
            case EQ -> !time ? be + " " + value(type, value)
                    : !(value instanceof Value.Ref) ? be + " on " + day(value)
                    : type == FieldType.TIMESTAMP ? be + " on the same day as " + value(type, value) // UTC days
                    : be + " on " + value(type, value);
            case IN -> {
                List<Value.Literal> items = items(value);
                yield items.size() == 1 ? be + " " + value(type, items.get(0))
                        : be + " one of " + list(type, items, "or");
            }
            case CONTAINS -> (neg ? "does not contain " : "contains ") + value(FieldType.STRING, value);
            case STARTS_WITH -> (neg ? "does not start with " : "starts with ") + value(FieldType.STRING, value);
            case ENDS_WITH -> (neg ? "does not end with " : "ends with ") + value(FieldType.STRING, value);
            case GT -> be + " more than " + value(type, value);
            case GTE -> be + " at least " + value(type, value);
            case LT -> be + " less than " + value(type, value);
            case LTE -> be + " at most " + value(type, value);
            case BETWEEN -> be + " " + between(type, value);
            case BEFORE -> be + " before " + value(type, value);
            case AFTER -> be + " after " + value(type, value);
            case WITHIN -> be + " in " + duration(value);
            case HAS_ANY -> {
                List<Value.Literal> items = items(value);
                yield items.size() == 1 ? (neg ? "do not include " : "include ") + value(FieldType.STRING, items.get(0))
                        : (neg ? "include none of " : "include any of ") + list(FieldType.STRING, items, "or");
            }
            case HAS_ALL -> {
                List<Value.Literal> items = items(value);
                yield items.size() == 1 ? (neg ? "do not include " : "include ") + value(FieldType.STRING, items.get(0))
                        : (neg ? "do not include all of " : "include all of ") + list(FieldType.STRING, items, "and");
            }
            case NEQ, NOT_IN, NOT_CONTAINS, HAS_NONE, NOT_WITHIN, IS_NOT_SET -> throw new IllegalStateException();
        };
    }

    // ------------------------------------------------------------------ aggregates

    /** An aggregate's where, taken apart: the kind of row, time qualifiers and the rest. */
    private record Rows(String kind, List<RuleNode> others, List<RuleNode.Condition> times) {
    }

    private String aggregate(RuleNode.Aggregate a, boolean negated) {
        StreamDef stream = catalog.stream(a.stream()).orElse(null);
        StreamWords w = stream != null ? stream.words()
                : new StreamWords(FieldCatalog.words(a.stream()), FieldCatalog.words(a.stream()), "had", "did not have",
                null, false);
        Rows rows = rows(a.where(), stream, w);
        String where = rows.others().isEmpty() ? "" : " where " + String.join(" and ",
                rows.others().stream().map(o -> node(o, stream, false, true)).toList());
        StringBuilder qualifiers = new StringBuilder();
        for (RuleNode.Condition t : rows.times()) qualifiers.append(' ').append(timeQualifier(t));
        if (a.within() != null) qualifiers.append(' ').append(window(a.within()));
        Op op = Op.of(a.op(), negated);
        Optional<FieldDef> field = a.field() == null || stream == null ? Optional.empty() : stream.field(a.field());
        boolean quantity = a.value() != null && switch (op.op()) {
            case EQ, GT, GTE, LT, LTE, BETWEEN, IN -> true;
            default -> false;
        };
        if (a.fn() == RuleNode.AggregateFn.COUNT && quantity) {
            if (op.op() == Operator.EQ && isNumber(a.value(), BigDecimal.ZERO)) { // count = 0: none; its negation: at least 1
                return op.negated() ? w.verb() + " at least 1 " + noun(rows, w, false) + where + qualifiers
                        : w.verb() + " no " + noun(rows, w, true) + where + qualifiers;
            }
            boolean plural = !(op.op() != Operator.BETWEEN && op.op() != Operator.IN && isNumber(a.value(), BigDecimal.ONE));
            return (op.negated() ? w.verbNot() : w.verb()) + " " + quantity(op.op(), a.value(), true) + " "
                    + noun(rows, w, plural) + where + qualifiers;
        }
        if (a.fn() == RuleNode.AggregateFn.SUM && quantity && field.isPresent() && field.get().words().hasVerb()) {
            boolean plain = rows.kind() == null && where.isEmpty();
            return (op.negated() ? field.get().words().didNot() : field.get().words().did()) + " "
                    + quantity(op.op(), a.value(), false) + (plain ? "" : " on " + noun(rows, w, true) + where) + qualifiers;
        }
        FieldType result = a.fn() == RuleNode.AggregateFn.COUNT ? FieldType.INTEGER
                : field.isPresent() ? Typing.aggregateType(a.fn(), field.get(), a.value())
                : a.fn() == RuleNode.AggregateFn.MIN || a.fn() == RuleNode.AggregateFn.MAX
                ? Typing.inferFromValue(Operator.GT, a.value()) : FieldType.NUMBER;
        String subject;
        boolean rowTime = "occurredAt".equals(a.field())
                && (a.fn() == RuleNode.AggregateFn.MIN || a.fn() == RuleNode.AggregateFn.MAX);
        if (rowTime) {
            subject = "their " + (a.fn() == RuleNode.AggregateFn.MIN ? "first " : "last ") + noun(rows, w, false);
        } else if (a.fn() == RuleNode.AggregateFn.COUNT) {
            subject = "the number of their " + noun(rows, w, true);
        } else {
            boolean time = result != null && result.isTime();
            String fn = switch (a.fn()) {
                case SUM -> "total";
                case AVG -> "average";
                case MIN -> time ? "earliest" : "smallest";
                case MAX -> time ? "latest" : "largest";
                case COUNT -> throw new IllegalStateException();
            };
            String label = field.map(FieldDef::label).orElseGet(() -> unknown(String.valueOf(a.field())));
            subject = "the " + fn + " " + label + " of their " + noun(rows, w, true);
        }
        return subject + where + qualifiers + " " + comparison(result, op, a.value());
    }

    private Rows rows(RuleNode where, StreamDef stream, StreamWords w) {
        List<RuleNode> parts = where == null ? List.of()
                : where instanceof RuleNode.Group g && g.combinator() == RuleNode.Combinator.AND ? g.children()
                : List.of(where);
        String kind = null;
        List<RuleNode> others = new ArrayList<>();
        List<RuleNode.Condition> times = new ArrayList<>();
        for (RuleNode part : parts) {
            if (part instanceof RuleNode.Condition c) {
                if (kind == null && w.kindField() != null && c.field().equals(w.kindField()) && c.op() == Operator.EQ
                        && c.value() instanceof Value.Literal l && l.value() instanceof String s) {
                    kind = s;
                    continue;
                }
                if (c.field().equals("occurredAt") && switch (c.op()) {
                    case BEFORE, AFTER, BETWEEN, WITHIN, NOT_WITHIN, EQ -> true;
                    default -> false;
                }) {
                    times.add(c);
                    continue;
                }
            }
            others.add(part);
        }
        return new Rows(kind, others, times);
    }

    private static String noun(Rows rows, StreamWords w, boolean plural) {
        if (rows.kind() == null) return plural ? w.many() : w.one();
        if (w.kindIsNoun()) {
            String words = FieldCatalog.words(rows.kind());
            return plural ? plural(words) : words;
        }
        return quote(rows.kind()) + " " + (plural ? w.many() : w.one());
    }

    /** A time condition on the rows' occurredAt as a qualifier: "before their last purchase", "in the last 30 days". */
    private String timeQualifier(RuleNode.Condition c) {
        return switch (c.op()) {
            case WITHIN -> "in " + duration(c.value());
            case NOT_WITHIN -> "before " + duration(c.value());
            case BEFORE -> "before " + value(FieldType.TIMESTAMP, c.value());
            case AFTER -> "after " + value(FieldType.TIMESTAMP, c.value());
            case BETWEEN -> between(FieldType.TIMESTAMP, c.value());
            case EQ -> (c.value() instanceof Value.Ref ? "on the same day as " + value(FieldType.TIMESTAMP, c.value())
                    : "on " + day(c.value()));
            default -> throw new IllegalStateException();
        };
    }

    /** An aggregate's within: "in the last 365 days", "between 1 May 2024 and 31 May 2024", "since ...", "until ...". */
    private String window(Value within) {
        if (within instanceof Value.Window win) {
            if (win.from() != null && win.to() != null) {
                return "between " + value(FieldType.TIMESTAMP, win.from()) + " and " + value(FieldType.TIMESTAMP, win.to());
            }
            return win.from() != null ? "since " + value(FieldType.TIMESTAMP, win.from())
                    : "until " + value(FieldType.TIMESTAMP, win.to());
        }
        return "in " + duration(within);
    }

    private String quantity(Operator op, Value value, boolean count) {
        return switch (op) {
            case EQ -> "exactly " + value(FieldType.NUMBER, value);
            case GT -> "more than " + value(FieldType.NUMBER, value);
            case GTE -> "at least " + value(FieldType.NUMBER, value);
            case LT -> (count ? "fewer than " : "less than ") + value(FieldType.NUMBER, value);
            case LTE -> "at most " + value(FieldType.NUMBER, value);
            case BETWEEN -> between(FieldType.NUMBER, value);
            case IN -> {
                List<Value.Literal> items = items(value);
                yield items.size() == 1 ? "exactly " + value(FieldType.NUMBER, items.get(0))
                        : list(FieldType.NUMBER, items, "or");
            }
            default -> throw new IllegalStateException();
        };
    }

    private static boolean isNumber(Value v, BigDecimal n) {
        return v instanceof Value.Literal l && Values.decimal(l.value()).map(d -> d.compareTo(n) == 0).orElse(false);
    }

    // ------------------------------------------------------------------ values

    private String value(FieldType type, Value v) {
        return switch (v) {
            case null -> "nothing";
            case Value.Ref r -> "their " + catalog.customerField(r.field()).map(FieldDef::label)
                    .orElseGet(() -> unknown(r.field()));
            case Value.Literal l -> literal(type, l);
            case Value.ListValue lv -> list(type, lv.items(), "and");
            case Value.Window w -> window(w);
        };
    }

    private static String literal(FieldType type, Value.Literal l) {
        Object v = l.value();
        if (v instanceof Boolean b) return b.toString();
        if (type != null && type.isNumeric() || type == null && v instanceof BigDecimal) {
            BigDecimal d = v instanceof BigDecimal b ? b : Values.decimal(v).orElse(null);
            return d == null ? quote(String.valueOf(v)) : number(d);
        }
        if (type != null && type.isTime() && v instanceof String s) {
            Optional<Values.TimeValue> t = Values.timeValue(s);
            if (t.isPresent()) {
                return t.get().isDate() ? DAY.format(t.get().date()) : instant(t.get().instant());
            }
        }
        return v instanceof BigDecimal b ? number(b) : quote(String.valueOf(v));
    }

    /** The UTC day a time value falls on (timestamp eq compares days). */
    private static String day(Value v) {
        if (v instanceof Value.Literal l && l.value() instanceof String s) {
            Optional<Values.TimeValue> t = Values.timeValue(s);
            if (t.isPresent()) {
                LocalDate d = t.get().isDate() ? t.get().date() : t.get().instant().toLocalDate();
                return DAY.format(d);
            }
        }
        return v instanceof Value.Literal l ? literal(FieldType.TIMESTAMP, l) : String.valueOf(v);
    }

    private static String instant(OffsetDateTime t) {
        String time = String.format(Locale.ROOT, "%02d:%02d", t.getHour(), t.getMinute());
        if (t.getSecond() != 0 || t.getNano() != 0) time += String.format(Locale.ROOT, ":%02d", t.getSecond());
        if (t.getNano() != 0) {
            time += "." + String.format(Locale.ROOT, "%09d", t.getNano()).replaceAll("0+$", "");
        }
        return DAY.format(t) + " " + time + " UTC";
    }

    private String between(FieldType type, Value v) {
        List<Value.Literal> items = items(v);
        if (items.size() != 2) return "between " + value(type, v);
        return "between " + literal(type, items.get(0)) + " and " + literal(type, items.get(1));
    }

    private static List<Value.Literal> items(Value v) {
        return v instanceof Value.ListValue lv ? lv.items() : v instanceof Value.Literal l ? List.of(l) : List.of();
    }

    /** "a", "a or b", "a, b or c". */
    private static String list(FieldType type, List<Value.Literal> items, String last) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < items.size(); i++) {
            if (i > 0) b.append(i == items.size() - 1 ? " " + last + " " : ", ");
            b.append(literal(type, items.get(i)));
        }
        return b.toString();
    }

    /** A duration as "the last 90 days", "the last year", "the last 1 year and 6 months". */
    private static String duration(Value v) {
        if (!(v instanceof Value.Literal l) || !(l.value() instanceof String s)) return String.valueOf(v);
        Matcher m = DURATION.matcher(s);
        if (!m.matches() || s.equals("P")) return quote(s);
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < UNITS.length; i++) {
            String g = m.group(i + 1);
            if (g == null || new BigDecimal(g).signum() == 0) continue;
            BigDecimal n = new BigDecimal(g);
            parts.add(number(n) + " " + UNITS[i] + (n.compareTo(BigDecimal.ONE) == 0 ? "" : "s"));
        }
        if (parts.isEmpty()) return "the last 0 days";
        if (parts.size() == 1 && parts.get(0).startsWith("1 ")) return "the last " + parts.get(0).substring(2);
        StringBuilder b = new StringBuilder("the last ");
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) b.append(i == parts.size() - 1 ? " and " : ", ");
            b.append(parts.get(i));
        }
        return b.toString();
    }

    /** An exact decimal as written, with thousands separators: 1000 is "1,000", -1234.50 is "-1,234.50". */
    static String number(BigDecimal d) {
        String plain = d.toPlainString();
        boolean negative = plain.startsWith("-");
        String digits = negative ? plain.substring(1) : plain;
        int dot = digits.indexOf('.');
        String whole = dot < 0 ? digits : digits.substring(0, dot);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < whole.length(); i++) {
            if (i > 0 && (whole.length() - i) % 3 == 0) b.append(',');
            b.append(whole.charAt(i));
        }
        return (negative ? "-" : "") + b + (dot < 0 ? "" : digits.substring(dot));
    }

    /** A field the catalog does not know (any more): its name in words, without the attributes prefix. */
    private static String unknown(String name) {
        return FieldCatalog.words(name.startsWith("attributes.") ? name.substring("attributes.".length()) : name);
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    /** English plural of the last word: consultation -> consultations, class -> classes, category -> categories. */
    static String plural(String words) {
        if (words.isEmpty()) return words;
        char last = words.charAt(words.length() - 1);
        if (words.endsWith("s") || words.endsWith("x") || words.endsWith("z") || words.endsWith("ch") || words.endsWith("sh")) {
            return words + "es";
        }
        if (last == 'y' && words.length() > 1 && "aeiou".indexOf(words.charAt(words.length() - 2)) < 0) {
            return words.substring(0, words.length() - 1) + "ies";
        }
        return words + "s";
    }
}
