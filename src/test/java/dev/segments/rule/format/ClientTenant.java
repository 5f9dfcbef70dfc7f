package dev.segments.rule.format;

import dev.segments.support.Api;

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

import static dev.segments.support.Api.as;

/**
 * A tenant with varied customers for the client checks (react-querybuilder, json-logic-js): every field type, missing
 * values, empty strings and lists, zero and false (set, unlike JavaScript's truthiness), mixed case (contains is
 * case-insensitive), purchases on the comparison day at different hours (day precision), birthdays around today
 * (age), and refs between fields. Seeded through the REST API; the node scripts get {@link #env()}.
 *
 * <p>{@code asOf} is the clock both the service (asOf) and the scripts (their now) evaluate at; {@code day} is the
 * date the date comparisons of the corpus (src/test/node/querybuilder/corpus.mjs) use.
 */
record ClientTenant(String key, OffsetDateTime asOf, LocalDate day, int customers) {

    static final int CUSTOMERS = 48;

    /** What the node scripts need: SEGMENTS_KEY, SEGMENTS_AS_OF, SEGMENTS_DAY, SEGMENTS_CUSTOMERS. */
    Map<String, String> env() {
        return Map.of("SEGMENTS_KEY", key, "SEGMENTS_AS_OF", asOf.toString(), "SEGMENTS_DAY", day.toString(),
                "SEGMENTS_CUSTOMERS", Integer.toString(customers));
    }

