package dev.segments.rule;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The fields a tenant's rules may use: the built-in customer fields plus the tenant's declared attributes, and
 * the activity streams (purchases, interactions, events) with their fields. Maps public names to constant SQL.
 * Immutable; build one per tenant (attribute catalog) with {@link #of(List)}.
 */
public final class FieldCatalog {

    /** Customer table alias used by every compiled predicate. */
    public static final String CUSTOMER_ALIAS = "c";

    /**
     * An activity stream.
     *
     * @param name        public name (purchases, interactions, events)
     * @param table       SQL table
     * @param alias       SQL alias used in compiled subqueries
     * @param fields      fixed and attribute fields by public name
     * @param propertiesColumn jsonb column holding free-form properties (events), or null
     */
    public record StreamDef(String name, String table, String alias, String description,
                            Map<String, FieldDef> fields, String propertiesColumn) {
        public StreamDef {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
        }

        /** Field by public name, including {@code properties.<key>} for streams with free-form properties. */
        public Optional<FieldDef> field(String name) {
            FieldDef f = fields.get(name);
            if (f != null) return Optional.of(f);
            if (propertiesColumn != null && name.startsWith("properties.")) {
                String key = name.substring("properties.".length());
                if (key.isEmpty() || key.length() > 200) return Optional.empty();
                return Optional.of(new FieldDef(name, null, "event property '" + key + "'", List.of(), true,
                        new FieldDef.Json(propertiesColumn, key)));
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
        col(c, "externalId", FieldType.STRING, "c.external_id", "the customer's id in the tenant's systems");
        col(c, "name", FieldType.STRING, "c.name", "full name");
        col(c, "email", FieldType.STRING, "c.email", "email address");
        col(c, "phone", FieldType.STRING, "c.phone", "primary phone number");
        col(c, "gender", FieldType.STRING, "c.gender", "gender");
        col(c, "birthDate", FieldType.DATE, "c.birth_date", "date of birth");
        c.put("age", new FieldDef("age", FieldType.INTEGER, "age in whole years at evaluation time, from birthDate",
                List.of(), true, new FieldDef.Age("c.birth_date")));
        col(c, "country", FieldType.STRING, "c.country", "country");
        col(c, "region", FieldType.STRING, "c.region", "region");
        col(c, "city", FieldType.STRING, "c.city", "city");
        put(c, "lifecycleStage", FieldType.STRING, "c.lifecycle_stage", "lifecycle stage",
                List.of("lead", "trial", "customer", "churned"));
        col(c, "source", FieldType.STRING, "c.source", "acquisition source");
        col(c, "channel", FieldType.STRING, "c.channel", "acquisition or preferred channel");
        put(c, "priceTier", FieldType.STRING, "c.price_tier", "price tier", List.of("low", "mid", "vip"));
        col(c, "paymentTerms", FieldType.STRING, "c.payment_terms", "payment terms");
        col(c, "tags", FieldType.STRING_LIST, "c.tags", "tags");
        col(c, "createdAt", FieldType.TIMESTAMP, "c.created_at", "when the customer was created");
        col(c, "updatedAt", FieldType.TIMESTAMP, "c.updated_at", "when the customer was last updated");
        col(c, "purchaseCount", FieldType.INTEGER, "c.purchase_count", "number of purchases (rollup)");
        col(c, "totalSpend", FieldType.NUMBER, "c.total_spend", "sum of purchase amounts (rollup)");
        c.put("averageOrderValue", new FieldDef("averageOrderValue", FieldType.NUMBER,
                "total spend / purchase count, compared as the exact quotient; missing without purchases (rollup)",
                List.of(), true, new FieldDef.Quotient("c.total_spend", "c.purchase_count")));
        col(c, "firstPurchaseAt", FieldType.TIMESTAMP, "c.first_purchase_at", "time of the first purchase (rollup)");
        col(c, "lastPurchaseAt", FieldType.TIMESTAMP, "c.last_purchase_at", "time of the last purchase (rollup)");
        col(c, "lastInteractionAt", FieldType.TIMESTAMP, "c.last_interaction_at", "time of the last interaction (rollup)");
        col(c, "lastSeenAt", FieldType.TIMESTAMP, "c.last_seen_at",
                "time of the customer's latest activity of any kind (purchase, interaction or event) (rollup)");
        // (A) fields: announced by the contract, computed by analytics features that do not exist yet
        na(c, "rfm.recency", FieldType.INTEGER, "RFM recency quintile 1..5", List.of("1", "2", "3", "4", "5"));
        na(c, "rfm.frequency", FieldType.INTEGER, "RFM frequency quintile 1..5", List.of("1", "2", "3", "4", "5"));
        na(c, "rfm.monetary", FieldType.INTEGER, "RFM monetary quintile 1..5", List.of("1", "2", "3", "4", "5"));
        na(c, "rfm.segment", FieldType.STRING, "RFM segment", List.of("champions", "loyal", "atRisk"));
        na(c, "leadScore", FieldType.NUMBER, "lead score", List.of());
        na(c, "abcClass", FieldType.STRING, "ABC class", List.of("A", "B", "C"));
        na(c, "xyzClass", FieldType.STRING, "XYZ class", List.of("X", "Y", "Z"));
        for (AttributeDef a : attributes) {
            if (a.entity().equals("customer")) attr(c, a, "c.attributes");
        }

        Map<String, FieldDef> p = new LinkedHashMap<>();
        col(p, "occurredAt", FieldType.TIMESTAMP, "p.occurred_at", "time of the purchase");
        col(p, "amount", FieldType.NUMBER, "p.amount", "amount (in the purchase's currency)");
        col(p, "currency", FieldType.STRING, "p.currency", "ISO 4217 currency code");
        col(p, "product", FieldType.STRING, "p.product", "product");
        col(p, "category", FieldType.STRING, "p.category", "product category");
        col(p, "channel", FieldType.STRING, "p.channel", "sales channel");
        col(p, "quantity", FieldType.INTEGER, "p.quantity", "quantity");
        Map<String, FieldDef> i = new LinkedHashMap<>();
        col(i, "occurredAt", FieldType.TIMESTAMP, "i.occurred_at", "time of the interaction");
        put(i, "type", FieldType.STRING, "i.type", "interaction type",
                List.of("call", "email", "meeting", "consultation", "contact_attempt", "chat", "refusal"));
        col(i, "channel", FieldType.STRING, "i.channel", "channel");
        col(i, "outcome", FieldType.STRING, "i.outcome", "outcome");
        col(i, "reason", FieldType.STRING, "i.reason", "reason");
        for (AttributeDef a : attributes) {
            if (a.entity().equals("purchase")) attr(p, a, "p.attributes");
            if (a.entity().equals("interaction")) attr(i, a, "i.attributes");
        }
        Map<String, FieldDef> e = new LinkedHashMap<>();
        col(e, "occurredAt", FieldType.TIMESTAMP, "e.occurred_at", "time of the event");
        col(e, "name", FieldType.STRING, "e.name", "event name");

        Map<String, StreamDef> s = new LinkedHashMap<>();
        s.put("purchases", new StreamDef("purchases", "purchase", "p", "purchases", p, null));
        s.put("interactions", new StreamDef("interactions", "interaction", "i", "interactions (calls, emails, ...)", i, null));
        s.put("events", new StreamDef("events", "event", "e",
                "tracked events; properties.<key> compared as the type of the rule's value", e, "e.properties"));
        return new FieldCatalog(c, s);
    }

    private static void col(Map<String, FieldDef> m, String name, FieldType t, String sql, String desc) {
        put(m, name, t, sql, desc, List.of());
    }

    private static void put(Map<String, FieldDef> m, String name, FieldType t, String sql, String desc, List<String> values) {
        m.put(name, new FieldDef(name, t, desc, values, true, new FieldDef.Column(sql)));
    }

    private static void na(Map<String, FieldDef> m, String name, FieldType t, String desc, List<String> values) {
        m.put(name, new FieldDef(name, t, desc + " (not available yet)", values, false, new FieldDef.Column("null")));
    }

    private static void attr(Map<String, FieldDef> m, AttributeDef a, String column) {
        String name = "attributes." + a.key();
        m.put(name, new FieldDef(name, a.fieldType(),
                a.description() == null ? "custom attribute '" + a.key() + "'" : a.description(),
                List.of(), true, new FieldDef.Json(column, a.key())));
    }

    /** Customer field by public name (including declared {@code attributes.<key>}). */
    public Optional<FieldDef> customerField(String name) { return Optional.ofNullable(customer.get(name)); }

    /** Every customer field, for field pickers. */
    public List<FieldDef> customerFields() { return List.copyOf(customer.values()); }

    public Optional<StreamDef> stream(String name) { return Optional.ofNullable(streams.get(name)); }

    public List<StreamDef> streams() { return List.copyOf(streams.values()); }

    /** Public stream names. */
    public List<String> streamNames() { return new ArrayList<>(streams.keySet()); }
}
