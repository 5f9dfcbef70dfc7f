package dev.segments.segment;

import dev.segments.segment.service.MembershipService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The proof of exactness of time events (docs/live-membership.md, "Time events"): a seeded tenant with every
 * clock-dependent leaf (within / notWithin on profile timestamps, rollups, date and timestamp attributes; aggregate
 * windows in days, weeks and months; a where over occurredAt; max of occurredAt within; age, with 29 February
 * birthdays), segment references and a static segment, then a seeded random sequence of writes, deletes, rule
 * edits, static edits and clock jumps (month ends, 28/29 February, 1 March included). After every step, with the
 * time-event tick run at the simulated clock: each dynamic segment's materialized membership equals a fresh
 * evaluation at that clock, its member count equals its size, and replaying the feed gives the membership (static
 * segments too). Writes, edits and full refreshes evaluate at the real time, before the simulated clock; the tick
 * must then bring every customer whose truth differs to the clock, which is what the due instants are for.
 *
 * <p>A failure names the seed and the step; {@code -Dproperty.seed=N} runs that seed alone, {@code -Dproperty.steps}
 * sets the number of steps.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class MembershipPropertyTest {

    static final long[] SEEDS = {17, 20260229};
    static final int CUSTOMERS = 150;
    static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    MembershipService membership;

    @Inject
    Pool pool;

    @Inject
    dev.segments.segment.service.SegmentQueryService queries;

    /** Rules a segment may have; edits swap among those of the same slot. */
    static final Map<String, List<Map<String, ?>>> RULES = new LinkedHashMap<>();

    static {
        RULES.put("recent-buyer", List.of(
                cond("lastPurchaseAt", "within", "P30D"), cond("lastPurchaseAt", "within", "P1M"),
                cond("lastPurchaseAt", "within", "PT36H")));
        RULES.put("lapsed", List.of(
                and(cond("purchaseCount", "gt", 0), cond("lastPurchaseAt", "notWithin", "P90D")),
                and(cond("purchaseCount", "gt", 0), cond("lastPurchaseAt", "notWithin", "P3M"))));
        RULES.put("month-spend", List.of(
                agg("sum", "purchases", "amount", "P1M", "gt", 100), agg("sum", "purchases", "amount", "P2W", "gte", 80),
                agg("sum", "purchases", "amount", "P1Y2M", "gt", 300)));
        RULES.put("frequent", List.of(
                agg("count", "purchases", null, "P1Y", "gte", 2), agg("count", "purchases", null, "P45D", "gte", 2)));
        RULES.put("avg-order", List.of(
                agg("avg", "purchases", "amount", "P2M", "gt", 50), agg("avg", "purchases", "amount", "P10D", "lt", 60)));
        RULES.put("touched", List.of(
                agg("count", "interactions", null, "P7D", "gte", 1), agg("count", "interactions", null, "P1M", "eq", 0)));
        RULES.put("logins", List.of(
                withWhere(agg("count", "events", null, "P14D", "gte", 1), cond("name", "eq", "login")),
                withWhere(agg("count", "events", null, null, "gte", 2), cond("occurredAt", "within", "P3D"))));
        RULES.put("last-event", List.of(
                Map.of("aggregate", "max", "of", "events", "field", "occurredAt", "op", "within", "value", "P5D"),
                Map.of("aggregate", "max", "of", "events", "field", "occurredAt", "op", "notWithin", "value", "P1M")));
        RULES.put("adults", List.of(
                cond("age", "gte", 18), cond("age", "between", List.of(25, 30)), cond("age", "in", List.of(20, 26, 40))));
        RULES.put("renewal", List.of(
                cond("attributes.renewal", "within", "P1M"), cond("attributes.renewal", "notWithin", "P10D")));
        RULES.put("trial", List.of(
                cond("attributes.trialEnds", "within", "PT36H"), cond("attributes.trialEnds", "within", "P1M1D")));
        RULES.put("seen", List.of(cond("lastSeenAt", "within", "P2D"), cond("lastSeenAt", "within", "P1M")));
        RULES.put("ref-recent-adult", List.of(
                and(seg("recent-buyer"), seg("adults")),
                Map.of("and", List.of(seg("recent-buyer"), Map.of("not", seg("adults"))))));
        RULES.put("picked-or-lapsed", List.of(Map.of("or", List.of(seg("picked"), seg("lapsed")))));
        RULES.put("nested-ref", List.of(Map.of("or", List.of(seg("ref-recent-adult"), seg("trial")))));
    }

    /** Calendar windows only: the month-end case ({@link #monthEndsMaterializedEqualsAFreshEvaluation}). */
    static final Map<String, List<Map<String, ?>>> MONTH_END = new LinkedHashMap<>();

    static {
        MONTH_END.put("m-trial", List.of(cond("attributes.trialEnds", "within", "P1M")));
        MONTH_END.put("m-trial-not", List.of(cond("attributes.trialEnds", "notWithin", "P1M")));
        MONTH_END.put("m-renewal", List.of(cond("attributes.renewal", "within", "P1M")));
        MONTH_END.put("m-last", List.of(cond("lastPurchaseAt", "within", "P1M")));
        MONTH_END.put("m-count", List.of(agg("count", "purchases", null, "P1M", "gte", 1)));
        MONTH_END.put("m-max", List.of(
                Map.of("aggregate", "max", "of", "events", "field", "occurredAt", "op", "within", "value", "P1M")));
        MONTH_END.put("m-year", List.of(cond("lastPurchaseAt", "within", "P1Y")));
        MONTH_END.put("m-two", List.of(cond("attributes.trialEnds", "within", "P2M")));
    }

    static Map<String, ?> cond(String field, String op, Object value) {
        return Map.of("field", field, "op", op, "value", value);
    }

    static Map<String, ?> and(Map<String, ?> a, Map<String, ?> b) {
        return Map.of("and", List.of(a, b));
    }

    static Map<String, ?> seg(String key) {
        return Map.of("segment", key);
    }

    static Map<String, ?> agg(String fn, String stream, String field, String within, String op, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("aggregate", fn);
        m.put("of", stream);
        if (field != null) m.put("field", field);
        if (within != null) m.put("within", within);
        m.put("op", op);
        m.put("value", value);
        return m;
    }

    static Map<String, ?> withWhere(Map<String, ?> aggregate, Map<String, ?> where) {
        Map<String, Object> m = new LinkedHashMap<>(aggregate);
        m.put("where", where);
        return m;
    }

    @Test
    void materializedMembershipEqualsAFreshEvaluationAfterEveryStep() {
        String one = System.getProperty("property.seed");
        int steps = Integer.getInteger("property.steps", 20);
        long[] seeds = one == null || one.isBlank() ? SEEDS : new long[]{Long.parseLong(one)};
        for (long seed : seeds) {
            new Run(seed, steps).run();
        }
    }

    /**
     * The month-end case of calendar windows, targeted: customers whose every clock-dependent value (a timestamp and
     * a date attribute, their one purchase, their one event) lies on the last days of a month (28-31 January, 28
     * February, 29 February 2028, at midnight, noon and a microsecond before midnight), and the clock stepped over
     * the last days of the following months at the same times, where {@code now - P1M} is clamped: a value can
     * leave the window at noon and come back at midnight (P1M before 28 March 23:00 is 28 February 23:00, before
     * 29 March 00:00 it is 28 February 00:00). After every step the materialized membership must equal a fresh
     * evaluation at the clock: without the calendar candidates of DueSql (the shifted days and midnights) the tick
     * misses the returns.
     */
    @Test
    void monthEndsMaterializedEqualsAFreshEvaluation() {
        new Run(MONTH_END, 0, 0) {
            @Override
            void run() {
                as(key).body(Map.of("entity", "customer", "key", "renewal", "type", "date")).post("/attributes")
                        .then().statusCode(201);
                as(key).body(Map.of("entity", "customer", "key", "trialEnds", "type", "timestamp")).post("/attributes")
                        .then().statusCode(201);
                segments();
                List<OffsetDateTime> values = new ArrayList<>();
                for (String day : List.of("2027-01-28", "2027-01-29", "2027-01-30", "2027-01-31", "2027-02-28",
                        "2028-01-31", "2028-02-28", "2028-02-29", "2028-03-01")) {
                    OffsetDateTime midnight = LocalDate.parse(day).atStartOfDay().atOffset(ZoneOffset.UTC);
                    values.addAll(List.of(midnight, midnight.withHour(12), midnight.plusDays(1).minusNanos(1000)));
                }
                List<Map<String, Object>> purchases = new ArrayList<>(), events = new ArrayList<>();
                for (OffsetDateTime v : values) {
                    long c = Api.customer(key, "v" + nextExternal++, Map.of("attributes",
                            Map.of("trialEnds", v.toString(), "renewal", v.toLocalDate().toString())));
                    customers.add(c);
                    purchases.add(Map.of("customerId", c, "occurredAt", v.toString(), "amount", "10"));
                    events.add(Map.of("customerId", c, "occurredAt", v.toString(), "name", "login"));
                }
                batches("/purchases/batch", purchases);
                batches("/events/batch", events);
                log.add("month-end values " + values);
                List<OffsetDateTime> clocks = new ArrayList<>();
                // days 28 to the 1st of the next month (the 27th before February: P1M of 27 February is 27
                // January); at midnight, just after noon and a microsecond before midnight, the instants at which
                // values at those times leave and the clamped bound jumps back
                for (String month : List.of("2027-02", "2027-03", "2027-04", "2028-02", "2028-03", "2029-02")) {
                    LocalDate first = LocalDate.parse(month + "-01");
                    for (LocalDate d = first.withDayOfMonth(first.getMonthValue() == 2 ? 27 : 28);
                         !d.isAfter(first.plusMonths(1)); d = d.plusDays(1)) {
                        OffsetDateTime midnight = d.atStartOfDay().atOffset(ZoneOffset.UTC);
                        clocks.addAll(List.of(midnight, midnight.withHour(12).plusNanos(1000),
                                midnight.plusDays(1).minusNanos(1000)));
                    }
                }
                for (OffsetDateTime c : clocks) {
                    step++;
                    clock = c;
                    log.add(step + ": clock " + clock);
                    check();
                }
                assertTrue(dueSeen > 0, "no customer was due before a tick");
            }
        }.run();
    }

    /** One seeded sequence over its own tenant. */
    class Run {
        final Map<String, List<Map<String, ?>>> rules;
        final long seed;
        final int steps;
        final Random rnd;
        final String key;
        final long tenantId;
        final List<String> log = new ArrayList<>();
        final List<Long> customers = new ArrayList<>();
        final Map<String, Integer> ruleChoice = new HashMap<>();
        OffsetDateTime clock;
        int nextExternal;
        int step;
        /** Customers due when the reads before the tick ran, summed over the steps: the reads had some to evaluate. */
        long dueSeen;
        /** Of those, the ones the tick evaluated for some segments only (their row's segments, others not yet due). */
        long narrowSeen;

        Run(long seed, int steps) {
            this(RULES, seed, steps);
        }

        Run(Map<String, List<Map<String, ?>>> rules, long seed, int steps) {
            this.rules = rules;
            this.seed = seed;
            this.steps = steps;
            this.rnd = new Random(seed);
            JsonPath created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                    .body(Map.of("name", "property-" + seed + "-" + System.nanoTime())).post("/admin/tenants")
                    .then().statusCode(201).extract().jsonPath();
            this.tenantId = created.getLong("tenant.id");
            this.key = created.getString("apiKey.key");
            // the simulated clock starts ahead of real time and only moves forward
            this.clock = OffsetDateTime.now(ZoneOffset.UTC).plusMinutes(5).truncatedTo(ChronoUnit.MICROS);
        }

        void run() {
            seedTenant();
            check();
            for (step = 1; step <= steps; step++) {
                act();
                check();
            }
            assertTrue(dueSeen > 0, "seed " + seed + ": no customer was due before a tick");
            assertTrue(narrowSeen > 0, "seed " + seed + ": the tick never took a customer for some segments only");
        }

        // ------------------------------------------------------------ the tenant

        void seedTenant() {
            as(key).body(Map.of("entity", "customer", "key", "renewal", "type", "date")).post("/attributes")
                    .then().statusCode(201);
            as(key).body(Map.of("entity", "customer", "key", "trialEnds", "type", "timestamp")).post("/attributes")
                    .then().statusCode(201);
            as(key).body(Map.of("key", "picked", "name", "picked", "kind", "static")).post("/segments").then().statusCode(201);
            segments();
            // the customers by import (its chunks update membership and due instants like any write)
            StringBuilder ndjson = new StringBuilder();
            for (int i = 0; i < CUSTOMERS; i++) {
                Map<String, Object> body = new LinkedHashMap<>(profile());
                body.put("externalId", "c" + nextExternal++);
                ndjson.append(io.vertx.core.json.Json.encode(body)).append('\n');
            }
            RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                    .body(ndjson.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)).post("/customers/import")
                    .then().statusCode(200).body("created", org.hamcrest.Matchers.equalTo(CUSTOMERS));
            customers.addAll(as(key).queryParam("limit", 1000).get("/customers").then().statusCode(200)
                    .extract().jsonPath().getList("items.id", Long.class));
            assertEquals(CUSTOMERS, customers.size());
            List<Map<String, Object>> purchases = new ArrayList<>(), interactions = new ArrayList<>(), events = new ArrayList<>();
            for (long c : customers) {
                for (int n = rnd.nextInt(5); n > 0; n--) purchases.add(purchase(c));
                for (int n = rnd.nextInt(3); n > 0; n--) interactions.add(interaction(c));
                for (int n = rnd.nextInt(4); n > 0; n--) events.add(event(c));
            }
            batches("/purchases/batch", purchases);
            batches("/interactions/batch", interactions);
            batches("/events/batch", events);
            staticEdit(true);
            log.add("seeded " + CUSTOMERS + " customers, " + purchases.size() + " purchases at clock " + clock);
        }

        void segments() {
            for (String s : rules.keySet()) {
                ruleChoice.put(s, 0);
                as(key).body(Map.of("key", s, "name", s, "rule", rules.get(s).get(0))).post("/segments")
                        .then().statusCode(201);
            }
        }

        /** Writes items in batches of 50 (the test profile's batch limit). */
        void batches(String path, List<Map<String, Object>> items) {
            for (int i = 0; i < items.size(); i += 50) {
                as(key).body(Map.of("items", items.subList(i, Math.min(items.size(), i + 50)))).post(path)
                        .then().log().ifValidationFails().statusCode(200);
            }
        }

        /** An instant around the clock: mostly in the past, near window edges (a day, a week, a month) often. */
        OffsetDateTime around() {
            return switch (rnd.nextInt(5)) {
                case 0 -> clock.minusDays(rnd.nextInt(400)).minusSeconds(rnd.nextInt(86_400));
                case 1 -> clock.minusDays(List.of(1, 2, 7, 14, 30, 31, 45, 60, 90).get(rnd.nextInt(9)))
                        .plusSeconds(rnd.nextInt(7200) - 3600);
                case 2 -> clock.minusMonths(rnd.nextInt(4)).withDayOfMonth(1).minusDays(rnd.nextInt(4))
                        .withHour(rnd.nextInt(24));
                case 3 -> clock.minusHours(rnd.nextInt(72));
                default -> clock.plusHours(rnd.nextInt(48) - 6); // some in the simulated future
            };
        }

        LocalDate birthDate() {
            return switch (rnd.nextInt(4)) {
                case 0 -> LocalDate.of(List.of(1996, 2000, 2004, 2008).get(rnd.nextInt(4)), 2, 29);
                case 1 -> clock.toLocalDate().minusYears(18 + rnd.nextInt(25)).plusDays(rnd.nextInt(60) - 10);
                case 2 -> LocalDate.of(1990 + rnd.nextInt(15), 3, 1);
                default -> LocalDate.of(1960 + rnd.nextInt(50), 1 + rnd.nextInt(12), 1 + rnd.nextInt(28));
            };
        }

        Map<String, Object> profile() {
            Map<String, Object> attributes = new LinkedHashMap<>();
            if (rnd.nextInt(4) > 0) attributes.put("renewal", around().toLocalDate().plusDays(rnd.nextInt(40)).toString());
            if (rnd.nextInt(4) > 0) attributes.put("trialEnds", around().plusDays(rnd.nextInt(20)).toString());
            Map<String, Object> p = new LinkedHashMap<>();
            if (rnd.nextInt(6) > 0) p.put("birthDate", birthDate().toString());
            p.put("region", List.of("North", "South").get(rnd.nextInt(2)));
            p.put("attributes", attributes);
            return p;
        }

        void createCustomer() {
            Map<String, Object> body = new LinkedHashMap<>(profile());
            body.put("externalId", "c" + nextExternal++);
            customers.add(as(key).body(body).post("/customers").then().statusCode(201).extract().jsonPath().getLong("id"));
        }

        Map<String, Object> purchase(long customer) {
            return Map.of("customerId", customer, "occurredAt", around().toString(),
                    "amount", String.valueOf(5 + rnd.nextInt(200)));
        }

        Map<String, Object> interaction(long customer) {
            return Map.of("customerId", customer, "occurredAt", around().toString(),
                    "type", List.of("call", "email").get(rnd.nextInt(2)));
        }

        Map<String, Object> event(long customer) {
            return Map.of("customerId", customer, "occurredAt", around().toString(),
                    "name", List.of("login", "view").get(rnd.nextInt(2)));
        }

        long anyCustomer() {
            return customers.get(rnd.nextInt(customers.size()));
        }

        // ------------------------------------------------------------ the steps

        void act() {
            int a = rnd.nextInt(100);
            if (step % 5 == 0) {
                jump(4 + (step / 5) % 3); // every seed meets a month end, 28/29 February and days 29-31
            } else if (a < 30) {
                jump(rnd.nextInt(7));
            } else if (a < 45) {
                long c = anyCustomer();
                int n = 1 + rnd.nextInt(3);
                List<Map<String, Object>> items = new ArrayList<>();
                for (int i = 0; i < n; i++) items.add(purchase(c));
                as(key).body(Map.of("items", items)).post("/purchases/batch").then().log().ifValidationFails().statusCode(200);
                log.add(step + ": " + n + " purchases of " + c);
            } else if (a < 50) {
                long c = anyCustomer();
                boolean interaction = rnd.nextBoolean();
                as(key).body(interaction ? interaction(c) : event(c))
                        .post(interaction ? "/interactions" : "/events").then().statusCode(201);
                log.add(step + ": activity of " + c);
            } else if (a < 57) {
                long c = anyCustomer();
                List<Integer> ids = as(key).get("/customers/" + c + "/purchases?limit=100").then().statusCode(200)
                        .extract().jsonPath().getList("items.id", Integer.class);
                if (!ids.isEmpty()) {
                    as(key).delete("/purchases/" + ids.get(rnd.nextInt(ids.size()))).then().statusCode(204);
                }
                log.add(step + ": purchase delete of " + c);
            } else if (a < 67) {
                long c = anyCustomer();
                as(key).contentType("application/merge-patch+json").body(profile()).patch("/customers/" + c)
                        .then().statusCode(200);
                log.add(step + ": profile of " + c);
            } else if (a < 72) {
                long c = customers.remove(rnd.nextInt(customers.size()));
                as(key).delete("/customers/" + c).then().statusCode(204);
                log.add(step + ": delete customer " + c);
            } else if (a < 76) {
                createCustomer();
                log.add(step + ": new customer " + customers.get(customers.size() - 1));
            } else if (a < 90) {
                List<String> slots = RULES.keySet().stream().filter(s -> RULES.get(s).size() > 1).toList();
                String s = slots.get(rnd.nextInt(slots.size()));
                int choice = (ruleChoice.get(s) + 1 + rnd.nextInt(RULES.get(s).size() - 1)) % RULES.get(s).size();
                ruleChoice.put(s, choice);
                as(key).body(Map.of("name", s, "rule", RULES.get(s).get(choice))).put("/segments/" + s)
                        .then().statusCode(200);
                log.add(step + ": rule of " + s + " -> " + RULES.get(s).get(choice));
            } else {
                staticEdit(rnd.nextBoolean());
            }
        }

        void staticEdit(boolean add) {
            List<Long> some = new ArrayList<>();
            for (int i = 0; i < 1 + rnd.nextInt(10); i++) some.add(anyCustomer());
            as(key).body(Map.of("customerIds", some)).post("/segments/picked/members" + (add ? "" : "/remove"))
                    .then().statusCode(200);
            log.add(step + ": static " + (add ? "add " : "remove ") + some);
        }

        /** Moves the clock forward: seconds to months, to month ends and the days around 29 February. */
        void jump(int kind) {
            OffsetDateTime to = switch (kind) {
                case 0 -> clock.plusSeconds(1 + rnd.nextInt(600));
                case 1 -> clock.plusHours(1 + rnd.nextInt(30));
                case 2 -> clock.plusDays(1 + rnd.nextInt(20));
                case 3 -> clock.plusMonths(1).plusDays(rnd.nextInt(5));
                case 4 -> { // a month's end: its last day at noon or a microsecond before midnight, or the 1st
                    OffsetDateTime next = clock.plusMonths(1);
                    OffsetDateTime last = next.withDayOfMonth(next.toLocalDate().lengthOfMonth()).truncatedTo(ChronoUnit.DAYS);
                    yield switch (rnd.nextInt(3)) {
                        case 0 -> last.withHour(12);
                        case 1 -> last.plusDays(1).minusNanos(1000);
                        default -> last.plusDays(1);
                    };
                }
                case 5 -> { // 28 February, 29 February or 1 March of the coming year, at midnight or noon
                    int year = clock.getMonthValue() <= 2 && clock.getDayOfMonth() < 28 ? clock.getYear() : clock.getYear() + 1;
                    LocalDate day = switch (rnd.nextInt(3)) {
                        case 0 -> LocalDate.of(year, 2, 28);
                        case 1 -> LocalDate.of(year, 3, 1);
                        default -> LocalDate.of(year, 2, 1).plusMonths(1).minusDays(1); // 28 or 29
                    };
                    yield day.atStartOfDay().atOffset(ZoneOffset.UTC).plusHours(rnd.nextBoolean() ? 0 : 12);
                }
                default -> { // days 29-31 of a month (the clamped P1M bounds) at midnight
                    OffsetDateTime next = clock.plusMonths(1);
                    int len = next.toLocalDate().lengthOfMonth();
                    yield next.withDayOfMonth(Math.min(len, 28 + rnd.nextInt(4))).truncatedTo(ChronoUnit.DAYS);
                }
            };
            if (to.isAfter(clock)) {
                clock = to;
            }
            log.add(step + ": clock " + clock);
        }

        // ------------------------------------------------------------ the check

        /**
         * Before the tick: the reads of saved segments at the clock (counts and every page of members, as the
         * endpoints compute them without asOf) equal the fresh evaluation, from the materialization left by the
         * writes: the customers whose due instant passed are evaluated by the read.
         */
        void readsBeforeTheTick(Map<String, Set<Long>> fresh) {
            List<String> keys = List.copyOf(fresh.keySet());
            var due = pool.preparedQuery("select count(*), count(*) filter (where segments is not null"
                            + " and others_due_at > $2) from customer_due where tenant_id = $1 and due_at <= $2")
                    .execute(Tuple.of(tenantId, clock)).await().atMost(WAIT).iterator().next();
            dueSeen += due.getLong(0);
            narrowSeen += due.getLong(1);
            var counts = queries.savedCounts(tenantId, keys, clock).await().atMost(WAIT);
            Map<String, Set<Long>> paged = new HashMap<>();
            keys.forEach(k -> paged.put(k, new TreeSet<>()));
            // pages of every open segment in one read, after the smallest last id among the previous pages
            List<String> open = keys;
            String after = null;
            while (!open.isEmpty()) {
                var pages = queries.savedPages(tenantId, open, new dev.segments.common.pagination.PageRequest(25, after),
                        clock).await().atMost(WAIT);
                List<String> more = new ArrayList<>();
                long next = Long.MAX_VALUE;
                for (String k : open) {
                    var p = pages.get(k);
                    assertTrue(!"live".equals(p.source()), where() + ": " + k + " read live");
                    p.value().items().forEach(c -> paged.get(k).add(c.id()));
                    if (p.value().nextCursor() != null) {
                        more.add(k);
                        next = Math.min(next, p.value().items().get(p.value().items().size() - 1).id());
                    }
                }
                open = more;
                after = more.isEmpty() ? null : dev.segments.common.pagination.Cursors.encodeId(next);
            }
            for (String k : keys) {
                assertEquals(fresh.get(k), paged.get(k), where() + ": members of " + k + " read before the tick");
                assertEquals((long) fresh.get(k).size(), counts.get(k).value(), where() + ": count of " + k
                        + " read before the tick");
                assertTrue(!"live".equals(counts.get(k).source()), where() + ": count of " + k + " read live");
            }
        }

        /**
         * The reads before the tick ({@link #readsBeforeTheTick}), the tick at the clock, then the checks in two requests: a fresh evaluation at the clock of every segment
         * (one GraphQL query; the segments' pages are one statement) and, in one SQL statement, per segment its
         * materialized members, its member count, the feed's replay (the last change of each customer: entered), and
         * the due instants left at or before the clock.
         */
        void check() {
            Map<String, Set<Long>> fresh = new HashMap<>();
            JsonPath g = GraphQL.query(key, "query($c: DateTime) { segments { key members(asOf: $c, first: 1000) {"
                    + " nodes { id } } } }", Map.of("c", clock.toString())).statusCode(200).extract().jsonPath();
            Object errors = g.get("errors");
            assertTrue(errors == null, where() + ": " + errors);
            for (Map<String, Object> seg : g.<Map<String, Object>>getList("data.segments")) {
                Set<Long> ids = new TreeSet<>();
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> nodes = (List<Map<String, Object>>) ((Map<String, Object>) seg.get("members")).get("nodes");
                nodes.forEach(n -> ids.add(Long.parseLong(n.get("id").toString())));
                fresh.put((String) seg.get("key"), ids);
            }
            readsBeforeTheTick(fresh);
            membership.tick(clock).await().atMost(WAIT);
            Map<String, Set<Long>> stored = new HashMap<>(), replayed = new HashMap<>();
            Map<String, Long> counts = new HashMap<>();
            long[] overdue = {0};
            pool.preparedQuery("""
                            select s.key, s.kind, st.member_count,
                                   array(select m.customer_id from segment_membership m where m.segment_id = s.id
                                         union all select l.customer_id from segment_member l where l.segment_id = s.id),
                                   array(select x.customer_id from (select distinct on (customer_id) customer_id, kind
                                                                    from membership_change where segment_id = s.id
                                                                    order by customer_id, id desc) x
                                         where x.kind = 'entered'),
                                   (select count(*) from customer_due d where d.tenant_id = $1 and d.due_at <= $2)
                            from segment s left join segment_state st on st.segment_id = s.id
                            where s.tenant_id = $1""")
                    .execute(Tuple.of(tenantId, clock)).await().atMost(WAIT).forEach(r -> {
                        stored.put(r.getString(0), new TreeSet<>(List.of(r.getArrayOfLongs(3))));
                        replayed.put(r.getString(0), new TreeSet<>(List.of(r.getArrayOfLongs(4))));
                        if (r.getString(1).equals("dynamic")) counts.put(r.getString(0), r.getLong(2));
                        overdue[0] = r.getLong(5);
                    });
            for (String s : rules.keySet()) {
                Set<Long> evaluated = fresh.get(s), materialized = stored.get(s);
                if (!evaluated.equals(materialized)) {
                    Set<Long> missing = new TreeSet<>(evaluated), extra = new TreeSet<>(materialized);
                    missing.removeAll(materialized);
                    extra.removeAll(evaluated);
                    fail(where() + ": materialized " + s + " differs from a fresh evaluation at " + clock
                            + "; missing " + missing + " extra " + extra + " (due of those: " + due(missing, extra) + ")");
                }
                assertEquals(materialized.size(), counts.get(s), where() + ": member count of " + s);
            }
            // every customer's last change is its present state: entered iff a member (a deleted customer exited)
            stored.forEach((s, members) -> assertEquals(members, replayed.get(s), where() + ": feed replay of " + s));
            // every due instant lies after the clock once the tick ran
            assertEquals(0, overdue[0], where() + ": due instants left behind by the tick");
        }

        String where() {
            return "seed " + seed + ", step " + step + " (rerun: -Dproperty.seed=" + seed + ")\n  "
                    + String.join("\n  ", log.subList(Math.max(0, log.size() - 12), log.size()));
        }

        Map<Long, OffsetDateTime> due(Set<Long> a, Set<Long> b) {
            Map<Long, OffsetDateTime> out = new HashMap<>();
            List<Long> all = new ArrayList<>(a);
            all.addAll(b);
            pool.preparedQuery("select customer_id, due_at from customer_due where tenant_id = $1 and customer_id = any($2)")
                    .execute(Tuple.of(tenantId, all.toArray(Long[]::new))).await().atMost(WAIT)
                    .forEach(r -> out.put(r.getLong(0), r.getOffsetDateTime(1)));
            return out;
        }
    }
}
