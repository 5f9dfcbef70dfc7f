package dev.segments.rule.sql;

import dev.segments.rule.*;

import static dev.segments.rule.sql.PgFixture.COLUMNS;

import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Semantics suite: compiled queries executed on real PostgreSQL (embedded) through the Vert.x PG client, asserting
 * exact membership. now (asOf) is fixed at 2025-06-15T12:00:00Z.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RuleSemanticsPgTest {

    static final OffsetDateTime NOW = OffsetDateTime.parse("2025-06-15T12:00:00Z");
    static final String N = "timestamptz '2025-06-15 12:00:00+00'";
    static final long T1 = 1, T2 = 2, T3 = 3;

    PgFixture db;
    final Map<String, Long> ids = new HashMap<>();
    FieldCatalog catalog;
    final Map<String, ResolvedSegment> segments = new HashMap<>();
    final RuleParser parser = new RuleParser();

    @BeforeAll
    void setUp() throws Exception {
        db = new PgFixture();
        db.exec("insert into tenant (name) values ('t1'), ('t2'), ('t3')");
        db.exec("""
                insert into customer (tenant_id, external_id, name, email, gender, birth_date, country, region, city,
                    price_tier, payment_terms, lifecycle_stage, source, channel, tags, attributes, created_at) values
                (1, 'alice', 'Alice Smith', 'alice@example.com', 'f', '1990-06-15', 'DE', 'Bavaria', 'München',
                    'vip', 'net30', 'customer', 'ads', 'web', '{vip,newsletter}',
                    '{"plan":"pro","score":42.5,"seats":10,"trial":false,"renewal":"2025-07-01",
                      "signupAt":"2024-01-10T08:00:00Z","interests":["golf","wine"]}', '2024-01-01T00:00:00Z'),
                (1, 'bob', E'Bob 50% _off\\\\', null, 'm', '1990-06-16', 'DE', null, null,
                    'low', null, 'lead', null, null, '{}',
                    '{"plan":"free","score":"high","interests":[]}', '2024-01-01T00:00:00Z'),
                (1, 'carol', null, null, null, null, null, null, null,
                    null, null, null, null, null, '{}', '{}', '2025-06-15T00:00:00Z'),
                (1, 'dave', '', null, null, '2000-02-29', null, null, null,
                    'mid', null, 'churned', null, null, '{newsletter}',
                    '{"plan":"","interests":"golf"}', '2024-01-01T00:00:00Z'),
                (1, 'erin', 'Erin O''Brien', 'ERIN@Example.com', null, '1991-01-01', null, null, null,
                    'vip', null, 'trial', null, null, '{VIP}',
                    '{"score":7,"seats":3,"trial":true,"interests":["wine"]}', '2024-01-01T00:00:00Z'),
                (1, 'frank', 'Frank', null, null, '1990-06-14', null, null, null,
                    null, null, 'customer', null, null, '{}', '{}', '2024-01-01T00:00:00Z'),
                (2, 'zed', 'Alice Smith', 'alice@example.com', 'f', '1990-06-15', 'DE', 'Bavaria', 'München',
                    'vip', 'net30', 'customer', 'ads', 'web', '{vip,newsletter}', '{"plan":"pro"}', '2024-01-01T00:00:00Z')
                """);
        // tenant 3: exactness (averageOrderValue as the exact quotient; isSet of untyped event properties)
        db.exec("insert into customer (tenant_id, external_id) values " + String.join(",",
                ALL3.stream().map(x -> "(3, '" + x + "')").toList()));
        try (var c = db.pg.getPostgresDatabase().getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("select external_id, id from customer")) {
            while (rs.next()) ids.put(rs.getString(1), rs.getLong(2));
        }
        String p = "insert into purchase (tenant_id, customer_id, occurred_at, amount, currency, category, quantity) values ";
        db.exec(p + String.join(",",
                row(T1, "alice", N + " - interval '10 days'", "600", "'EUR'", "'golf'", "2"),
                row(T1, "alice", N + " - interval '100 days'", "500", "'EUR'", "'wine'", "1"),
                row(T1, "alice", N + " - interval '400 days'", "2000", "'EUR'", "'golf'", "null"),
                row(T1, "dave", N + " - interval '400 days'", "99.99", "'EUR'", "'wine'", "1"),
                row(T1, "erin", N + " - interval '90 days'", "1500.0001", "'USD'", "'golf'", "null"),
                row(T1, "frank", N + " - interval '90 days' - interval '1 second'", "2000", "'EUR'", "'golf'", "null"),
                row(T2, "zed", N + " - interval '1 days'", "5000", "'EUR'", "'golf'", "9"),
                // q3: 269.98 over 3 = 89.99333... (stored rounded as 89.9933); q2: 179.9866 over 2 = 89.9933 exactly
                row(T3, "q3", N + " - interval '3 days'", "89.9933", "'EUR'", "null", "null"),
                row(T3, "q3", N + " - interval '2 days'", "89.9933", "'EUR'", "null", "null"),
                row(T3, "q3", N + " - interval '1 days'", "89.9934", "'EUR'", "null", "null"),
                row(T3, "q2", N + " - interval '2 days'", "100.0000", "'EUR'", "null", "null"),
                row(T3, "q2", N + " - interval '1 days'", "79.9866", "'EUR'", "null", "null"),
                row(T3, "ts", N + " - interval '1 days'", "10", "'EUR'", "null", "null")));
        String i = "insert into interaction (tenant_id, customer_id, occurred_at, type) values ";
        db.exec(i + String.join(",",
                irow(T1, "alice", "50", "consultation"), irow(T1, "alice", "200", "consultation"),
                irow(T1, "bob", "30", "consultation"), irow(T1, "bob", "20", "consultation"), irow(T1, "bob", "1", "email"),
                irow(T1, "erin", "100", "consultation"), irow(T1, "erin", "5", "consultation"),
                irow(T1, "frank", "200", "consultation"), irow(T1, "frank", "150", "consultation"),
                irow(T2, "zed", "300", "consultation"), irow(T2, "zed", "200", "consultation")));
        String e = "insert into event (tenant_id, customer_id, occurred_at, name, properties) values ";
        db.exec(e + String.join(",",
                "(1, " + ids.get("dave") + ", " + N + " - interval '2 days', 'login', '{\"plan\":\"pro\",\"amount\":\"12\"}')",
                "(1, " + ids.get("erin") + ", " + N + " - interval '3 days', 'login', '{\"plan\":\"basic\",\"amount\":12}')",
                "(1, " + ids.get("erin") + ", " + N + " - interval '400 days', 'signup', '{\"amount\":5}')",
                erow("q3", "1", "{\"value\":5}"), erow("q2", "400", "{\"value\":\"text\"}"),
                erow("ts", "1", "{\"value\":\"2025-01-01T00:00:00Z\"}"),
                erow("none", "1", "{\"value\":\"\"}"), erow("none", "2", "{\"value\":null}"),
                erow("none", "3", "{\"value\":[]}"),
                erow("flag", "1", "{\"value\":true}"), erow("flag", "2", "{\"value\":{\"a\":1}}"),
                erow("other", "1", "{\"other\":1}")));
        // rollups, as the activity write path keeps them
        db.exec("""
                update customer c set
                  purchase_count = (select count(*) from purchase p where p.customer_id = c.id),
                  total_spend = (select coalesce(sum(amount), 0) from purchase p where p.customer_id = c.id),
                  first_purchase_at = (select min(occurred_at) from purchase p where p.customer_id = c.id),
                  last_purchase_at = (select max(occurred_at) from purchase p where p.customer_id = c.id),
                  last_interaction_at = (select max(occurred_at) from interaction i where i.customer_id = c.id)
                """);
        // analytics values, as the models' runs store them (tenant 1)
        db.exec("""
                insert into customer_score (customer_id, rfm_recency, rfm_frequency, rfm_monetary, rfm_score, rfm_segment)
                select c.id, v.r, v.f, v.m, v.score, v.segment
                from (values ('alice', 5, 5, 5, '555', 'champions', 'active'),
                             ('bob', null, null, null, null, null, 'dormant'),
                             ('carol', null, null, null, null, null, 'new'),
                             ('dave', 1, 1, 2, '112', 'lost', 'dormant'),
                             ('erin', 4, 3, 2, '432', 'potentialLoyalists', 'passive'),
                             ('frank', 3, 4, 5, '345', 'loyal', 'active')) as v(x, r, f, m, score, segment, status)
                join customer c on c.tenant_id = 1 and c.external_id = v.x
                """);
        db.exec("""
                update customer c set activity_status = v.status
                from (values ('alice', 'active'), ('bob', 'dormant'), ('carol', 'new'), ('dave', 'dormant'),
                             ('erin', 'passive'), ('frank', 'active')) as v(x, status)
                where c.tenant_id = 1 and c.external_id = v.x
                """);
        db.exec("""
                update customer_score cs set abc_class = v.abc, xyz_class = v.xyz, abc_xyz = v.abc || v.xyz,
                    lead_score = v.score, lead_temperature = v.temperature, value_quadrant = v.quadrant
                from customer c, (values ('alice', 'A', 'X', 80.5, 'hot', 'bigSoon'),
                             ('bob', 'B', 'Z', 20, 'warm', 'smallLate'),
                             ('carol', null, null, null, null, null),
                             ('dave', 'C', null, -5, 'cold', null),
                             ('erin', null, 'Y', 0, 'cold', 'bigLate'),
                             ('frank', 'A', 'Y', 20.01, 'warm', 'smallSoon'))
                    as v(x, abc, xyz, score, temperature, quadrant)
                where c.tenant_id = 1 and c.external_id = v.x and cs.customer_id = c.id
                """);
        db.exec("insert into segment_member (segment_id, customer_id, tenant_id) select 1, id, tenant_id from customer"
                + " where id in (" + ids.get("bob") + ", " + ids.get("carol") + ", " + ids.get("zed") + ")");
        catalog = FieldCatalog.of(List.of(
                new AttributeDef("customer", "plan", "string"),
                new AttributeDef("customer", "score", "number"),
                new AttributeDef("customer", "seats", "integer"),
                new AttributeDef("customer", "trial", "boolean"),
                new AttributeDef("customer", "renewal", "date"),
                new AttributeDef("customer", "signupAt", "timestamp"),
                new AttributeDef("customer", "interests", "stringList")));
        segments.put("vips", new ResolvedSegment.Dynamic(parser.parse("{\"field\":\"priceTier\",\"op\":\"eq\",\"value\":\"vip\"}")));
        segments.put("static1", new ResolvedSegment.Static(1));
        segments.put("nested", new ResolvedSegment.Dynamic(parser.parse(
                "{\"and\":[{\"segment\":\"vips\"},{\"field\":\"lifecycleStage\",\"op\":\"eq\",\"value\":\"customer\"}]}")));
    }

    String row(long tenant, String cust, String at, String amount, String currency, String category, String qty) {
        return "(" + tenant + ", " + ids.get(cust) + ", " + at + ", " + amount + ", " + currency + ", " + category + ", " + qty + ")";
    }

    String erow(String cust, String daysAgo, String properties) {
        return "(3, " + ids.get(cust) + ", " + N + " - interval '" + daysAgo + " days', 'ping', '" + properties + "')";
    }

    String irow(long tenant, String cust, String daysAgo, String type) {
        return "(" + tenant + ", " + ids.get(cust) + ", " + N + " - interval '" + daysAgo + " days', '" + type + "')";
    }

    @AfterAll
    void tearDown() throws Exception {
        if (db != null) db.close();
    }

    CompileContext ctx() {
        return new CompileContext(NOW, catalog, key -> Optional.ofNullable(segments.get(key)));
    }

    static final List<String> ALL = List.of("alice", "bob", "carol", "dave", "erin", "frank");

    /** Tenant 3's customers (see setUp: purchases for q3, q2, ts; events for all but bare). */
    static final List<String> ALL3 = List.of("q3", "q2", "ts", "none", "flag", "other", "bare");

    static Arguments c(String rule, String... expected) {
        return Arguments.of(rule.replace('\'', '"'), Set.of(expected));
    }

    static String cond(String field, String op, String value) {
        return "{'field':'" + field + "','op':'" + op + "'" + (value == null ? "" : ",'value':" + value) + "}";
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                // ---- strings
                c(cond("lifecycleStage", "eq", "'customer'"), "alice", "frank"),
                c(cond("lifecycleStage", "neq", "'customer'"), "bob", "carol", "dave", "erin"),
                c(cond("lifecycleStage", "in", "['lead','trial']"), "bob", "erin"),
                c(cond("lifecycleStage", "notIn", "['lead','trial']"), "alice", "carol", "dave", "frank"),
                c(cond("lifecycleStage", "isSet", null), "alice", "bob", "dave", "erin", "frank"),
                c(cond("lifecycleStage", "isNotSet", null), "carol"),
                c(cond("name", "eq", "'alice smith'")),
                c(cond("name", "eq", "'Alice Smith'"), "alice"),
                c(cond("name", "contains", "'50%'"), "bob"),
                c(cond("name", "contains", "'%'"), "bob"),
                c(cond("name", "contains", "'_'"), "bob"),
                c(cond("name", "contains", "'\\\\'"), "bob"),
                c(cond("name", "contains", "'o'"), "bob", "erin"),
                c(cond("name", "notContains", "'%'"), "alice", "carol", "dave", "erin", "frank"),
                c(cond("name", "startsWith", "'al'"), "alice"),
                c(cond("name", "endsWith", "'SMITH'"), "alice"),
                c(cond("name", "endsWith", "'\\\\'"), "bob"),
                c(cond("name", "isSet", null), "alice", "bob", "erin", "frank"),
                c(cond("name", "isNotSet", null), "carol", "dave"),
                c(cond("email", "contains", "'example.COM'"), "alice", "erin"),
                c(cond("email", "eq", "'erin@example.com'")),
                c(cond("city", "eq", "'München'"), "alice"),
                c(cond("externalId", "in", "['bob','zed']"), "bob"),
                // ---- analytics fields (issue 15): plain columns; customers without RFM have none (isNotSet)
                c(cond("rfm.segment", "eq", "'champions'"), "alice"),
                c(cond("rfm.segment", "in", "['lost','loyal']"), "dave", "frank"),
                c(cond("rfm.segment", "neq", "'champions'"), "bob", "carol", "dave", "erin", "frank"),
                c(cond("rfm.recency", "gte", "4"), "alice", "erin"),
                c(cond("rfm.recency", "isNotSet", null), "bob", "carol"),
                c(cond("rfm.score", "startsWith", "'1'"), "dave"),
                c(cond("rfm.frequency", "gt", "{'ref':'rfm.recency'}"), "frank"),
                c("{'not':" + cond("rfm.monetary", "between", "[2,4]") + "}", "alice", "bob", "carol", "frank"),
                c(cond("activityStatus", "eq", "'active'"), "alice", "frank"),
                c(cond("activityStatus", "notIn", "['active','passive']"), "bob", "carol", "dave"),
                c(cond("abcClass", "eq", "'A'"), "alice", "frank"),
                c(cond("abcClass", "isNotSet", null), "carol", "erin"),
                c(cond("xyzClass", "in", "['X','Y']"), "alice", "erin", "frank"),
                c(cond("xyzClass", "neq", "'Z'"), "alice", "carol", "dave", "erin", "frank"),
                c(cond("abcXyz", "startsWith", "'A'"), "alice", "frank"),
                c(cond("abcXyz", "isSet", null), "alice", "bob", "frank"),
                c(cond("leadScore", "gte", "20"), "alice", "bob", "frank"),
                c(cond("leadScore", "lt", "0"), "dave"),
                c(cond("leadScore", "between", "[0, 20]"), "bob", "erin"),
                c(cond("leadScore", "isNotSet", null), "carol"),
                c(cond("leadScore", "gt", "{'ref':'totalSpend'}"), "bob"),
                c(cond("leadTemperature", "eq", "'warm'"), "bob", "frank"),
                c(cond("leadTemperature", "notIn", "['hot']"), "bob", "carol", "dave", "erin", "frank"),
                c(cond("valueQuadrant", "in", "['bigSoon','bigLate']"), "alice", "erin"),
                c(cond("valueQuadrant", "isNotSet", null), "carol", "dave"),
                c("{'not':" + cond("valueQuadrant", "eq", "'smallLate'") + "}", "alice", "carol", "dave", "erin", "frank"),
                // ---- numbers
                c(cond("totalSpend", "gt", "1500"), "alice", "erin", "frank"),
                c(cond("totalSpend", "gte", "1500.0001"), "alice", "erin", "frank"),
                c(cond("totalSpend", "gt", "'1500.0000'"), "alice", "erin", "frank"),
                c(cond("totalSpend", "lt", "100"), "bob", "carol", "dave"),
                c(cond("totalSpend", "lte", "0"), "bob", "carol"),
                c(cond("totalSpend", "eq", "99.99"), "dave"),
                c(cond("totalSpend", "neq", "0"), "alice", "dave", "erin", "frank"),
                c(cond("totalSpend", "between", "[99.99, 2000]"), "dave", "erin", "frank"),
                c(cond("totalSpend", "in", "[0, 2000.00]"), "bob", "carol", "frank"),
                c(cond("totalSpend", "notIn", "[0]"), "alice", "dave", "erin", "frank"),
                c(cond("averageOrderValue", "lt", "100"), "dave"),
                c(cond("averageOrderValue", "neq", "99.99"), "alice", "bob", "carol", "erin", "frank"),
                c(cond("averageOrderValue", "isNotSet", null), "bob", "carol"),
                c(cond("purchaseCount", "eq", "1"), "dave", "erin", "frank"),
                c(cond("purchaseCount", "gt", "0"), "alice", "dave", "erin", "frank"),
                c(cond("purchaseCount", "between", "[0, 1]"), "bob", "carol", "dave", "erin", "frank"),
                c(cond("purchaseCount", "notIn", "[1, 3]"), "bob", "carol"),
                // ---- age (now 2025-06-15)
                c(cond("age", "eq", "35"), "alice", "frank"),
                c(cond("age", "eq", "34"), "bob", "erin"),
                c(cond("age", "gt", "34"), "alice", "frank"),
                c(cond("age", "gte", "35"), "alice", "frank"),
                c(cond("age", "lt", "35"), "bob", "dave", "erin"),
                c(cond("age", "lte", "25"), "dave"),
                c(cond("age", "between", "[25, 34]"), "bob", "dave", "erin"),
                c(cond("age", "in", "[25, 35]"), "alice", "dave", "frank"),
                c(cond("age", "notIn", "[35]"), "bob", "carol", "dave", "erin"),
                c(cond("age", "neq", "34"), "alice", "carol", "dave", "frank"),
                c(cond("age", "isNotSet", null), "carol"),
                // ---- dates
                c(cond("birthDate", "eq", "'1990-06-15'"), "alice"),
                c(cond("birthDate", "before", "'1990-06-15'"), "frank"),
                c(cond("birthDate", "after", "'1990-06-15'"), "bob", "dave", "erin"),
                c(cond("birthDate", "between", "['1990-06-14', '1990-06-15']"), "alice", "frank"),
                c(cond("birthDate", "within", "'P35Y'"), "alice", "bob", "dave", "erin"),
                c(cond("birthDate", "notWithin", "'P35Y'"), "carol", "frank"),
                c(cond("birthDate", "isSet", null), "alice", "bob", "dave", "erin", "frank"),
                // ---- timestamps (lastPurchaseAt: alice now-10d, dave now-400d, erin now-90d, frank now-90d-1s)
                c(cond("lastPurchaseAt", "within", "'P90D'"), "alice", "erin"),
                c(cond("lastPurchaseAt", "notWithin", "'P90D'"), "bob", "carol", "dave", "frank"),
                c(cond("lastPurchaseAt", "within", "'PT2160H'"), "alice", "erin"),
                c(cond("lastPurchaseAt", "within", "'P3M'"), "alice", "erin", "frank"),
                c(cond("lastPurchaseAt", "eq", "'2025-03-17'"), "erin", "frank"),
                c(cond("lastPurchaseAt", "eq", "'2025-03-17T23:00:00+02:00'"), "erin", "frank"),
                c(cond("lastPurchaseAt", "eq", "'2025-03-18T01:00:00+02:00'"), "erin", "frank"),
                c(cond("lastPurchaseAt", "before", "'2025-03-17T12:00:00Z'"), "dave", "frank"),
                c(cond("lastPurchaseAt", "after", "'2025-03-17T11:59:59Z'"), "alice", "erin"),
                c(cond("lastPurchaseAt", "after", "'2025-03-17'"), "alice"),
                c(cond("lastPurchaseAt", "before", "'2025-03-17'"), "dave"),
                c(cond("lastPurchaseAt", "between", "['2025-03-17T11:59:59Z', '2025-03-17T12:00:00Z']"), "erin", "frank"),
                c(cond("lastPurchaseAt", "between", "['2025-03-17', '2025-03-17']"), "erin", "frank"),
                c(cond("lastPurchaseAt", "isNotSet", null), "bob", "carol"),
                c(cond("createdAt", "eq", "'2025-06-15'"), "carol"),
                c(cond("createdAt", "within", "'P1D'"), "carol"),
                // ---- refs
                c(cond("lastInteractionAt", "after", "{'ref':'lastPurchaseAt'}"), "erin"),
                c("{'not':" + cond("lastInteractionAt", "after", "{'ref':'lastPurchaseAt'}") + "}",
                        "alice", "bob", "carol", "dave", "frank"),
                c(cond("totalSpend", "gt", "{'ref':'averageOrderValue'}"), "alice"),
                c(cond("totalSpend", "eq", "{'ref':'averageOrderValue'}"), "dave", "erin", "frank"),
                c(cond("totalSpend", "neq", "{'ref':'averageOrderValue'}"), "alice", "bob", "carol"),
                c(cond("purchaseCount", "lt", "{'ref':'attributes.seats'}"), "alice", "erin"),
                c(cond("firstPurchaseAt", "eq", "{'ref':'lastPurchaseAt'}"), "dave", "erin", "frank"),
                // ---- custom attributes
                c(cond("attributes.trial", "eq", "true"), "erin"),
                c(cond("attributes.trial", "eq", "false"), "alice"),
                c("{'not':" + cond("attributes.trial", "eq", "true") + "}", "alice", "bob", "carol", "dave", "frank"),
                c(cond("attributes.trial", "isSet", null), "alice", "erin"),
                c(cond("attributes.plan", "eq", "'pro'"), "alice"),
                c(cond("attributes.plan", "neq", "'pro'"), "bob", "carol", "dave", "erin", "frank"),
                c(cond("attributes.plan", "isSet", null), "alice", "bob"),
                c(cond("attributes.plan", "contains", "'R'"), "alice", "bob"),
                c(cond("attributes.score", "gt", "10"), "alice"),
                c(cond("attributes.score", "lt", "100"), "alice", "erin"),
                c(cond("attributes.score", "isSet", null), "alice", "erin"),
                c(cond("attributes.score", "neq", "7"), "alice", "bob", "carol", "dave", "frank"),
                c(cond("attributes.seats", "between", "[3, 10]"), "alice", "erin"),
                c(cond("attributes.seats", "in", "[3]"), "erin"),
                c(cond("attributes.renewal", "after", "'2025-06-30'"), "alice"),
                c(cond("attributes.renewal", "within", "'P1D'"), "alice"),
                c(cond("attributes.signupAt", "within", "'P2Y'"), "alice"),
                c(cond("attributes.signupAt", "before", "'2024-01-10T08:00:01Z'"), "alice"),
                c(cond("attributes.signupAt", "eq", "'2024-01-10'"), "alice"),
                c(cond("attributes.interests", "hasAny", "['golf']"), "alice"),
                c(cond("attributes.interests", "hasAll", "['golf','wine']"), "alice"),
                c(cond("attributes.interests", "hasAny", "['wine']"), "alice", "erin"),
                c(cond("attributes.interests", "hasNone", "['golf']"), "bob", "carol", "dave", "erin", "frank"),
                c(cond("attributes.interests", "isSet", null), "alice", "erin"),
                c(cond("attributes.interests", "isNotSet", null), "bob", "carol", "dave", "frank"),
                // ---- tags
                c(cond("tags", "hasAny", "['vip']"), "alice"),
                c(cond("tags", "hasAll", "['vip','newsletter']"), "alice"),
                c(cond("tags", "hasAny", "['VIP','newsletter']"), "alice", "dave", "erin"),
                c(cond("tags", "hasNone", "['newsletter']"), "bob", "carol", "erin", "frank"),
                c(cond("tags", "isSet", null), "alice", "dave", "erin"),
                c(cond("tags", "isNotSet", null), "bob", "carol", "frank"),
                // ---- aggregates over purchases
                c("{'aggregate':'count','of':'purchases','op':'gte','value':2}", "alice"),
                c("{'aggregate':'count','of':'purchases','op':'eq','value':0}", "bob", "carol"),
                c("{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':1}", "alice", "erin"),
                c("{'aggregate':'count','of':'purchases','within':'P90D','op':'eq','value':0}", "bob", "carol", "dave", "frank"),
                c("{'aggregate':'count','of':'purchases','within':'P1Y','op':'gte','value':2}", "alice"),
                c("{'aggregate':'count','of':'purchases','within':{'from':'2024-05-11','to':'2024-05-11'},'op':'gte','value':1}", "alice", "dave"),
                c("{'aggregate':'count','of':'purchases','within':{'from':'2025-03-17T11:59:59Z','to':'2025-03-17T12:00:00Z'},'op':'eq','value':1}", "erin", "frank"),
                c("{'aggregate':'count','of':'purchases','within':{'from':'2025-03-17T12:00:00Z'},'op':'gte','value':1}", "alice", "erin"),
                c("{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}", "alice", "erin", "frank"),
                c("{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'eq','value':0}", "bob", "carol", "dave"),
                c("{'aggregate':'sum','of':'purchases','field':'amount','op':'gte','value':2000}", "alice", "frank"),
                c("{'aggregate':'sum','of':'purchases','field':'amount','where':" + cond("currency", "eq", "'USD'") + ",'op':'gt','value':0}", "erin"),
                c("{'aggregate':'sum','of':'purchases','field':'quantity','op':'gte','value':3}", "alice"),
                c("{'aggregate':'avg','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}", "erin", "frank"),
                c("{'aggregate':'avg','of':'purchases','field':'amount','within':'P365D','op':'isNotSet'}", "bob", "carol", "dave"),
                c("{'aggregate':'avg','of':'purchases','field':'amount','op':'lt','value':1000000}", "alice", "dave", "erin", "frank"),
                c("{'not':{'aggregate':'avg','of':'purchases','field':'amount','op':'lt','value':1000000}}", "bob", "carol"),
                c("{'aggregate':'avg','of':'purchases','field':'amount','op':'neq','value':550}", "alice", "bob", "carol", "dave", "erin", "frank"),
                c("{'aggregate':'avg','of':'purchases','field':'amount','where':" + cond("category", "eq", "'golf'") + ",'op':'eq','value':1300}", "alice"),
                c("{'aggregate':'min','of':'purchases','field':'amount','op':'lt','value':100}", "dave"),
                c("{'aggregate':'max','of':'purchases','field':'amount','op':'gte','value':2000}", "alice", "frank"),
                c("{'aggregate':'max','of':'purchases','field':'occurredAt','op':'within','value':'P30D'}", "alice"),
                c("{'aggregate':'min','of':'purchases','field':'occurredAt','op':'before','value':'2024-06-01'}", "alice", "dave"),
                c("{'aggregate':'max','of':'purchases','field':'occurredAt','where':" + cond("category", "eq", "'wine'") + ",'op':'notWithin','value':'P365D'}",
                        "bob", "carol", "dave", "erin", "frank"),
                c("{'aggregate':'count','of':'purchases','where':" + cond("quantity", "isNotSet", null) + ",'op':'gte','value':1}", "alice", "erin", "frank"),
                // ---- interactions
                c("{'aggregate':'count','of':'interactions','where':{'and':[" + cond("type", "eq", "'consultation'") + ","
                        + cond("occurredAt", "before", "{'ref':'lastPurchaseAt'}") + "]},'op':'gte','value':2}", "alice", "frank"),
                c("{'aggregate':'count','of':'interactions','where':" + cond("type", "in", "['email','chat']") + ",'op':'gte','value':1}", "bob"),
                c("{'not':{'aggregate':'count','of':'interactions','op':'gte','value':1}}", "carol", "dave"),
                c("{'aggregate':'max','of':'interactions','field':'occurredAt','op':'within','value':'P7D'}", "bob", "erin"),
                c("{'aggregate':'count','of':'interactions','where':{'not':" + cond("type", "eq", "'consultation'") + "},'op':'eq','value':0}",
                        "alice", "carol", "dave", "erin", "frank"),
                // ---- events
                c("{'aggregate':'count','of':'events','where':{'and':[" + cond("name", "eq", "'login'") + ","
                        + cond("properties.amount", "gte", "10") + "]},'op':'gte','value':1}", "erin"),
                c("{'aggregate':'count','of':'events','where':" + cond("properties.plan", "eq", "'pro'") + ",'op':'gte','value':1}", "dave"),
                c("{'aggregate':'sum','of':'events','field':'properties.amount','op':'eq','value':17}", "erin"),
                c("{'aggregate':'count','of':'events','where':" + cond("properties.plan", "isSet", null) + ",'op':'gte','value':1}", "dave", "erin"),
                c("{'aggregate':'count','of':'events','where':{'not':" + cond("properties.plan", "eq", "'pro'") + "},'op':'gte','value':1}", "erin"),
                c("{'aggregate':'count','of':'events','where':" + cond("properties.plan", "contains", "'AS'") + ",'op':'gte','value':1}", "erin"),
                // ---- the canonical example
                c(RuleExamples.CANONICAL, "alice"),
                // ---- segments
                c("{'segment':'vips'}", "alice", "erin"),
                c("{'not':{'segment':'vips'}}", "bob", "carol", "dave", "frank"),
                c("{'segment':'static1'}", "bob", "carol"),
                c("{'not':{'segment':'static1'}}", "alice", "dave", "erin", "frank"),
                c("{'or':[{'segment':'vips'},{'segment':'static1'}]}", "alice", "bob", "carol", "erin"),
                c("{'segment':'nested'}", "alice"),
                // ---- not over missing values, combinations
                c("{'not':" + cond("lifecycleStage", "eq", "'customer'") + "}", "bob", "carol", "dave", "erin"),
                c("{'not':" + cond("name", "contains", "'a'") + "}", "bob", "carol", "dave", "erin"),
                c("{'not':{'not':" + cond("totalSpend", "gt", "1500.0001") + "}}", "alice", "frank"),
                c("{'not':{'and':[" + cond("priceTier", "eq", "'vip'") + "," + cond("lifecycleStage", "eq", "'customer'") + "]}}",
                        "bob", "carol", "dave", "erin", "frank"),
                c("{'not':{'or':[" + cond("averageOrderValue", "gt", "1000") + "," + cond("lifecycleStage", "eq", "'lead'") + "]}}",
                        "carol", "dave"),
                c("{'or':[{'and':[" + cond("priceTier", "eq", "'vip'") + "," + cond("age", "gte", "35") + "]},"
                        + "{'not':" + cond("tags", "isSet", null) + "}]}", "alice", "bob", "carol", "frank"),
                c("{'and':[" + cond("priceTier", "neq", "'vip'") + ",{'not':" + cond("lastPurchaseAt", "within", "'P365D'") + "}]}",
                        "bob", "carol", "dave")
        );
    }

    /**
     * Exactness (issue 14). averageOrderValue is compared as the exact quotient total / count: q3 has 269.98 over 3
     * purchases (89.99333..., stored rounded as 89.9933), q2 179.9866 over 2 (exactly 89.9933), ts 10 over 1.
     * Event properties under isSet / isNotSet count any set value, whatever its JSON type: q3 5, q2 "text" (400
     * days ago), ts a timestamp string, flag true and {"a":1}; none has only "", null and []; other only another key;
     * bare no events.
     */
    static Stream<Arguments> exactness() {
        String aov = "averageOrderValue";
        return Stream.of(
                c(cond(aov, "eq", "89.9933"), "q2"),
                c(cond(aov, "gt", "89.9933"), "q3"),
                c(cond(aov, "gte", "89.9933"), "q2", "q3"),
                c(cond(aov, "lt", "89.9933"), "ts"),
                c(cond(aov, "lte", "89.9933"), "q2", "ts"),
                c(cond(aov, "neq", "89.9933"), "q3", "ts", "none", "flag", "other", "bare"),
                c(cond(aov, "eq", "89.99333333")),
                c(cond(aov, "gt", "89.99333333"), "q3"),
                c(cond(aov, "lt", "89.99333333"), "q2", "ts"),
                // beyond any scale PostgreSQL division would keep (269.98 / 3 = 89.9933333333333333)
                c(cond(aov, "eq", "89.99333333333333333333")),
                c(cond(aov, "gt", "89.99333333333333333333"), "q3"),
                c(cond(aov, "lt", "89.99333333333333333334"), "q2", "q3", "ts"),
                c(cond(aov, "gte", "'89.99333333333333333334'")),
                c(cond(aov, "between", "[89.9933, 89.9933]"), "q2"),
                c(cond(aov, "between", "[89.99333333, 89.99333334]"), "q3"),
                c(cond(aov, "between", "[10, 89.9933]"), "q2", "ts"),
                c(cond(aov, "in", "[89.9933, 10]"), "q2", "ts"),
                c(cond(aov, "in", "[89.99333333]")),
                c(cond(aov, "notIn", "[89.9933, 10]"), "q3", "none", "flag", "other", "bare"),
                c(cond(aov, "isSet", null), "q3", "q2", "ts"),
                c(cond(aov, "isNotSet", null), "none", "flag", "other", "bare"),
                c("{'not':" + cond(aov, "gt", "89.9933") + "}", "q2", "ts", "none", "flag", "other", "bare"),
                // refs on either side, and a ref to the quotient inside an aggregate's where
                c(cond("totalSpend", "gt", "{'ref':'averageOrderValue'}"), "q3", "q2"),
                c(cond("totalSpend", "eq", "{'ref':'averageOrderValue'}"), "ts"),
                c(cond(aov, "lt", "{'ref':'totalSpend'}"), "q3", "q2"),
                c(cond(aov, "eq", "{'ref':'averageOrderValue'}"), "q3", "q2", "ts"),
                c(cond(aov, "neq", "{'ref':'averageOrderValue'}"), "none", "flag", "other", "bare"),
                c("{'aggregate':'count','of':'purchases','where':" + cond("amount", "lt", "{'ref':'averageOrderValue'}")
                        + ",'op':'gte','value':2}", "q3"),
                c("{'aggregate':'count','of':'purchases','where':" + cond("amount", "eq", "{'ref':'averageOrderValue'}")
                        + ",'op':'gte','value':1}", "ts"),
                c("{'aggregate':'max','of':'purchases','field':'amount','op':'gt','value':{'ref':'averageOrderValue'}}", "q3", "q2"),
                c("{'aggregate':'min','of':'purchases','field':'amount','within':'P30D','op':'eq','value':{'ref':'averageOrderValue'}}", "ts"),
                // ---- isSet / isNotSet of untyped event properties
                c("{'aggregate':'max','of':'events','field':'properties.value','op':'isSet'}", "q3", "q2", "ts", "flag"),
                c("{'aggregate':'min','of':'events','field':'properties.value','op':'isSet'}", "q3", "q2", "ts", "flag"),
                c("{'aggregate':'max','of':'events','field':'properties.value','op':'isNotSet'}", "none", "other", "bare"),
                c("{'not':{'aggregate':'max','of':'events','field':'properties.value','op':'isSet'}}", "none", "other", "bare"),
                c("{'aggregate':'max','of':'events','field':'properties.value','within':'P365D','op':'isSet'}", "q3", "ts", "flag"),
                c("{'aggregate':'max','of':'events','field':'properties.value','where':" + cond("name", "eq", "'ping'")
                        + ",'op':'isSet'}", "q3", "q2", "ts", "flag"),
                c("{'aggregate':'max','of':'events','field':'properties.value','op':'gte','value':1}", "q3"),
                c("{'aggregate':'avg','of':'events','field':'properties.value','op':'isSet'}", "q3"),
                c("{'aggregate':'count','of':'events','where':" + cond("properties.value", "isSet", null) + ",'op':'gte','value':1}",
                        "q3", "q2", "ts", "flag"),
                c("{'aggregate':'count','of':'events','where':" + cond("properties.value", "isNotSet", null) + ",'op':'gte','value':1}",
                        "none", "other"),
                c("{'aggregate':'count','of':'events','where':{'not':" + cond("properties.value", "isSet", null) + "},'op':'eq','value':0}",
                        "q3", "q2", "ts", "flag", "bare"),
                c("{'and':[" + cond(aov, "isSet", null) + ",{'aggregate':'max','of':'events','field':'properties.value','op':'isSet'}]}",
                        "q3", "q2", "ts")
        );
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void membership(String rule, Set<String> expected) throws Exception {
        assertMembers(T1, ALL, rule, expected);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("exactness")
    void exactMembership(String rule, Set<String> expected) throws Exception {
        assertMembers(T3, ALL3, rule, expected);
    }

    /** The same members from a keyset page, a count (both shapes), a count of several and each customer's membership. */
    void assertMembers(long tenant, List<String> all, String rule, Set<String> expected) throws Exception {
        CompileContext ctx = ctx();
        ValidatedRule node = PgFixture.valid(parser.parse(rule), ctx);
        // page (keyset, first page)
        Set<String> page = new TreeSet<>();
        for (Row r : db.run(QueryShapes.page(tenant, node, 0, 100, COLUMNS, ctx))) page.add(r.getString("external_id"));
        assertEquals(new TreeSet<>(expected), page, "page");
        // count
        long count = db.run(QueryShapes.count(tenant, node, ctx)).iterator().next().getLong("count");
        assertEquals(expected.size(), count, "count");
        long correlated = db.run(QueryShapes.count(tenant, node, ctx, SqlCompiler.Shape.CORRELATED)).iterator().next()
                .getLong("count");
        assertEquals(expected.size(), correlated, "count (correlated)");
        long countEach = db.run(QueryShapes.countEach(tenant, List.of(node), ctx)).iterator().next().getLong(0);
        assertEquals(expected.size(), countEach, "count of several segments");
        // membership of each customer, as a customer's segments and the updates after a write evaluate it
        Set<Long> holds = db.holdsFor(tenant, node, all.stream().map(ids::get).toList(), ctx);
        Set<String> members = new TreeSet<>();
        for (String ext : all) {
            if (holds.contains(ids.get(ext))) members.add(ext);
        }
        assertEquals(new TreeSet<>(expected), members, "membership");
        // evaluated with other rules in one statement with shared passes (a full refresh of several segments): alone,
        // next to its negation and next to itself (the same aggregates, one column each)
        ValidatedRule negated = PgFixture.valid(parser.parse("{\"not\":" + rule + "}"), ctx);
        List<Set<Long>> shared = db.sharedMembers(tenant, List.of(node, negated, node), ctx);
        Set<Long> everyone = new java.util.HashSet<>(all.stream().map(ids::get).toList());
        for (int i : new int[]{0, 2}) {
            assertEquals(new TreeSet<>(expected), externalIds(all, shared.get(i)), "shared passes, rule " + i);
        }
        Set<Long> complement = new java.util.HashSet<>(everyone);
        complement.removeAll(shared.get(0));
        Set<Long> negatedMembers = new java.util.HashSet<>(shared.get(1));
        negatedMembers.retainAll(everyone);
        assertEquals(complement, negatedMembers, "shared passes, the negation");
        // as a lead-scoring rule (1 point, a century's half-life: about 1 after rounding): the customers it scores,
        // for the whole tenant (pre-aggregated) and for all of its customers by id (correlated), alike
        List<QueryShapes.Scoring> scoring = List.of(new QueryShapes.Scoring(node, java.math.BigDecimal.ONE, 3_153_600_000L));
        Map<Long, java.math.BigDecimal> whole = db.scores(tenant, QueryShapes.leadScores(tenant, scoring, null,
                java.math.BigDecimal.TEN, java.math.BigDecimal.ONE, NOW, ctx));
        Map<Long, java.math.BigDecimal> some = db.scores(tenant, QueryShapes.leadScores(tenant, scoring,
                all.stream().map(ids::get).toList(), java.math.BigDecimal.TEN, java.math.BigDecimal.ONE, NOW, ctx));
        assertEquals(whole, some, "lead scores (whole tenant and by id)");
        Set<String> scored = new TreeSet<>();
        for (String ext : all) {
            if (whole.get(ids.get(ext)).signum() != 0) scored.add(ext);
        }
        assertEquals(new TreeSet<>(expected), scored, "lead scores");
        assertExplained(tenant, all, node, ctx, expected);
    }

    private Set<String> externalIds(List<String> all, Set<Long> customers) {
        Set<String> out = new TreeSet<>();
        for (String ext : all) {
            if (customers.contains(ids.get(ext))) out.add(ext);
        }
        return out;
    }

    /**
     * Explain (issue 16) agrees with membership: for every customer, the explained root is the membership above,
     * and every node of customer scope (groups, not, conditions, aggregates, segment references) has the truth
     * of that node evaluated on its own as a rule. The change feed's deciding leaves (the statement membership
     * diffs embed) are those reached through the children whose truth equals their group's.
     */
    void assertExplained(long tenant, List<String> all, ValidatedRule rule, CompileContext ctx, Set<String> expected)
            throws Exception {
        List<Long> customers = all.stream().map(ids::get).toList();
        Map<RuleNode, Set<Long>> alone = new HashMap<>();
        for (String ext : all) {
            QueryShapes.Explained explained = QueryShapes.explainCustomer(tenant, rule, ids.get(ext), ctx);
            List<Row> rows = new ArrayList<>();
            db.run(explained.query()).forEach(rows::add);
            assertEquals(1, rows.size(), "one row for " + ext);
            Row row = rows.get(0);
            assertEquals(ids.get(ext), row.getLong("customer_id"));
            assertEquals(expected.contains(ext), row.getBoolean(explained.root().truth()), "explained root for " + ext);
            checkNodes(explained.root(), row, ext, tenant, customers, ctx, alone);
            // the deciding leaves as the change feed names them, from the same compiler
            SqlBuilder b = new SqlBuilder();
            SqlCompiler compiler = new SqlCompiler(ctx, b, null, SqlCompiler.Shape.CORRELATED);
            b.sql("select ");
            new ExplainSql(compiler, rule.node()).decidingLeaves(n -> true);
            b.sql(" from " + QueryShapes.CUSTOMERS + " where c.tenant_id = ").param(tenant, SqlBuilder.PgType.BIGINT).sql(" and c.id = ")
                    .param(ids.get(ext), SqlBuilder.PgType.BIGINT);
            List<String> deciding = new ArrayList<>();
            decidingLeaves(explained.root(), row, deciding);
            assertEquals(deciding, List.of(db.run(b.build()).iterator().next().getArrayOfStrings(0)),
                    "deciding leaves for " + ext);
        }
    }

    private void checkNodes(QueryShapes.NodeColumns c, Row row, String ext, long tenant, List<Long> customers,
                            CompileContext ctx, Map<RuleNode, Set<Long>> alone) throws Exception {
        if (c.truth() == null) {
            // inside a where: per row, no truth; a count of rows
            assertEquals(true, row.getLong(c.rows()) >= 0, "rows of " + c.node().pointer());
            for (QueryShapes.NodeColumns child : c.children()) checkNodes(child, row, ext, tenant, customers, ctx, alone);
            return;
        }
        Set<Long> holds = alone.get(c.node());
        if (holds == null) {
            holds = db.holdsFor(tenant, PgFixture.valid(c.node(), ctx), customers, ctx);
            alone.put(c.node(), holds);
        }
        assertEquals(holds.contains(ids.get(ext)), row.getBoolean(c.truth()), "node " + c.node().pointer() + " for " + ext);
        if (c.node() instanceof RuleNode.Aggregate) {
            assertEquals(true, row.getLong(c.rows()) >= 0, "rows counted");
        }
        for (QueryShapes.NodeColumns child : c.children()) checkNodes(child, row, ext, tenant, customers, ctx, alone);
    }

    private static void decidingLeaves(QueryShapes.NodeColumns c, Row row, List<String> out) {
        switch (c.node()) {
            case RuleNode.Group g -> {
                boolean truth = row.getBoolean(c.truth());
                for (QueryShapes.NodeColumns child : c.children()) {
                    if (row.getBoolean(child.truth()) == truth) decidingLeaves(child, row, out);
                }
            }
            case RuleNode.Not not -> decidingLeaves(c.children().get(0), row, out);
            default -> out.add(c.node().pointer());
        }
    }

    @Test
    void keysetPagination() throws Exception {
        ValidatedRule node = PgFixture.valid(parser.parse(cond("lifecycleStage", "isSet", null).replace('\'', '"')), ctx());
        List<String> seen = new ArrayList<>();
        long after = 0;
        while (true) {
            List<Row> rows = new ArrayList<>();
            db.run(QueryShapes.page(T1, node, after, 2, COLUMNS, ctx())).forEach(rows::add);
            if (rows.isEmpty()) break;
            for (Row r : rows) seen.add(r.getString("external_id"));
            after = rows.get(rows.size() - 1).getLong("id");
        }
        assertEquals(List.of("alice", "bob", "dave", "erin", "frank"), seen);
    }

    @Test
    void asOfMovesTheClock() throws Exception {
        // one year earlier, alice's purchase 400 days before NOW is within 90 days, dave's too
        CompileContext earlier = new CompileContext(NOW.minusDays(300), catalog, key -> Optional.ofNullable(segments.get(key)));
        ValidatedRule node = PgFixture.valid(parser.parse(cond("lastPurchaseAt", "within", "'P90D'").replace('\'', '"')), earlier);
        Set<String> page = new TreeSet<>();
        for (Row r : db.run(QueryShapes.page(T1, node, 0, 100, COLUMNS, earlier))) page.add(r.getString("external_id"));
        // asOf moves the clock only: the rollup still holds the latest purchase, which is "in the future" and counts
        assertEquals(Set.of("alice", "erin", "frank"), page);
    }

    @Test
    void leapDayBirthdayAge() throws Exception {
        RuleNode rule = parser.parse(cond("age", "gte", "25").replace('\'', '"'));
        FieldCatalog cat = catalog;
        for (String[] t : new String[][]{{"2025-02-28T12:00:00Z", "false"}, {"2025-03-01T00:00:00Z", "true"}}) {
            CompileContext cx = new CompileContext(OffsetDateTime.parse(t[0]), cat, SegmentResolver.NONE);
            boolean m = db.holdsFor(T1, PgFixture.valid(rule, cx), List.of(ids.get("dave")), cx).contains(ids.get("dave"));
            assertEquals(Boolean.parseBoolean(t[1]), m, t[0]);
        }
    }
}