    static ClientTenant seed() {
        String key = Api.newTenant();
        OffsetDateTime asOf = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
        LocalDate today = asOf.toLocalDate();
        LocalDate day = today.minusDays(60);
        for (String[] a : new String[][]{{"plan", "string"}, {"vip", "boolean"}, {"score", "number"}, {"seats", "integer"},
                {"renewalDate", "date"}, {"trialEndsAt", "timestamp"}, {"interests", "stringList"}}) {
            as(key).body(Map.of("entity", "customer", "key", a[0], "type", a[1])).post("/attributes").then().statusCode(201);
        }
        Random r = new Random(13);
        String[] names = {"Ann Smith", "JOANNA Berg", "Bob Stone", "carla Anderson", "Dmitri Ivanov", "Eve Johnson",
                "frank Miller", "Gina Jansen", "Hanna Lee", "Ivan Petrov", "", "Zoe Dean"};
        String[] emails = {"ann@example.com", "a.b@Example.ORG", "bob@mail.net", "", "zed@example.org", "anna@corp.com"};
        String[] countries = {"DE", "AT", "FR", "IT"};
        String[] cities = {"Berlin", "berlin", "Paris", "Rome", "Vienna", "Munich"};
        String[] regions = {"north", "south", "east", "west"};
        String[] stages = {"lead", "trial", "customer", "churned"};
        String[] tiers = {"low", "mid", "vip"};
        List<List<String>> tags = List.of(List.of(), List.of("vip"), List.of("b2b", "beta"), List.of("beta"),
                List.of("vip", "b2b"), List.of("b2b", "beta", "vip"));
        List<List<String>> interests = List.of(List.of(), List.of("golf"), List.of("golf", "chess"), List.of("chess"));
        Object[] scores = {0, 1.5, -2, 10.25, 0.5, 3};
        for (int i = 0; i < CUSTOMERS; i++) {
            String id = "c-%02d".formatted(i);
            Map<String, Object> c = new HashMap<>();
            maybe(r, c, "name", names[i % names.length], 10);
            maybe(r, c, "email", emails[r.nextInt(emails.length)], 20);
            if (r.nextInt(3) > 0) c.put("phone", "+49 30 " + (1000 + i));
            if (r.nextInt(4) > 0) c.put("gender", r.nextBoolean() ? "f" : "m");
            // birthdays on either side of today's date (age) and some missing
            if (i % 7 != 3) {
                int years = 18 + r.nextInt(50);
                LocalDate birth = today.minusYears(years).plusDays(switch (i % 5) {
                    case 0 -> 0; case 1 -> 1; case 2 -> -1; default -> r.nextInt(700) - 350;
                });
                c.put("birthDate", birth.toString());
            }
            maybe(r, c, "country", countries[r.nextInt(countries.length)], 15);
            maybe(r, c, "region", regions[r.nextInt(regions.length)], 20);
            maybe(r, c, "city", cities[r.nextInt(cities.length)], 15);
            maybe(r, c, "lifecycleStage", stages[r.nextInt(stages.length)], 15);
            maybe(r, c, "priceTier", tiers[r.nextInt(tiers.length)], 20);
            if (r.nextInt(5) > 0) c.put("tags", tags.get(r.nextInt(tags.size())));
            Map<String, Object> attrs = new LinkedHashMap<>();
            if (r.nextInt(4) > 0) attrs.put("plan", switch (r.nextInt(4)) { case 0 -> "pro"; case 1 -> "free"; case 2 -> ""; default -> "Pro"; });
            if (r.nextInt(3) > 0) attrs.put("vip", r.nextBoolean());
            if (r.nextInt(3) > 0) attrs.put("score", scores[r.nextInt(scores.length)]);
            if (r.nextInt(3) > 0) attrs.put("seats", r.nextInt(4) == 0 ? 0 : r.nextInt(15));
            if (r.nextInt(3) > 0) attrs.put("renewalDate", today.plusDays(r.nextInt(40) - 20).toString());
            if (r.nextInt(3) > 0) attrs.put("trialEndsAt", day.atTime(r.nextInt(24), r.nextInt(60)).atOffset(ZoneOffset.UTC)
                    .plusDays(r.nextInt(3) - 1).toString());
            if (r.nextInt(3) > 0) attrs.put("interests", interests.get(r.nextInt(interests.size())));
            c.put("attributes", attrs);
            Api.customer(key, id, c);

            // purchases: none for some, else 1..4, the last one on the comparison day (various hours) for some
            int purchases = i % 6 == 5 ? 0 : 1 + r.nextInt(4);
            for (int p = 0; p < purchases; p++) {
                OffsetDateTime at;
                if (p == purchases - 1 && i % 4 == 0) {
                    at = day.atTime(new int[]{0, 8, 23, 12}[(i / 4) % 4], 30).atOffset(ZoneOffset.UTC);
                } else if (p == purchases - 1 && i % 4 == 1) {
                    at = day.plusDays(r.nextBoolean() ? 1 : -1).atTime(r.nextBoolean() ? 0 : 23, 10).atOffset(ZoneOffset.UTC);
                } else {
                    at = asOf.minusDays(1 + r.nextInt(400)).minusMinutes(30 + r.nextInt(600));
                }
                String amount = new String[]{"12.50", "199.99", "0", "45", "1000.10", "7.25"}[r.nextInt(6)];
                as(key).body(Map.of("customerExternalId", id, "occurredAt", at.toString(), "amount", amount))
                        .post("/purchases").then().statusCode(201);
            }
            if (r.nextInt(3) > 0) {
                OffsetDateTime at = asOf.minusDays(r.nextInt(200)).minusMinutes(45 + r.nextInt(600));
                as(key).body(Map.of("customerExternalId", id, "occurredAt", at.toString(),
                        "type", new String[]{"call", "email", "consultation"}[r.nextInt(3)])).post("/interactions").then().statusCode(201);
            }
        }
        return new ClientTenant(key, asOf, day, CUSTOMERS);
    }

    /** Puts the value, or leaves it out (missing) with the given percent chance, or an empty string now and then. */
    private static void maybe(Random r, Map<String, Object> c, String field, String value, int missingPercent) {
        int x = r.nextInt(100);
        if (x < missingPercent) return;
        c.put(field, x < missingPercent + 4 ? "" : value);
    }

    /** Two segments for the corpus to refer to ($segment): the vip tier and Berlin. */
    static List<String> segments(ClientTenant t) {
        List<String> keys = new ArrayList<>();
        as(t.key()).body(Map.of("key", "vips", "name", "VIP tier", "rule",
                Map.of("field", "priceTier", "op", "eq", "value", "vip"))).post("/segments").then().statusCode(201);
        keys.add("vips");
        as(t.key()).body(Map.of("key", "berliners", "name", "Berlin", "rule",
                Map.of("field", "city", "op", "contains", "value", "berlin"))).post("/segments").then().statusCode(201);
        keys.add("berliners");
        return keys;
    }
}
