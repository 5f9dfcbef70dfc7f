package dev.segments.customer.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.json.StoredJson;
import dev.segments.common.json.StoredObject;
import dev.segments.customer.CustomerInput;
import dev.segments.customer.CustomerView;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Customer rows, over the reactive PG pool. Writes pass the profile as one JSONB document and let
 * {@code jsonb_to_recordset} type it, so a single row and a 1,000-row import chunk take the same statement.
 */
@ApplicationScoped
public class CustomerRepository {

    /** The profile columns as {@code jsonb_to_recordset} reads them from {@link CustomerInput} JSON. */
    private static final String RECORD = """
            r("externalId" text, name text, email text, phone text, phones text[], gender text, "birthDate" date,
              country text, region text, city text, "priceTier" text, "paymentTerms" text, "lifecycleStage" text,
              source text, channel text, tags text[], attributes jsonb, contacts jsonb)""";

    private static final String PROFILE_COLUMNS = """
            external_id, name, email, phone, phones, gender, birth_date, country, region, city, price_tier,
            payment_terms, lifecycle_stage, source, channel, tags, attributes, contacts""";

    private static final String PROFILE_VALUES = """
            r."externalId", r.name, r.email, r.phone, coalesce(r.phones, '{}'), r.gender, r."birthDate", r.country,
            r.region, r.city, r."priceTier", r."paymentTerms", r."lifecycleStage", r.source, r.channel,
            coalesce(r.tags, '{}'), coalesce(r.attributes, '{}'), coalesce(r.contacts, '[]')""";

    private static final String EXCLUDED = """
            name = excluded.name, email = excluded.email, phone = excluded.phone, phones = excluded.phones,
            gender = excluded.gender, birth_date = excluded.birth_date, country = excluded.country,
            region = excluded.region, city = excluded.city, price_tier = excluded.price_tier,
            payment_terms = excluded.payment_terms, lifecycle_stage = excluded.lifecycle_stage,
            source = excluded.source, channel = excluded.channel, tags = excluded.tags,
            attributes = excluded.attributes, contacts = excluded.contacts""";

    /** An upsert's condition: a known profile is written (and its version bumped) only when it differs. */
    private static final String CHANGED = "where (c.name, c.email, c.phone, c.phones, c.gender, c.birth_date,"
            + " c.country, c.region, c.city, c.price_tier, c.payment_terms, c.lifecycle_stage, c.source, c.channel,"
            + " c.tags, c.attributes, c.contacts) is distinct from (excluded.name, excluded.email, excluded.phone,"
            + " excluded.phones, excluded.gender, excluded.birth_date, excluded.country, excluded.region,"
            + " excluded.city, excluded.price_tier, excluded.payment_terms, excluded.lifecycle_stage,"
            + " excluded.source, excluded.channel, excluded.tags, excluded.attributes, excluded.contacts)\n";

    /** Columns read back; {@link #toView(Row)} maps them by name. */
    public static final String VIEW_COLUMNS = """
            c.id, c.external_id, c.name, c.email, c.phone, c.phones, c.gender, c.birth_date, c.country, c.region,
            c.city, c.price_tier, c.payment_terms, c.lifecycle_stage, c.source, c.channel, c.tags,
            c.attributes::text, c.contacts::text, c.purchase_count, c.total_spend, c.average_order_value,
            c.first_purchase_at, c.last_purchase_at, c.last_interaction_at, c.last_seen_at, c.created_at,
            c.updated_at, c.version""";

    private static final String UPSERT = "insert into customer as c (tenant_id, " + PROFILE_COLUMNS + ")\n"
            + "select $1, " + PROFILE_VALUES + "\nfrom jsonb_to_recordset($2::text::jsonb) as " + RECORD + "\n"
            + "on conflict (tenant_id, external_id) do update set " + EXCLUDED
            + ", updated_at = now(), version = c.version + 1\n"
            + CHANGED + "returning " + VIEW_COLUMNS + ", (xmax = 0) as inserted";

    /**
     * The customer import's upsert (CustomerImportRepository, JDBC): the same as {@link #UPSERT}, of a chunk staged
     * by COPY in the session table {@code customer_stage}, in line order; returns the id and whether it was inserted.
     */
    static final String STAGED_UPSERT = "insert into customer as c (tenant_id, " + PROFILE_COLUMNS + ")\n"
            + "select ?, external_id, name, email, phone, coalesce(phones, '{}'), gender, birth_date, country, region,"
            + " city, price_tier, payment_terms, lifecycle_stage, source, channel, coalesce(tags, '{}'),"
            + " coalesce(attributes, '{}'), coalesce(contacts, '[]')\n"
            + "from customer_stage order by line\n"
            + "on conflict (tenant_id, external_id) do update set " + EXCLUDED
            + ", updated_at = now(), version = c.version + 1\n"
            + CHANGED + "returning c.id, (c.xmax = 0)";

