package dev.segments.rule;

import dev.segments.rule.FieldDef.Words;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import static dev.segments.rule.Source.ANALYTICS;
import static dev.segments.rule.Source.EVENTS;
import static dev.segments.rule.Source.INTERACTIONS;
import static dev.segments.rule.Source.PROFILE;
import static dev.segments.rule.Source.PURCHASES;

/**
 * The one table of field and stream facts: the fields a tenant's rules may use (the built-in customer fields plus
 * the tenant's declared attributes) and the activity streams (purchases, interactions, events) with their fields.
 * Each field has its public name, type, operators (by type), constant SQL expression and the writes that change
 * it; each stream its table, alias, the write that changes it and the rollup columns that equal aggregates over
 * it (among them its latest-row column). A new field or stream is one entry here (plus a migration); nothing
 * elsewhere switches on names, and a name that is not here fails ({@link #requireCustomerField},
 * {@link #requireStream}). Immutable; build one per tenant (attribute catalog) with {@link #of(List)}.
 */
public final class FieldCatalog {

    /** Customer table alias used by every compiled predicate. */
    public static final String CUSTOMER_ALIAS = "c";

    /**
     * A per-customer rollup column (kept exact on every write) that equals {@code fn(field)} over all of a
     * customer's rows of a stream; field is null for count.
     */
    public record Rollup(RuleNode.AggregateFn fn, String field, String column) {
        public Rollup {
            Objects.requireNonNull(fn);
            Objects.requireNonNull(column);
            if ((fn == RuleNode.AggregateFn.COUNT) != (field == null)) throw new IllegalArgumentException("count takes no field");
        }
    }

    /**
     * How a stream reads in a sentence (rule/format/RuleText, reports).
     *
     * @param one        a row, singular ("purchase")
     * @param many       rows, plural ("purchases")
     * @param verb       what counting rows says ("made": "made at least 2 purchases")
     * @param verbNot    its exact negation ("did not make")
     * @param kindField  a string field whose value names the row (interactions' type: "consultation"), or null
     * @param kindIsNoun whether that value is a noun on its own ("2 consultations"), else it qualifies the rows
     *                   ("2 \"signup\" events")
     */
    public record StreamWords(String one, String many, String verb, String verbNot, String kindField, boolean kindIsNoun) {
        public StreamWords {
            Objects.requireNonNull(one);
            Objects.requireNonNull(many);
            Objects.requireNonNull(verb);
            Objects.requireNonNull(verbNot);
        }
    }

    /**
     * An activity stream.
     *
     * @param name        public name (purchases, interactions, events)
     * @param table       SQL table
     * @param alias       SQL alias used in compiled subqueries
     * @param words       how the stream reads in a sentence ({@link StreamWords})
     * @param source      the write that adds or removes its rows
     * @param fields      fixed and attribute fields by public name
     * @param propertiesColumn jsonb column holding free-form properties (events), or null
     * @param rollups     rollup columns equal to aggregates over all of a customer's rows
     */
    public record StreamDef(String name, String table, String alias, String description, StreamWords words,
                            Source source, Map<String, FieldDef> fields, String propertiesColumn, List<Rollup> rollups) {
        public StreamDef {
            Objects.requireNonNull(source);
            Objects.requireNonNull(words);
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
            rollups = List.copyOf(rollups);
            if (!(fields.get("occurredAt") instanceof FieldDef f && f.access() instanceof FieldDef.Column)) {
                throw new IllegalArgumentException("stream '" + name + "' needs an occurredAt column");
            }
        }

        /** The rollup column equal to {@code fn(field)} over all of a customer's rows (field null for count). */
        public Optional<String> rollup(RuleNode.AggregateFn fn, String field) {
            return rollups.stream().filter(r -> r.fn() == fn && Objects.equals(r.field(), field))
                    .map(Rollup::column).findFirst();
        }

        /** The customer's latest row time ({@code max(occurredAt)} as a rollup), when the stream keeps one. */
        public Optional<String> latestColumn() {
            return rollup(RuleNode.AggregateFn.MAX, "occurredAt");
        }

        /** The SQL column of the row time. */
        public String occurredAtColumn() {
            return ((FieldDef.Column) fields.get("occurredAt").access()).sql();
        }

        /** Field by public name, including {@code properties.<key>} for streams with free-form properties. */
        public Optional<FieldDef> field(String name) {
            FieldDef f = fields.get(name);
            if (f != null) return Optional.of(f);
            if (propertiesColumn != null && name.startsWith("properties.")) {
                String key = name.substring("properties.".length());
                if (key.isEmpty() || key.length() > 200) return Optional.empty();
                return Optional.of(new FieldDef(name, null, "event property '" + key + "'",
                        FieldDef.Words.of("property " + key), List.of(), true, new FieldDef.Json(propertiesColumn, key),
                        Set.of(source)));
            }
            return Optional.empty();
        }

        /** Field list for pickers (properties.* is open-ended and not listed). */
        public List<FieldDef> fieldList() { return List.copyOf(fields.values()); }
    }

