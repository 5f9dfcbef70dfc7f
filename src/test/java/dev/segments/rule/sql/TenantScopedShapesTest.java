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
 * page, pages, segmentsOf, dueMembership, membershipDiff and leadScores for all customers and for a few, profile of each member set,
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
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) targets.add(new Target(100 + i, rules.get(i)));
        shapes.put("tenantDueRows", QueryShapes.tenantDueRows(tenant, targets, SqlCompilerGoldenTest.NOW,
                SqlCompilerGoldenTest.CTX));
        shapes.put("dueInstants (all customers)", QueryShapes.dueInstants(tenant, targets, null, QueryShapes.DueUpdate.WRITTEN,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        // the full refresh of several segments: every golden rule in one evaluation with shared passes
        shapes.put("sharedTargets", QueryShapes.sharedTargets(tenant, targets, SqlCompilerGoldenTest.CTX));
        shapes.put("membershipDiffShared", QueryShapes.membershipDiffShared(tenant, targets, "refresh", null,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("dueInstants (a few customers)", QueryShapes.dueInstants(tenant, targets, List.of(1L, 2L), QueryShapes.DueUpdate.EVALUATED,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("dueInstants (rules added)", QueryShapes.dueInstants(tenant, targets, null, QueryShapes.DueUpdate.ADDED,
                SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        // the tick: every golden rule evaluated for its own due customers (some for none)
        List<List<Long>> customersOf = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) customersOf.add(i % 3 == 0 ? List.of() : List.of(1L + i % 2, 3L));
        shapes.put("membershipDiffEach (the tick)", QueryShapes.membershipDiffEach(tenant, targets, customersOf,
                "time_drift", QueryShapes.Why.time(), SqlCompilerGoldenTest.NOW, SqlCompilerGoldenTest.CTX));
        shapes.put("countEach", QueryShapes.countEach(tenant, rules, SqlCompilerGoldenTest.CTX));
        shapes.put("pages", QueryShapes.pages(tenant, rules, 0, 20, PgFixture.COLUMNS, SqlCompilerGoldenTest.CTX));
        List<Keyed> keyed = new ArrayList<>();
        for (int i = 0; i < rules.size(); i++) {
            keyed.add(new Keyed("s" + i, rules.get(i)));
        }
        shapes.put("segmentsOf", QueryShapes.segmentsOf(tenant, keyed, List.of(1L, 2L, 3L), SqlCompilerGoldenTest.CTX));
        shapes.put("dueMembership", QueryShapes.dueMembership(tenant, keyed, "c.id, c.name", null, null, SqlCompilerGoldenTest.CTX));
        shapes.put("dueMembership (a page's range, due for some segments)", QueryShapes.dueMembership(tenant, keyed,
                "c.id, c.name", new QueryShapes.IdRange(1, 3), List.of(1L, 2L), SqlCompilerGoldenTest.CTX));
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
        shapes.put("profile (materialized)", QueryShapes.profile(tenant, new QueryShapes.Members.Materialized(77, null),
                fields, 10, SqlCompilerGoldenTest.CTX));
        shapes.put("profile (materialized, due customers evaluated)", QueryShapes.profile(tenant,
                new QueryShapes.Members.Materialized(77, rules.get(0)), fields, 10, SqlCompilerGoldenTest.CTX));
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
            // a statement that writes a transaction's table: its query; one that reads such a table: with it
            java.util.regex.Matcher ctas = Pattern.compile("^create temporary table \\w+ (\\([^)]*\\) )?on commit drop as ").matcher(sql);
            if (ctas.find()) {
                sql = sql.substring(ctas.end());
            }
            String setup = sql.contains("from shared_target") ? SHARED_TARGET : sql.contains("from due_rows") ? DUE_ROWS : null;
            JsonNode plan = plan(setup, sql).get(0).get("Plan");
            PlanFacts facts = PlanFacts.of(plan);
            List<String> conditions = facts.conditions();
            List<String> groupKeys = facts.groupKeys();
            List<JsonNode> tenantScans = facts.tenantScans();
            scans += tenantScans.size();
            if (tenantScans.isEmpty() && setup != null) {
                continue; // it reads only the rows a statement checked here wrote (and writes them for its tenant)
            }
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

    /**
     * The statements the persistence classes write themselves (not a compiled rule: repositories' reads and writes of
     * memberships, the change feed, activity, jobs ...), read from their source ({@link PersistenceStatements}) and
     * planned like the shapes above: every scan of a tenant table must be restricted by its {@code tenant_id}.
     * A statement read from a tenant table by its own primary key or across tenants on purpose (a worker's sweep) is
     * listed in {@link #CROSS_TENANT} with why; a listed one that is gone or now scoped fails too, so the list only
     * gets shorter. A statement with computed pieces cannot be planned from the source: it must name tenant_id.
     */
    @Test
    void everyPersistenceStatementStaysInItsTenant() throws Exception {
        List<PersistenceStatements> statements = PersistenceStatements.all();
        assertTrue(statements.size() > 100, "statements read: " + statements.size());
        List<String> problems = new ArrayList<>();
        Set<String> crossTenantSeen = new TreeSet<>();
        int planned = 0;
        for (PersistenceStatements st : statements) {
            String allowed = CROSS_TENANT.keySet().stream().filter(k -> st.key().startsWith(k)).findFirst().orElse(null);
            if (st.dynamic()) {
                if (!st.sql().contains("tenant_id") && allowed == null && readsTenantTable(st.sql())) {
                    problems.add(st.where() + ": names no tenant_id: " + st.key());
                }
                if (allowed != null) crossTenantSeen.add(allowed);
                continue;
            }
            JsonNode plan;
            try {
                plan = plan(st.sql().contains("import_stage") ? IMPORT_STAGE
                        : st.sql().contains("customer_stage") ? CUSTOMER_STAGE : null, st.sql()).get(0).get("Plan");
            } catch (AssertionError e) {
                problems.add(st.where() + ": cannot be planned from its source (" + e.getMessage().lines().findFirst()
                        .orElse("") + ")");
                continue;
            }
            planned++;
            PlanFacts facts = PlanFacts.of(plan);
            List<String> conditions = facts.conditions();
            List<JsonNode> tenantScans = facts.tenantScans();
            List<String> unscoped = new ArrayList<>();
            for (JsonNode scan : tenantScans) {
                String alias = scan.get("Alias").asText();
                if (!mentions(conditions, alias, "tenant_id")) {
                    unscoped.add(scan.get("Relation Name").asText() + " " + alias);
                }
            }
            if (allowed != null) {
                crossTenantSeen.add(allowed);
                if (unscoped.isEmpty()) {
                    problems.add(st.where() + ": listed in CROSS_TENANT but stays in its tenant now: drop \"" + allowed + "\"");
                }
            } else if (!unscoped.isEmpty()) {
                problems.add(st.where() + ": " + unscoped + " not restricted by tenant_id in: " + st.key());
            }
        }
        Set<String> stale = new TreeSet<>(CROSS_TENANT.keySet());
        stale.removeAll(crossTenantSeen);
        stale.forEach(k -> problems.add("CROSS_TENANT lists a statement that is gone: \"" + k + "\""));
        assertEquals(List.of(), problems, "persistence statements that would leave one Citus shard");
        assertTrue(planned > 80, "statements planned: " + planned);
    }

    /** Whether a statement's text names a tenant table after from, join, update, into or delete from. */
    static boolean readsTenantTable(String sql) {
        var m = Pattern.compile("(?i)\\b(from|join|update|into)\\s+([a-z_]+)").matcher(sql);
        while (m.find()) {
            if (tenantTables.contains(m.group(2).toLowerCase(java.util.Locale.ROOT))) return true;
        }
        return false;
    }

    /**
     * Statements that read a tenant table beyond one tenant on purpose, by the start of their text (lower case,
     * spaces collapsed), with why. Each is a worker's or a sweep's, never a request's.
     */
    static final Map<String, String> CROSS_TENANT = Map.ofEntries(
            Map.entry("update import_job j set state = 'failed', failure = 'abandoned:",
                    "the import worker's sweep: fails every tenant's abandoned uploads (ImportJobRepository.failAbandoned)"),
            Map.entry("delete from report_job where expires_at <= now()",
                    "the report jobs' cleanup round: expired jobs of every tenant"),
            Map.entry("with stale as (select id, attempts from report_job where state in",
                    "the report jobs' cleanup round: takes over every tenant's stale jobs (ReportJobRepository.takeOverStale)"),
            Map.entry("update customer_change c set swept_at = clock_timestamp()",
                    "the sweep of unfollowed customer changes: every tenant's (CustomerChangeRepository.claim)"),
            Map.entry("select distinct tenant_id from customer_due where due_at <=",
                    "the membership scheduler: which tenants have due customers"),
            Map.entry("select distinct tenant_id from segment_state where next_refresh_at <=",
                    "the membership scheduler: which tenants have segments due for a refresh"),
            Map.entry("select greatest(coalesce(extract(epoch from now() - (select min(next_refresh_at) from segment_state",
                    "the upkeep-lag gauge, over all tenants"),
            Map.entry("select id from api_key where id = any($1) and revoked_at is null",
                    "authentication: the tenant is not known before the key is"),
            Map.entry("select s.id from webhook_subscription s where s.active and not exists",
                    "the webhook dispatcher: subscriptions of every tenant with changes to deliver"),
            Map.entry("with due as ( select d.id from webhook_delivery d join webhook_subscription s",
                    "the webhook dispatcher: claims due deliveries of every tenant"),
            Map.entry("select count(*)::float8 from webhook_delivery where status = 'pending'",
                    "the outbox-backlog gauge, over all tenants"),
            Map.entry("select coalesce(extract(epoch from now() - min(created_at)), 0)::float8 from webhook_delivery",
                    "the outbox-age gauge, over all tenants"),
            // the dispatcher's writes to one delivery or subscription by its primary key (a uuid or a bigint
            // identity): one row, but on Citus a statement without the distribution column goes to every shard;
            // passing the tenant the dispatcher already holds (ClaimedDelivery.tenantId) is a follow-up
            Map.entry("select ?dynamic? from webhook_subscription where id = $1 and active for update skip locked",
                    "the webhook dispatcher: one subscription by id"),
            Map.entry("select exists (select 1 from webhook_delivery where subscription_id = $1 and status = 'pending')",
                    "the webhook dispatcher: one subscription's pending delivery"),
            Map.entry("update webhook_subscription set last_change_id = $2 where id = $1",
                    "the webhook dispatcher: one subscription's cursor"),
            Map.entry("update webhook_delivery d set attempts = d.attempts - 1, next_attempt_at = now() from unnest(",
                    "the webhook dispatcher: releases deliveries it claimed (by id)"),
            Map.entry("update webhook_delivery set status = 'delivered'",
                    "the webhook dispatcher: one delivery by id"),
            Map.entry("update webhook_delivery set status = case when $5::double precision is null",
                    "the webhook dispatcher: one delivery by id"));

    /** What a plan says about tenants: its conditions (hashed subplans' columns put in), group keys, tenant-table scans. */
    record PlanFacts(List<String> conditions, List<String> groupKeys, List<JsonNode> tenantScans) {
        static PlanFacts of(JsonNode plan) {
            List<String> conditions = new ArrayList<>();
            List<String> groupKeys = new ArrayList<>();
            List<JsonNode> tenantScans = new ArrayList<>();
            Map<String, String> subplanColumns = new LinkedHashMap<>();
            walk(plan, conditions, groupKeys, tenantScans, subplanColumns);
            // a hashed subplan's columns stand for what it outputs: (hashed SubPlan 4).col1 is its first output
            for (Map.Entry<String, String> col : subplanColumns.entrySet()) {
                conditions.replaceAll(c -> c.replace(col.getKey(), col.getValue()));
            }
            return new PlanFacts(conditions, groupKeys, tenantScans);
        }
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
        return plan(null, sql);
    }

    /** The activity import's session staging table (ActivityImportRepository), for the statements that read it. */
    static final String IMPORT_STAGE = "create temp table import_stage (line bigint not null, customer_id bigint,"
            + " customer_external_id text, external_id text, occurred_at timestamptz, cid bigint)";

    /** The members a full refresh of several segments computed (QueryShapes.sharedTargets). */
    static final String SHARED_TARGET = "create temp table shared_target (segment_id bigint, customer_id bigint)";

    /** The whole tenant's due rows (QueryShapes.tenantDueRows). */
    static final String DUE_ROWS = "create temp table due_rows (id bigint, due_at timestamptz, segments bigint[],"
            + " others_due_at timestamptz)";

    /** The customer import's session staging table (CustomerImportRepository), for the statements that read it. */
    static final String CUSTOMER_STAGE = "create temp table customer_stage (line bigint not null, external_id text,"
            + " name text, email text, phone text, phones text[], gender text, birth_date date, country text, region text,"
            + " city text, price_tier text, payment_terms text, lifecycle_stage text, source text, channel text,"
            + " tags text[], attributes jsonb, contacts jsonb)";

    /** The generic plan, after a setup statement run on the same connection (a temporary table), if any. */
    static JsonNode plan(String setup, String sql) throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            if (setup != null) {
                s.execute(setup);
            }
            try (ResultSet rs = s.executeQuery("explain (generic_plan, verbose, format json) " + sql)) {
                assertTrue(rs.next());
                return JSON.readTree(rs.getString(1));
            }
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
