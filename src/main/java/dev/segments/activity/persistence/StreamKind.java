package dev.segments.activity.persistence;

/**
 * The three activity streams and the SQL that differs between them. Each item travels as JSON and is typed by
 * {@code jsonb_to_recordset}; each row comes back as JSON in the shape of its view record.
 */
public enum StreamKind {
    PURCHASE("purchase", "purchase",
            "occurred_at, amount, currency, product, category, quantity, channel, attributes",
            """
            r."occurredAt", r.amount, r.currency, r.product, r.category, r.quantity, r.channel, \
            coalesce(r.attributes, '{}')""",
            """
            "occurredAt" timestamptz, amount numeric, currency text, product text, category text, quantity integer, \
            channel text, attributes jsonb""",
            """
            'amount', t.amount, 'currency', t.currency, 'product', t.product, 'category', t.category, \
            'quantity', t.quantity, 'channel', t.channel, 'attributes', t.attributes"""),
    INTERACTION("interaction", "interaction",
            "occurred_at, type, channel, outcome, reason, attributes",
            """
            r."occurredAt", r.type, r.channel, r.outcome, r.reason, coalesce(r.attributes, '{}')""",
            """
            "occurredAt" timestamptz, type text, channel text, outcome text, reason text, attributes jsonb""",
            """
            'type', t.type, 'channel', t.channel, 'outcome', t.outcome, 'reason', t.reason, \
            'attributes', t.attributes"""),
    EVENT("event", null,
            "occurred_at, name, properties",
            """
            r."occurredAt", r.name, coalesce(r.properties, '{}')""",
            """
            "occurredAt" timestamptz, name text, properties jsonb""",
            """
            'name', t.name, 'properties', t.properties""");

    /** Table name (a constant, never client input). */
    final String table;
    /** The entity of the attribute catalog that types this stream's attributes; null if it has none. */
    private final String attributeEntity;
    final String columns;
    final String values;
    final String record;
    final String viewMembers;

    StreamKind(String table, String attributeEntity, String columns, String values, String record, String viewMembers) {
        this.table = table;
        this.attributeEntity = attributeEntity;
        this.columns = columns;
        this.values = values;
        this.record = record;
        this.viewMembers = viewMembers;
    }

    public String attributeEntity() {
        return attributeEntity;
    }

    /** The stream's table. */
    public String table() {
        return table;
    }

    /** The row as the JSON of its view record. */
    String viewJson() {
        return "jsonb_build_object('id', t.id, 'customerId', t.customer_id, 'externalId', t.external_id, "
                + "'occurredAt', t.occurred_at, " + viewMembers + ", 'createdAt', t.created_at)::text";
    }
}
