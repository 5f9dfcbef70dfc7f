package dev.segments.rule.sql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.db.EmbeddedDatabase;
import dev.segments.common.db.Migrations;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.sql.QueryShapes.Keyed;
import dev.segments.rule.sql.QueryShapes.Target;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every statement shape that evaluates rules keeps to one tenant, so that on Citus (docs/scaling.md: distribution
 * column {@code tenant_id}, every tenant table co-located) each one is routed to a single shard: for every rule of
 * the golden set ({@link SqlCompilerGoldenTest#golden()}) and every shape of {@link QueryShapes} (count, countEach,
 * page, pages, segmentsOf, membershipDiff and leadScores for all customers and for a few, profile of each member set,
 * explain), PostgreSQL's generic plan of
 * the statement, on the real schema, is read: every scan of a tenant table must be restricted by that table's
 * {@code tenant_id} (a condition of the scan itself or of the join above it), the statement must compare a
 * {@code tenant_id} with a parameter, and every scan of an activity table (purchase, interaction, event) must be
 * tied to the customer by {@code customer_id} as well, so activity joins customers on (tenant_id, customer_id).
 * The plan, not the SQL text, is read: it names every relation the statement reads, however the text nests them.
 */
class TenantScopedShapesTest {

    /** Tables with a tenant_id column (all but tenant itself), read from the schema in {@link #start}. */
    static Set<String> tenantTables;
    static final Set<String> ACTIVITY = Set.of("purchase", "interaction", "event");
    static final List<String> CONDITIONS = List.of("Index Cond", "Filter", "Recheck Cond", "Hash Cond", "Merge Cond",
            "Join Filter", "TID Cond");
    static final ObjectMapper JSON = new ObjectMapper();

    static Path dir;
    static EmbeddedDatabase db;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("tenant-shapes");
        db = EmbeddedDatabase.start(dir.resolve("pg"), 0, false);
        Map<String, String> settings = db.connectionProperties();
        Migrations.migrate("jdbc:" + settings.get("DB_URL"), settings.get("DB_USER"), settings.get("DB_PASSWORD"));
        tenantTables = new TreeSet<>();
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select table_name from information_schema.columns where table_schema ="
                     + " 'public' and column_name = 'tenant_id'")) {
            while (rs.next()) {
                tenantTables.add(rs.getString(1));
            }
        }
        assertTrue(tenantTables.containsAll(List.of("customer", "purchase", "interaction", "event", "segment_member",
                "segment_membership", "membership_change", "segment_state")), tenantTables.toString());
    }

    @AfterAll
    static void stop() throws Exception {
        db.close();
    }

    @Test
    void everyShapeOfEveryGoldenRuleStaysInItsTenant() throws Exception {
        List<ValidatedRule> rules = new ArrayList<>();
        SqlCompilerGoldenTest.golden().map(Arguments::get).forEach(a -> {
            RuleNode node = new RuleParser().parse((String) a[0]);
            rules.add(SqlCompilerGoldenTest.valid(node));
        });
        assertTrue(rules.size() >= 30, "rules: " + rules.size());

        Map<String, SqlQuery> shapes = new LinkedHashMap<>();
        long tenant = 7;
        for (int i = 0; i < rules.size(); i++) {
            ValidatedRule r = rules.get(i);
            shapes.put("count #" + i, QueryShapes.count(tenant, r, SqlCompilerGoldenTest.CTX));
            shapes.put("page #" + i, QueryShapes.page(tenant, r, 0, 50, PgFixture.COLUMNS, SqlCompilerGoldenTest.CTX));
            shapes.put("membershipDiff (all customers) #" + i, QueryShapes.membershipDiff(tenant,
                    List.of(new Target(100 + i, r)), null, "rule_edit", SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
            shapes.put("membershipDiff (a few customers) #" + i, QueryShapes.membershipDiff(tenant,
                    List.of(new Target(100 + i, r)), List.of(1L, 2L), "data_write", SqlCompilerGoldenTest.NOW,
                    SqlCompilerGoldenTest.CTX));
        }
        // the due instants of every golden rule's clock-dependent leaves, in one statement
        assertTrue(QueryShapes.readsClock(rules, SqlCompilerGoldenTest.CTX), "no golden rule reads the clock");
        shapes.put("dueInstants (all customers)", QueryShapes.dueInstants(tenant, rules, null, false,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("dueInstants (a few customers)", QueryShapes.dueInstants(tenant, rules, List.of(1L, 2L), true,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("countEach", QueryShapes.countEach(tenant, rules, SqlCompilerGoldenTest.CTX));
        shapes.put("pages", QueryShapes.pages(tenant, rules, 0, 20, PgFixture.COLUMNS, SqlCompilerGoldenTest.CTX));
        List<Keyed> keyed = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            keyed.add(new Keyed("s" + i, rules.get(i)));
        }
        shapes.put("segmentsOf", QueryShapes.segmentsOf(tenant, keyed, List.of(1L, 2L, 3L), SqlCompilerGoldenTest.CTX));
        shapes.put("explain", QueryShapes.explain(QueryShapes.count(tenant, rules.get(0), SqlCompilerGoldenTest.CTX)));
        List<QueryShapes.Scoring> scoring = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            scoring.add(new QueryShapes.Scoring(rules.get(i), java.math.BigDecimal.TEN, i % 2 == 0 ? null : 86400L));
        }
        shapes.put("leadScores (all customers)", QueryShapes.leadScores(tenant, scoring, null, java.math.BigDecimal.TEN,
                java.math.BigDecimal.ONE, SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("leadScores (a few customers)", QueryShapes.leadScores(tenant, scoring, List.of(1L, 2L),
                java.math.BigDecimal.TEN, java.math.BigDecimal.ONE, SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        List<dev.segments.rule.FieldDef> fields = new ArrayList<>();
        for (String f : List.of("region", "tags", "attributes.interests", "rfm.recency", "totalSpend", "age",
                "averageOrderValue", "attributes.score")) {
            fields.add(SqlCompilerGoldenTest.CATALOG.requireCustomerField(f));
        }
        shapes.put("profile (materialized)", QueryShapes.profile(tenant, new QueryShapes.Members.Materialized(77),
                fields, 10, SqlCompilerGoldenTest.CTX));
        shapes.put("profile (static)", QueryShapes.profile(tenant, new QueryShapes.Members.Listed(78), fields, 10,
                SqlCompilerGoldenTest.CTX));
        for (int i = 0; i < rules.size(); i++) {
            shapes.put("profile (evaluated) #" + i, QueryShapes.profile(tenant,
                    new QueryShapes.Members.Evaluated(rules.get(i)), fields, 10, SqlCompilerGoldenTest.CTX));
        }

        List<String> problems = new ArrayList<>();
        int scans = 0;
        for (Map.Entry<String, SqlQuery> shape : shapes.entrySet()) {
            String sql = shape.getValue().sql();
            if (sql.startsWith("explain (format json) ")) {
                sql = sql.substring("explain (format json) ".length());
            }
            JsonNode plan = plan(sql).get(0).get("Plan");
            List<String> conditions = new ArrayList<>();
            List<String> groupKeys = new ArrayList<>();
            List<JsonNode> tenantScans = new ArrayList<>();
            Map<String, String> subplanColumns = new LinkedHashMap<>();
            walk(plan, conditions, groupKeys, tenantScans, subplanColumns);
            // a hashed subplan's columns stand for what it outputs: (hashed SubPlan 4).col1 is its first output
            for (Map.Entry<String, String> col : subplanColumns.entrySet()) {
                conditions.replaceAll(c -> c.replace(col.getKey(), col.getValue()));
            }
            scans += tenantScans.size();
            if (tenantScans.isEmpty()) {
                problems.add(shape.getKey() + ": reads no tenant table");
            }
            if (conditions.stream().noneMatch(c -> Pattern.compile("tenant_id = \\$\\d+").matcher(c).find())) {
                problems.add(shape.getKey() + ": no tenant_id = $n in " + conditions);
            }
            for (JsonNode scan : tenantScans) {
                String alias = scan.get("Alias").asText();
                String table = scan.get("Relation Name").asText();
                if (!mentions(conditions, alias, "tenant_id")) {
                    problems.add(shape.getKey() + ": " + table + " " + alias + " is not restricted by tenant_id");
                }
                // by customer: joined to the customer by customer_id, or grouped by it (counts over a stream's groups)
                if (ACTIVITY.contains(table) && !mentions(conditions, alias, "customer_id")
                        && !mentions(groupKeys, alias, "customer_id")) {
                    problems.add(shape.getKey() + ": " + table + " " + alias + " is not joined by customer_id");
                }
            }
        }
        assertEquals(List.of(), problems, "statements that would leave one Citus shard");
        assertTrue(scans > shapes.size(), "scans checked: " + scans);
    }

    static void walk(JsonNode node, List<String> conditions, List<String> groupKeys, List<JsonNode> tenantScans,
                     Map<String, String> subplanColumns) {
        for (String key : CONDITIONS) {
            if (node.has(key)) {
                conditions.add(node.get(key).asText());
            }
        }
        node.path("Group Key").forEach(k -> groupKeys.add(k.asText()));
        if (node.has("Subplan Name")) {
            JsonNode output = node.path("Output");
            for (int i = 0; i < output.size(); i++) {
                subplanColumns.put("(hashed " + node.get("Subplan Name").asText() + ").col" + (i + 1),
                        output.get(i).asText());
            }
        }
        String type = node.path("Node Type").asText();
        if (type.endsWith("Scan") && node.has("Relation Name")
                && tenantTables.contains(node.get("Relation Name").asText())) {
            tenantScans.add(node);
        }
        for (JsonNode child : node.path("Plans")) {
            walk(child, conditions, groupKeys, tenantScans, subplanColumns);
        }
    }

    /** Whether a condition names {@code alias.column} (VERBOSE plans qualify every column with its alias). */
    static boolean mentions(List<String> conditions, String alias, String column) {
        Pattern p = Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(alias) + "\\." + column + "\\b");
        return conditions.stream().anyMatch(c -> p.matcher(c).find());
    }

    /** PostgreSQL's generic plan of a statement with $n parameters (PostgreSQL 16+). */
    static JsonNode plan(String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("explain (generic_plan, verbose, format json) " + sql)) {
            assertTrue(rs.next());
            return JSON.readTree(rs.getString(1));
        } catch (SQLException e) {
            throw new AssertionError(e.getMessage() + "\n" + sql, e);
        }
    }

    static Connection connect() throws SQLException {
        Map<String, String> s = db.connectionProperties();
        // the simple protocol: the $n of the statement reach the server as text, for EXPLAIN (GENERIC_PLAN)
        return DriverManager.getConnection("jdbc:" + s.get("DB_URL") + "?preferQueryMode=simple", s.get("DB_USER"),
                s.get("DB_PASSWORD"));
    }
}