    private static final String INSERT = "insert into customer as c (tenant_id, " + PROFILE_COLUMNS + ")\n"
            + "select $1, " + PROFILE_VALUES + "\nfrom jsonb_to_recordset($2::text::jsonb) as " + RECORD + "\n"
            + "on conflict (tenant_id, external_id) do nothing\nreturning " + VIEW_COLUMNS;

    private static final String UPDATE = "update customer c set (" + PROFILE_COLUMNS + ") = (select "
            + PROFILE_VALUES + " from jsonb_to_recordset($3::text::jsonb) as " + RECORD + "),"
            + " updated_at = now(), version = c.version + 1\n"
            + "where c.tenant_id = $1 and c.id = $2 and ($4::bigint is null or c.version = $4)\nreturning " + VIEW_COLUMNS;

    /** A written row and whether the write created it. */
    public record Written(CustomerView customer, boolean created) {
    }

    /** Counts of a chunk upsert ({@link CustomerImportRepository}). */
    public record ChunkResult(int created, int updated, int unchanged, List<Long> createdIds, List<Long> updatedIds) {
    }

    private final Pool pool;
    private final ObjectMapper mapper;

    CustomerRepository(Pool pool, ObjectMapper mapper) {
        this.pool = pool;
        this.mapper = dev.segments.common.json.InputChecks.forStoredData(mapper);
    }

    /** Runs {@code work} in one transaction (a write and the record of its change, {@code CustomerChanges}). */
    public <T> Uni<T> inTransaction(java.util.function.Function<SqlConnection, Uni<T>> work) {
        return pool.withTransaction(work);
    }

    /** Inserts a new customer; empty when the external id is taken. */
    public Uni<Optional<CustomerView>> insert(SqlConnection conn, long tenantId, CustomerInput input) {
        return conn.preparedQuery(INSERT).execute(Tuple.of(tenantId, json(List.of(input))))
                .map(rows -> first(rows).map(this::toView));
    }

    /** Creates or replaces the profile with that external id; an identical profile is left untouched. */
    public Uni<Written> upsert(SqlConnection conn, long tenantId, CustomerInput input) {
        return conn.preparedQuery(UPSERT).execute(Tuple.of(tenantId, json(List.of(input))))
                .chain(rows -> {
                    Optional<Row> row = first(rows);
                    if (row.isPresent()) {
                        return Uni.createFrom().item(new Written(toView(row.get()), row.get().getBoolean("inserted")));
                    }
                    return findByExternalId(tenantId, input.externalId())
                            .map(v -> new Written(v.orElseThrow(), false));
                });
    }

    /** Replaces the profile of customer {@code id}; empty when absent or (with expectedVersion) stale. */
    public Uni<Optional<CustomerView>> update(SqlConnection conn, long tenantId, long id, CustomerInput input,
                                              Long expectedVersion) {
        return conn.preparedQuery(UPDATE)
                .execute(Tuple.of(tenantId, id, json(List.of(input)), expectedVersion))
                .map(rows -> first(rows).map(this::toView));
    }

    public Uni<Optional<CustomerView>> findById(long tenantId, long id) {
        return pool.preparedQuery("select " + VIEW_COLUMNS + " from customer c where c.tenant_id = $1 and c.id = $2")
                .execute(Tuple.of(tenantId, id)).map(rows -> first(rows).map(this::toView));
    }

    public Uni<Optional<CustomerView>> findByExternalId(long tenantId, String externalId) {
        return pool.preparedQuery("select " + VIEW_COLUMNS + " from customer c where c.tenant_id = $1 and c.external_id = $2")
                .execute(Tuple.of(tenantId, externalId)).map(rows -> first(rows).map(this::toView));
    }

    /** One keyset page in id order; fetches one row more than asked so the caller knows if more follow. */
    public Uni<List<CustomerView>> page(long tenantId, long afterId, int limit) {
        return pool.preparedQuery("select " + VIEW_COLUMNS + " from customer c where c.tenant_id = $1 and c.id > $2"
                        + " order by c.id limit $3")
                .execute(Tuple.of(tenantId, afterId, limit + 1))
                .map(this::toViews);
    }

