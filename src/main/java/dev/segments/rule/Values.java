package dev.segments.rule;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.Period;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Strict parsing of rule values, shared by the validator and the compiler. */
public final class Values {
    private Values() {
    }

    private static final Pattern DATE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}$");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$");
    private static final Pattern DECIMAL = Pattern.compile("^-?\\d{1,30}(\\.\\d{1,20})?$");
    private static final Pattern DURATION = Pattern.compile(
            "^P(?:(\\d{1,6})Y)?(?:(\\d{1,6})M)?(?:(\\d{1,6})W)?(?:(\\d{1,7})D)?"
                    + "(?:T(?:(\\d{1,8})H)?(?:(\\d{1,9})M)?(?:(\\d{1,10})S)?)?$");
    private static final OffsetDateTime REFERENCE = OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    public static Optional<LocalDate> date(String s) {
        if (!DATE.matcher(s).matches()) return Optional.empty();
        try {
            return Optional.of(LocalDate.parse(s));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** ISO-8601 timestamp with offset, normalized to UTC. */
    public static Optional<OffsetDateTime> timestamp(String s) {
        if (!TIMESTAMP.matcher(s).matches()) return Optional.empty();
        try {
            OffsetDateTime t = OffsetDateTime.parse(s, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .withOffsetSameInstant(ZoneOffset.UTC);
            if (t.getYear() < 1 || t.getYear() > 9999) return Optional.empty();
            return Optional.of(t);
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** A point in time as written: a whole UTC day (date) or an instant (timestamp). */
    public record TimeValue(LocalDate date, OffsetDateTime instant) {
        public boolean isDate() { return date != null; }

        public static OffsetDateTime dayStart(LocalDate d) { return d.atStartOfDay().atOffset(ZoneOffset.UTC); }

        /** First instant covered. */
        public OffsetDateTime start() { return date != null ? date.atStartOfDay().atOffset(ZoneOffset.UTC) : instant; }

        /** Exclusive end for a date (next midnight UTC); for an instant, the instant itself (inclusive end). */
        public OffsetDateTime endExclusiveOfDay() { return date.plusDays(1).atStartOfDay().atOffset(ZoneOffset.UTC); }

        /** A comparable key: the day's start for dates. */
        public OffsetDateTime last() { return date != null ? endExclusiveOfDay().minusNanos(1) : instant; }
    }

    /** A timestamp with offset, or a date (meaning that UTC day). */
    public static Optional<TimeValue> timeValue(String s) {
        Optional<LocalDate> d = date(s);
        if (d.isPresent()) return Optional.of(new TimeValue(d.get(), null));
        return timestamp(s).map(t -> new TimeValue(null, t));
    }

    /** Exact decimal from a JSON number, or from a string holding a plain decimal. Bounded in size. */
    public static Optional<BigDecimal> decimal(Object v) {
        BigDecimal d;
        if (v instanceof BigDecimal b) d = b;
        else if (v instanceof String s && DECIMAL.matcher(s).matches()) d = new BigDecimal(s);
        else return Optional.empty();
        BigDecimal n = d.stripTrailingZeros();
        int intDigits = n.precision() - n.scale();
        if (intDigits > 30 || n.scale() > 20) return Optional.empty();
        return Optional.of(n.scale() < 0 ? n.setScale(0) : n);
    }

    public static Optional<Long> integer(Object v) {
        return decimal(v).flatMap(d -> {
            try {
                return Optional.of(d.longValueExact());
            } catch (ArithmeticException e) {
                return Optional.empty();
            }
        });
    }

    /** ISO-8601 duration with calendar years/months/weeks/days and exact hours/minutes/seconds. */
    public record IsoDuration(Period period, Duration time) {
        /** now (UTC) minus this duration, calendar-aware for years and months. */
        public OffsetDateTime before(OffsetDateTime now) {
            return now.withOffsetSameInstant(ZoneOffset.UTC).minus(period).minus(time);
        }
    }

    public static Optional<IsoDuration> duration(String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches() || s.equals("P") || s.endsWith("T")) return Optional.empty();
        try {
            int y = num(m.group(1)), mo = num(m.group(2)), w = num(m.group(3)), d = num(m.group(4));
            long h = lnum(m.group(5)), mi = lnum(m.group(6)), se = lnum(m.group(7));
            IsoDuration r = new IsoDuration(Period.of(y, mo, Math.addExact(Math.multiplyExact(w, 7), d)),
                    Duration.ofHours(h).plusMinutes(mi).plusSeconds(se));
            if (r.before(REFERENCE).getYear() < -4000) return Optional.empty(); // absurdly long
            return Optional.of(r);
        } catch (ArithmeticException | DateTimeException e) {
            return Optional.empty();
        }
    }

    private static int num(String g) { return g == null ? 0 : Integer.parseInt(g); }

    private static long lnum(String g) { return g == null ? 0 : Long.parseLong(g); }
}