    private final Map<String, FieldDef> customer;
    private final Map<String, StreamDef> streams;

    private FieldCatalog(Map<String, FieldDef> customer, Map<String, StreamDef> streams) {
        this.customer = Collections.unmodifiableMap(customer);
        this.streams = Collections.unmodifiableMap(streams);
    }

    /** The catalog for a tenant with these declared attributes. */
    public static FieldCatalog of(List<AttributeDef> attributes) {
        Map<String, FieldDef> c = new LinkedHashMap<>();
        Set<Source> profile = Set.of(PROFILE);
        col(c, "externalId", "external id", FieldType.STRING, "c.external_id", "the customer's id in the tenant's systems", profile);
        col(c, "name", "name", FieldType.STRING, "c.name", "full name", profile);
        col(c, "email", "email", FieldType.STRING, "c.email", "email address", profile);
        col(c, "phone", "phone", FieldType.STRING, "c.phone", "primary phone number", profile);
        col(c, "gender", "gender", FieldType.STRING, "c.gender", "gender", profile);
        col(c, "birthDate", "birth date", FieldType.DATE, "c.birth_date", "date of birth", profile);
        // age also changes with the calendar day: RuleDependencies reads that from its access (Age)
        c.put("age", new FieldDef("age", FieldType.INTEGER, "age in whole years at evaluation time, from birthDate",
                Words.of("age"), List.of(), true, new FieldDef.Age("c.birth_date"), profile));
        col(c, "country", "country", FieldType.STRING, "c.country", "country", profile);
        col(c, "region", "region", FieldType.STRING, "c.region", "region", profile);
        col(c, "city", "city", FieldType.STRING, "c.city", "city", profile);
        put(c, "lifecycleStage", Words.of("lifecycle stage"), FieldType.STRING, "c.lifecycle_stage", "lifecycle stage",
                List.of("lead", "trial", "customer", "churned"), profile);
        col(c, "source", "source", FieldType.STRING, "c.source", "acquisition source", profile);
        col(c, "channel", "channel", FieldType.STRING, "c.channel", "acquisition or preferred channel", profile);
        put(c, "priceTier", Words.of("price tier"), FieldType.STRING, "c.price_tier", "price tier",
                List.of("low", "mid", "vip"), profile);
        col(c, "paymentTerms", "payment terms", FieldType.STRING, "c.payment_terms", "payment terms", profile);
        col(c, "tags", "tags", FieldType.STRING_LIST, "c.tags", "tags", profile);
        put(c, "createdAt", new Words("creation time", "joined", "did not join"), FieldType.TIMESTAMP, "c.created_at",
                "when the customer was created", List.of(), profile);
        col(c, "updatedAt", "last update", FieldType.TIMESTAMP, "c.updated_at", "when the customer was last updated", profile);
        // rollups: kept by the activity writes (same transaction), so they change with those streams
        Set<Source> purchases = Set.of(PURCHASES);
        col(c, "purchaseCount", "purchase count", FieldType.INTEGER, "c.purchase_count", "number of purchases (rollup)", purchases);
        col(c, "totalSpend", "total spend", FieldType.NUMBER, "c.total_spend", "sum of purchase amounts (rollup)", purchases);
        c.put("averageOrderValue", new FieldDef("averageOrderValue", FieldType.NUMBER,
                "total spend / purchase count, compared as the exact quotient; missing without purchases (rollup)",
                Words.of("average order value"), List.of(), true,
                new FieldDef.Quotient("c.total_spend", "c.purchase_count"), purchases));
        put(c, "firstPurchaseAt", new Words("first purchase", "made their first purchase",
                "did not make their first purchase"), FieldType.TIMESTAMP, "c.first_purchase_at",
                "time of the first purchase (rollup)", List.of(), purchases);
        put(c, "lastPurchaseAt", new Words("last purchase", "bought", "did not buy"), FieldType.TIMESTAMP,
                "c.last_purchase_at", "time of the last purchase (rollup)", List.of(), purchases);
        put(c, "lastInteractionAt", new Words("last interaction", "had an interaction", "had no interaction"),
                FieldType.TIMESTAMP, "c.last_interaction_at", "time of the last interaction (rollup)", List.of(),
                Set.of(INTERACTIONS));
        put(c, "lastSeenAt", new Words("last activity", "showed activity", "showed no activity"), FieldType.TIMESTAMP,
                "c.last_seen_at",
                "time of the customer's latest activity of any kind (purchase, interaction or event) (rollup)", List.of(),
                Set.of(PURCHASES, INTERACTIONS, EVENTS));
        // analytics (docs/analytics.md): stored in customer_score (cs) by the models' runs; RFM ranks the whole base, so
        // only a run changes it (a purchase changes it at the next run); the activity status also follows every write
        Set<Source> analytics = Set.of(ANALYTICS);
        List<String> scores = List.of("1", "2", "3", "4", "5");
        put(c, "rfm.recency", Words.of("RFM recency score"), FieldType.INTEGER, "cs.rfm_recency",
                "RFM recency score 1..5 (5: bought most recently), from the RFM model; not set without purchases in its window",
                scores, analytics);
        put(c, "rfm.frequency", Words.of("RFM frequency score"), FieldType.INTEGER, "cs.rfm_frequency",
                "RFM frequency score 1..5 (5: most purchases in the window); not set without purchases in it", scores, analytics);
        put(c, "rfm.monetary", Words.of("RFM monetary score"), FieldType.INTEGER, "cs.rfm_monetary",
                "RFM monetary score 1..5 (5: most revenue in the window); not set without purchases in it", scores, analytics);
        col(c, "rfm.score", "RFM score", FieldType.STRING, "cs.rfm_score",
                "RFM scores as three digits, recency frequency monetary (e.g. \"545\"); not set without purchases in the window",
                analytics);
        put(c, "rfm.segment", Words.of("RFM segment"), FieldType.STRING, "cs.rfm_segment",
                "RFM segment named from the recency and frequency scores (docs/analytics.md); not set without purchases in the window",
                List.of("champions", "loyal", "potentialLoyalists", "newCustomers", "promising", "needAttention",
                        "aboutToSleep", "atRisk", "cannotLoseThem", "hibernating", "lost"), analytics);
        put(c, "activityStatus", Words.of("activity status"), FieldType.STRING, "c.activity_status",
                "new, active, passive or dormant, from createdAt and lastSeenAt (or lastPurchaseAt) windows of the activity model",
                List.of("new", "active", "passive", "dormant"), Set.of(PROFILE, PURCHASES, INTERACTIONS, EVENTS, ANALYTICS));
        // ABC/XYZ: ABC ranks the whole base (a run); XYZ is the customer's own series, so a purchase write updates it
        put(c, "abcClass", Words.of("ABC class"), FieldType.STRING, "cs.abc_class",
                "ABC class by share of the revenue in the ABC/XYZ window (A: the customers making the top 80%, B the next"
                        + " 15%, C the rest), from the ABC/XYZ model; not set without purchases in its window",
                List.of("A", "B", "C"), analytics);
        Set<Source> perCustomerPurchases = Set.of(PURCHASES, ANALYTICS);
        put(c, "xyzClass", Words.of("XYZ class"), FieldType.STRING, "cs.xyz_class",
                "XYZ class by the coefficient of variation of the revenue per period (X below 10%, Y up to 25%, Z above),"
                        + " from the ABC/XYZ model; not set without purchases in its horizon",
                List.of("X", "Y", "Z"), perCustomerPurchases);
        put(c, "abcXyz", Words.of("ABC/XYZ class"), FieldType.STRING, "cs.abc_xyz",
                "abcClass and xyzClass together, e.g. \"AX\"; not set unless both are set",
                List.of("AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"), perCustomerPurchases);
        // lead scoring: the tenant's scoring rules may read anything, so every write rescores the customer it touches
        Set<Source> everyWrite = Set.of(PROFILE, PURCHASES, INTERACTIONS, EVENTS, ANALYTICS);
        col(c, "leadScore", "lead score", FieldType.NUMBER, "cs.lead_score",
                "lead score: the points of the lead-scoring rules the customer meets, decayed where configured; not set"
                        + " while the model has no rules", everyWrite);
        put(c, "leadTemperature", Words.of("lead temperature"), FieldType.STRING, "cs.lead_temperature",
                "hot, warm or cold: the lead score against the model's thresholds; not set while the model has no rules",
                List.of("hot", "warm", "cold"), everyWrite);
        put(c, "valueQuadrant", Words.of("value quadrant"), FieldType.STRING, "cs.value_quadrant",
                "big or small revenue in the window x soon or late from first contact to first purchase (median split"
                        + " unless configured), from the value-quadrant model; not set without purchases in its window",
                List.of("bigSoon", "bigLate", "smallSoon", "smallLate"), analytics);
        for (AttributeDef a : attributes) {
            if (a.entity().equals("customer")) attr(c, a, "c.attributes", profile);
        }

        Map<String, FieldDef> p = new LinkedHashMap<>();
        col(p, "occurredAt", "time", FieldType.TIMESTAMP, "p.occurred_at", "time of the purchase", purchases);
        put(p, "amount", new Words("amount", "spent", "did not spend"), FieldType.NUMBER, "p.amount",
                "amount (in the purchase's currency)", List.of(), purchases);
        col(p, "currency", "currency", FieldType.STRING, "p.currency", "ISO 4217 currency code", purchases);
        col(p, "product", "product", FieldType.STRING, "p.product", "product", purchases);
        col(p, "category", "category", FieldType.STRING, "p.category", "product category", purchases);
        col(p, "channel", "channel", FieldType.STRING, "p.channel", "sales channel", purchases);
        col(p, "quantity", "quantity", FieldType.INTEGER, "p.quantity", "quantity", purchases);
        Set<Source> interactions = Set.of(INTERACTIONS);
        Map<String, FieldDef> i = new LinkedHashMap<>();
        col(i, "occurredAt", "time", FieldType.TIMESTAMP, "i.occurred_at", "time of the interaction", interactions);
        put(i, "type", Words.of("type"), FieldType.STRING, "i.type", "interaction type",
                List.of("call", "email", "meeting", "consultation", "contact_attempt", "chat", "refusal"), interactions);
        col(i, "channel", "channel", FieldType.STRING, "i.channel", "channel", interactions);
        col(i, "outcome", "outcome", FieldType.STRING, "i.outcome", "outcome", interactions);
        col(i, "reason", "reason", FieldType.STRING, "i.reason", "reason", interactions);
        for (AttributeDef a : attributes) {
            if (a.entity().equals("purchase")) attr(p, a, "p.attributes", purchases);
            if (a.entity().equals("interaction")) attr(i, a, "i.attributes", interactions);
        }
        Set<Source> events = Set.of(EVENTS);
        Map<String, FieldDef> e = new LinkedHashMap<>();
        col(e, "occurredAt", "time", FieldType.TIMESTAMP, "e.occurred_at", "time of the event", events);
        col(e, "name", "name", FieldType.STRING, "e.name", "event name", events);

        Map<String, StreamDef> s = new LinkedHashMap<>();
        s.put("purchases", new StreamDef("purchases", "purchase", "p", "purchases",
                new StreamWords("purchase", "purchases", "made", "did not make", null, false), PURCHASES, p, null, List.of(
                new Rollup(RuleNode.AggregateFn.COUNT, null, "c.purchase_count"),
                new Rollup(RuleNode.AggregateFn.SUM, "amount", "c.total_spend"),
                new Rollup(RuleNode.AggregateFn.MIN, "occurredAt", "c.first_purchase_at"),
                new Rollup(RuleNode.AggregateFn.MAX, "occurredAt", "c.last_purchase_at"))));
        s.put("interactions", new StreamDef("interactions", "interaction", "i", "interactions (calls, emails, ...)",
                new StreamWords("interaction", "interactions", "had", "did not have", "type", true),
                INTERACTIONS, i, null, List.of(new Rollup(RuleNode.AggregateFn.MAX, "occurredAt", "c.last_interaction_at"))));
        s.put("events", new StreamDef("events", "event", "e",
                "tracked events; properties.<key> compared as the type of the rule's value",
                new StreamWords("event", "events", "had", "did not have", "name", false), EVENTS, e, "e.properties",
                List.of()));
        return new FieldCatalog(c, s);
    }

