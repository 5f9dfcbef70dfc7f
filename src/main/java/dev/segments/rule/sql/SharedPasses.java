package dev.segments.rule.sql;

import dev.segments.rule.CompileContext;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.RuleNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The shared passes of a statement that evaluates many rules for all of a tenant's customers at once (a full
 * evaluation of several segments, {@link QueryShapes#sharedTargets}): instead of one scan of a stream per
 * aggregate and segment, one grouped scan per stream computes every aggregate the rules need as a column,
 * {@code fn(...) filter (where [where] [and window])}, and each rule compares those columns:
 * <pre>
 * select c.id, (rule 1) as m0, (rule 2) as m1, ...
 * from customer c left join customer_score cs on ...
 *   left join (select p.customer_id, count(*) filter (where ...) as v0, coalesce(sum(p.amount) filter (...), 0) as v1, ...
 *              from purchase p where p.tenant_id = $t and ((...) or (...)) group by p.customer_id) sp0 on sp0.customer_id = c.id
 *   left join (... interaction ...) sp1 on sp1.customer_id = c.id
 * where c.tenant_id = $t
 * </pre>
 * A customer without rows in a pass has no group: its counts and sums read 0 there, its avg/min/max missing, as
 * the contract's empty group says. The same aggregate in several rules (or reached through several segment
 * references) is one column: columns are keyed by their compiled text and parameter values. Aggregates whose
 * where compares a row with its own customer's fields (refs) read a second pass of the stream that joins the
 * customer, so the other aggregates' pass reads the stream alone. A pass reads only the rows some of its columns
 * select (the OR of their filters, each with the tenant, so that an index per arm can serve it) unless a column
 * reads every row. Rollups and the latest-row existence test still read the customer's row, as in the other
 * shapes. See docs/live-membership.md, "Shared passes".
 */
final class SharedPasses {

    /** One grouped scan of a stream: its alias in the statement and its columns by key. */
    private record Pass(FieldCatalog.StreamDef stream, boolean joinsCustomer, String alias,
                        Map<String, Column> columns) {
    }

    private record Column(String name, RuleNode.Aggregate aggregate, boolean filtered) {
    }

    private final List<Pass> passes = new ArrayList<>();

    /**
     * The column that holds this aggregate's value for the customer {@code c} of the statement, registered on first
     * use: {@code coalesce(spN.vK, 0)} for counts and sums (no group: no rows), {@code spN.vK} otherwise.
     */
    String column(RuleNode.Aggregate a, CompileContext ctx) {
        SqlBuilder scratch = new SqlBuilder();
        new SqlCompiler(ctx, scratch, null, SqlCompiler.Shape.CORRELATED).aggregates().sharedColumn(a);
        SqlQuery compiled = scratch.build();
        // parameter values compared by value (a text array's identity would make every column new)
        String key = compiled.sql() + '\u0000' + compiled.params().stream()
                .map(v -> v instanceof Object[] items ? Arrays.asList(items) : v).toList();
        FieldCatalog.StreamDef stream = ctx.catalog().requireStream(a.stream());
        boolean joins = a.where() != null && AggregateSql.hasRef(a.where());
        Pass pass = passes.stream().filter(p -> p.stream().name().equals(stream.name()) && p.joinsCustomer() == joins)
                .findFirst().orElseGet(() -> {
                    Pass p = new Pass(stream, joins, "sp" + passes.size(), new LinkedHashMap<>());
                    passes.add(p);
                    return p;
                });
        Column column = pass.columns().computeIfAbsent(key, k -> new Column("v" + pass.columns().size(), a,
                a.where() != null || a.within() != null));
        String ref = pass.alias() + "." + column.name();
        return switch (a.fn()) {
            case COUNT, SUM -> "coalesce(" + ref + ", 0)";
            case AVG, MIN, MAX -> ref;
        };
    }

    /**
     * Appends {@code left join (pass) spN on spN.customer_id = c.id} for every pass registered so far, compiled
     * with {@code compiler}'s builder; {@code tenant} is the statement's tenant parameter.
     */
    void joins(SqlCompiler compiler, SqlBuilder.Bound tenant) {
        SqlBuilder b = compiler.b;
        for (Pass p : passes) {
            String al = p.stream().alias();
            b.sql(" left join (select ").sql(al).sql(".customer_id");
            for (Column col : p.columns().values()) {
                b.sql(", ");
                compiler.aggregates().sharedColumn(col.aggregate());
                b.sql(" as ").sql(col.name());
            }
            b.sql(" from ").sql(p.stream().table()).sql(" ").sql(al);
            if (p.joinsCustomer()) {
                // the where compares each row with its own customer's fields: that customer, under alias c
                b.sql(" join (").sql(QueryShapes.CUSTOMERS).sql(") on c.tenant_id = ").sql(al)
                        .sql(".tenant_id and c.id = ").sql(al).sql(".customer_id");
            }
            b.sql(" where ").sql(al).sql(".tenant_id = ").ref(tenant);
            if (p.columns().values().stream().allMatch(Column::filtered)) {
                String glue = " and ((";
                for (Column col : p.columns().values()) {
                    b.sql(glue).sql(al).sql(".tenant_id = ").ref(tenant).sql(" and ");
                    compiler.aggregates().rowCondition(col.aggregate());
                    glue = ") or (";
                }
                b.sql("))");
            }
            b.sql(" group by ").sql(al).sql(".customer_id) ").sql(p.alias()).sql(" on ").sql(p.alias())
                    .sql(".customer_id = c.id");
        }
    }
}