    public Uni<Long> count(long tenantId) {
        return pool.preparedQuery("select count(*) from customer where tenant_id = $1").execute(Tuple.of(tenantId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    /** Deletes the customer and (by cascade) its activity, on this connection; false when absent or stale. */
    public Uni<Boolean> delete(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, long id, Long expectedVersion) {
        return conn.preparedQuery("delete from customer where tenant_id = $1 and id = $2"
                        + " and ($3::bigint is null or version = $3)")
                .execute(Tuple.of(tenantId, id, expectedVersion)).map(rows -> rows.rowCount() == 1);
    }

    public List<CustomerView> toViews(RowSet<Row> rows) {
        if (rows.size() == 0) {
            return List.of();
        }
        ViewColumns at = ViewColumns.of(rows.columnsNames());
        List<CustomerView> list = new ArrayList<>(rows.size());
        rows.forEach(r -> list.add(toView(r, at)));
        return list;
    }

    /** Maps one row selected with {@link #VIEW_COLUMNS}; for many rows of one result use {@link #toView(Row, ViewColumns)}. */
    public CustomerView toView(Row r) {
        return toView(r, ViewColumns.of(r));
    }

    /**
     * Where the {@link #VIEW_COLUMNS} are in a result, found by name once per result: other columns may come before
     * or after, and a lookup by name per value (a linear search of the result's columns) would cost per row.
     */
    public record ViewColumns(int id, int externalId, int name, int email, int phone, int phones, int gender,
                              int birthDate, int country, int region, int city, int priceTier, int paymentTerms,
                              int lifecycleStage, int source, int channel, int tags, int attributes, int contacts,
                              int purchaseCount, int totalSpend, int averageOrderValue, int firstPurchaseAt,
                              int lastPurchaseAt, int lastInteractionAt, int lastSeenAt, int createdAt,
                              int updatedAt, int version) {

        public static ViewColumns of(List<String> columns) {
            return of(name -> {
                int i = columns.indexOf(name);
                if (i < 0) {
                    throw new IllegalStateException("customer column " + name + " not selected");
                }
                return i;
            });
        }

        static ViewColumns of(Row row) {
            return of(row::getColumnIndex);
        }

        private static ViewColumns of(java.util.function.ToIntFunction<String> at) {
            return new ViewColumns(at.applyAsInt("id"), at.applyAsInt("external_id"), at.applyAsInt("name"),
                    at.applyAsInt("email"), at.applyAsInt("phone"), at.applyAsInt("phones"), at.applyAsInt("gender"),
                    at.applyAsInt("birth_date"), at.applyAsInt("country"), at.applyAsInt("region"),
                    at.applyAsInt("city"), at.applyAsInt("price_tier"), at.applyAsInt("payment_terms"),
                    at.applyAsInt("lifecycle_stage"), at.applyAsInt("source"), at.applyAsInt("channel"),
                    at.applyAsInt("tags"), at.applyAsInt("attributes"), at.applyAsInt("contacts"),
                    at.applyAsInt("purchase_count"), at.applyAsInt("total_spend"),
                    at.applyAsInt("average_order_value"), at.applyAsInt("first_purchase_at"),
                    at.applyAsInt("last_purchase_at"), at.applyAsInt("last_interaction_at"),
                    at.applyAsInt("last_seen_at"), at.applyAsInt("created_at"), at.applyAsInt("updated_at"),
                    at.applyAsInt("version"));
        }
    }

    /** Maps a row selected with {@link #VIEW_COLUMNS}, its columns found by name in {@code at}. */
    public CustomerView toView(Row r, ViewColumns at) {
        return new CustomerView(
                r.getLong(at.id()), r.getString(at.externalId()), r.getString(at.name()), r.getString(at.email()),
                r.getString(at.phone()), strings(r, at.phones()), r.getString(at.gender()),
                r.getLocalDate(at.birthDate()), r.getString(at.country()), r.getString(at.region()),
                r.getString(at.city()), r.getString(at.priceTier()), r.getString(at.paymentTerms()),
                r.getString(at.lifecycleStage()), r.getString(at.source()), r.getString(at.channel()),
                strings(r, at.tags()), StoredObject.of(r.getString(at.attributes())),
                contacts(r.getString(at.contacts())),
                new CustomerView.Rollups(r.getInteger(at.purchaseCount()), r.getBigDecimal(at.totalSpend()),
                        r.getBigDecimal(at.averageOrderValue()), r.getOffsetDateTime(at.firstPurchaseAt()),
                        r.getOffsetDateTime(at.lastPurchaseAt()), r.getOffsetDateTime(at.lastInteractionAt()),
                        r.getOffsetDateTime(at.lastSeenAt())),
                r.getOffsetDateTime(at.createdAt()), r.getOffsetDateTime(at.updatedAt()), r.getLong(at.version()));
    }

    private static List<String> strings(Row r, int column) {
        String[] values = r.getArrayOfStrings(column);
        return values == null ? List.of() : Arrays.asList(values);
    }

    private static final TypeReference<List<CustomerInput.Contact>> CONTACTS = new TypeReference<>() { };

    /** A stored customer's contacts (jsonb text): most customers have none. */
    private static List<CustomerInput.Contact> contacts(String json) {
        return "[]".equals(json) ? List.of() : StoredJson.value(json, CONTACTS);
    }

    private String json(List<CustomerInput> inputs) {
        try {
            return mapper.writeValueAsString(inputs);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<Row> first(RowSet<Row> rows) {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
    }
}