    private static void col(Map<String, FieldDef> m, String name, String label, FieldType t, String sql, String desc,
                            Set<Source> changedBy) {
        put(m, name, Words.of(label), t, sql, desc, List.of(), changedBy);
    }

    private static void put(Map<String, FieldDef> m, String name, Words words, FieldType t, String sql, String desc,
                            List<String> values, Set<Source> changedBy) {
        m.put(name, new FieldDef(name, t, desc, words, values, true, new FieldDef.Column(sql), changedBy));
    }

    private static void attr(Map<String, FieldDef> m, AttributeDef a, String column, Set<Source> changedBy) {
        String name = "attributes." + a.key();
        m.put(name, new FieldDef(name, a.fieldType(),
                a.description() == null ? "custom attribute '" + a.key() + "'" : a.description(),
                Words.of(words(a.key())), List.of(), true, new FieldDef.Json(column, a.key()), changedBy));
    }

    /** A key as lower-case words: "loyaltyLevel" and "loyalty_level" are "loyalty level". */
    public static String words(String key) {
        StringBuilder b = new StringBuilder(key.length() + 4);
        for (int i = 0; i < key.length(); i++) {
            char ch = key.charAt(i);
            if (ch == '_' || ch == '-' || ch == '.') {
                if (!b.isEmpty() && b.charAt(b.length() - 1) != ' ') b.append(' ');
            } else if (Character.isUpperCase(ch) && i > 0 && Character.isLowerCase(key.charAt(i - 1))) {
                b.append(' ').append(Character.toLowerCase(ch));
            } else {
                b.append(ch);
            }
        }
        return b.toString().strip();
    }

    /** Customer field by public name (including declared {@code attributes.<key>}). */
    public Optional<FieldDef> customerField(String name) { return Optional.ofNullable(customer.get(name)); }

    /** Every customer field, for field pickers. */
    public List<FieldDef> customerFields() { return List.copyOf(customer.values()); }

    /** A customer field of a validated rule: unknown names are a bug, never a default. */
    public FieldDef requireCustomerField(String name) {
        FieldDef f = customer.get(name);
        if (f == null) throw new IllegalArgumentException("unknown customer field '" + name + "'");
        return f;
    }

    public Optional<StreamDef> stream(String name) { return Optional.ofNullable(streams.get(name)); }

    /** A stream of a validated rule: unknown names are a bug, never a default. */
    public StreamDef requireStream(String name) {
        StreamDef s = streams.get(name);
        if (s == null) throw new IllegalArgumentException("unknown stream '" + name + "'");
        return s;
    }

    public List<StreamDef> streams() { return List.copyOf(streams.values()); }

    /** Public stream names. */
    public List<String> streamNames() { return new ArrayList<>(streams.keySet()); }
}
