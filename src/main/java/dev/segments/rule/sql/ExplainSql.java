package dev.segments.rule.sql;

import dev.segments.rule.FieldCatalog;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Value;
import dev.segments.rule.sql.SqlBuilder.PgType;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Every node of a rule tree as columns, for one customer row {@code c}: the statement behind explain and the
 * flipped nodes of the change feed. Truth comes from the compiler alone: each leaf (a condition, an aggregate, a
 * segment reference) is its compiled predicate, {@code coalesce((leaf), false) as tN} (the predicate is TRUE
 * exactly where the leaf holds, so this is its two-valued truth), computed once; a group's column is the
 * {@code and}/{@code or} of its children's columns and a {@code not}'s the negation of its child's, which equals
 * the compiled group (the compiler emits {@code (a and b)}, {@code (a or b)} and {@code not coalesce(x, false)},
 * and on two-valued operands these agree). Nodes inside an aggregate's {@code where} hold per row, not per
 * customer: they get no truth, only how many of the customer's rows in the aggregate's window they hold for.
 *
 * <p>Column names: {@code tN} truth, {@code vN} the value used (a condition's field value, an aggregate's result),
 * {@code rN} a ref's value, {@code nN} rows (an aggregate's counted rows; a where node's matching rows), N the
 * node's position in pre-order. Derived tables end in {@code offset 0} so that PostgreSQL does not fold the leaf
 * columns into every expression that reads them (each leaf is evaluated once).
 */
final class ExplainSql {

    /** A node of the tree with its number; stream is set for nodes inside an aggregate's where. */
    static final class Col {
        final RuleNode node;
        final int id;
        final FieldCatalog.StreamDef stream;
        final Col parent;
        final List<Col> children = new ArrayList<>();

        Col(RuleNode node, int id, FieldCatalog.StreamDef stream, Col parent) {
            this.node = node;
            this.id = id;
            this.stream = stream;
            this.parent = parent;
        }

        /** A node with a truth of its own for the customer (not inside a where). */
        boolean customerScope() {
            return stream == null;
        }

        /** A customer-scope node whose truth the compiler gives directly (not a group or not). */
        boolean leaf() {
            return stream == null && !(node instanceof RuleNode.Group) && !(node instanceof RuleNode.Not);
        }
    }

    private final SqlCompiler compiler;
    private final SqlBuilder b;
    final Col root;
    private int next;
    private boolean first = true;

    ExplainSql(SqlCompiler compiler, RuleNode root) {
        this.compiler = compiler;
        this.b = compiler.b;
        this.root = col(root, null, null);
    }

    private Col col(RuleNode n, FieldCatalog.StreamDef stream, Col parent) {
        Col c = new Col(n, next++, stream, parent);
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(ch -> c.children.add(col(ch, stream, c)));
            case RuleNode.Not not -> c.children.add(col(not.child(), stream, c));
            case RuleNode.Aggregate a -> {
                if (a.where() != null) {
                    c.children.add(col(a.where(), compiler.ctx.catalog().requireStream(a.stream()), c));
                }
            }
            case RuleNode.Condition cond -> {
            }
            case RuleNode.SegmentRef s -> {
            }
        }
        return c;
    }

    // ---------------------------------------------------------------- explain: one customer, with values

    /**
     * {@code select l.*, <group columns> from (select c.id as customer_id, c.external_id as customer_external_id,
     * <leaf truths and values> from customer c <one lateral per aggregate (and per where)> where c.tenant_id = $t
     * and c.id = $id offset 0) l}: one row, or none when the customer is not the tenant's.
     */
    void explain(SqlBuilder.Bound tenant, long customerId) {
        b.sql("select l.*");
        first = false;
        groupColumns(root, "l");
        b.sql(" from (select c.id as customer_id, c.external_id as customer_external_id");
        leafColumns(root, true);
        b.sql(" from ").sql(QueryShapes.CUSTOMERS);
        laterals(root);
        b.sql(" where c.tenant_id = ").ref(tenant).sql(" and c.id = ").param(customerId, PgType.BIGINT)
                .sql(" offset 0) l");
    }

    private void sep() {
        if (!first) b.sql(", ");
        first = false;
    }

    /** The leaves' truth columns (and, with values, what each used) in pre-order. */
    private void leafColumns(Col c, boolean values) {
        if (!c.customerScope()) return;
        switch (c.node) {
            case RuleNode.Group g -> c.children.forEach(ch -> leafColumns(ch, values));
            case RuleNode.Not not -> leafColumns(c.children.get(0), values);
            case RuleNode.Condition cond -> {
                truth(c);
                if (values) {
                    sep();
                    compiler.conditions().fieldValue(compiler.ctx.catalog().requireCustomerField(cond.field()));
                    b.sql(" as v" + c.id);
                    refValue(c, cond.value());
                }
            }
            case RuleNode.Aggregate a -> {
                truth(c);
                if (values) {
                    sep();
                    b.sql("a" + c.id + ".v as v" + c.id + ", a" + c.id + ".n as n" + c.id);
                    refValue(c, a.value());
                    if (!c.children.isEmpty()) whereColumns(c.children.get(0), "w" + c.id);
                }
            }
            case RuleNode.SegmentRef s -> truth(c);
        }
    }

    private void truth(Col c) {
        sep();
        b.sql("coalesce((");
        compiler.node(c.node, null);
        b.sql("), false) as t" + c.id);
    }

    private void refValue(Col c, Value value) {
        if (value instanceof Value.Ref r) {
            sep();
            compiler.conditions().fieldValue(compiler.ctx.catalog().requireCustomerField(r.field()));
            b.sql(" as r" + c.id);
        }
    }

    private void whereColumns(Col c, String lateral) {
        sep();
        b.sql(lateral + ".n" + c.id + " as n" + c.id);
        c.children.forEach(ch -> whereColumns(ch, lateral));
    }

    /**
     * Per aggregate: {@code left join lateral (select <aggregate> as v, count(*) as n from <stream> x where
     * x.tenant_id = c.tenant_id and x.customer_id = c.id [and where] [and window]) aN on true} (no GROUP BY:
     * exactly one row, as the correlated form has one group), and with a where, the matching rows of each where
     * node among the customer's rows in the window: {@code count(*) filter (where <node>)}.
     */
    private void laterals(Col c) {
        if (!c.customerScope()) return;
        if (c.node instanceof RuleNode.Aggregate a) {
            AggregateSql aggregates = compiler.aggregates();
            AggregateSql.Typed t = aggregates.typed(a);
            FieldCatalog.StreamDef s = t.stream();
            b.sql(" left join lateral (select ");
            aggregates.aggregateExpr(a.fn(), t.field(), t.type(), a.op()).accept(b);
            b.sql(" as v, count(*) as n");
            rowsOf(s);
            aggregates.rowFilter(a, s);
            b.sql(") a" + c.id + " on true");
            if (!c.children.isEmpty()) {
                b.sql(" left join lateral (select ");
                first = true;
                whereCounts(c.children.get(0));
                rowsOf(s);
                aggregates.windowFilter(a, s);
                b.sql(") w" + c.id + " on true");
            }
            return;
        }
        c.children.forEach(this::laterals);
    }

    private void rowsOf(FieldCatalog.StreamDef s) {
        String al = s.alias();
        b.sql(" from ").sql(s.table()).sql(" ").sql(al).sql(" where ").sql(al).sql(".tenant_id = c.tenant_id and ")
                .sql(al).sql(".customer_id = c.id");
    }

    private void whereCounts(Col c) {
        sep();
        b.sql("count(*) filter (where ");
        compiler.node(c.node, c.stream);
        b.sql(") as n" + c.id);
        c.children.forEach(this::whereCounts);
    }

    /** {@code , (<composition>) as tN} for every group and not of customer scope, in pre-order. */
    private void groupColumns(Col c, String alias) {
        if (!c.customerScope()) return;
        if (!c.leaf()) {
            sep();
            composition(c, alias);
            b.sql(" as t" + c.id);
        }
        c.children.forEach(ch -> groupColumns(ch, alias));
    }

    /** A node's truth from its leaves' columns: leaves as they are, groups and not composed. */
    private void composition(Col c, String alias) {
        switch (c.node) {
            case RuleNode.Group g -> {
                b.sql("(");
                for (int i = 0; i < c.children.size(); i++) {
                    if (i > 0) b.sql(g.combinator() == RuleNode.Combinator.AND ? " and " : " or ");
                    composition(c.children.get(i), alias);
                }
                b.sql(")");
            }
            case RuleNode.Not not -> {
                b.sql("(not ");
                composition(c.children.get(0), alias);
                b.sql(")");
            }
            default -> b.sql(alias + ".t" + c.id);
        }
    }

    // ---------------------------------------------------------------- the change feed: decisive leaves

    /**
     * A scalar subquery over the enclosing query's customer row {@code c}: the pointers (text[], document order)
     * of the leaves that decide the rule's result for that customer and satisfy {@code named}, or, when none
     * does, of every deciding leaf. A node decides its parent group when its truth equals the group's (the false
     * children of a false {@code and}, all children of a true one; the true children of a true {@code or}, all of
     * a false one), always its {@code not}; a deciding leaf is one whose every ancestor decides its own parent.
     */
    void decidingLeaves(Predicate<RuleNode> named) {
        List<Col> leaves = new ArrayList<>();
        collectLeaves(root, leaves);
        List<SqlBuilder.Bound> pointers = leaves.stream().map(l -> b.bind(l.node.pointer(), PgType.TEXT)).toList();
        b.sql("(select coalesce(nullif(x.named, '{}'::text[]), x.deciding) from (select ");
        pointerArray(leaves, pointers, named);
        b.sql(" as named, ");
        pointerArray(leaves, pointers, n -> true);
        b.sql(" as deciding from (select l.*");
        first = false;
        groupColumns(root, "l");
        b.sql(" from (select ");
        first = true;
        leafColumns(root, false);
        b.sql(" offset 0) l offset 0) n) x)");
    }

    private static void collectLeaves(Col c, List<Col> out) {
        if (!c.customerScope()) return;
        if (c.leaf()) {
            out.add(c);
            return;
        }
        c.children.forEach(ch -> collectLeaves(ch, out));
    }

    private void pointerArray(List<Col> leaves, List<SqlBuilder.Bound> pointers, Predicate<RuleNode> include) {
        b.sql("array_remove(array[");
        boolean any = false;
        for (int i = 0; i < leaves.size(); i++) {
            if (!include.test(leaves.get(i).node)) continue;
            b.sql(any ? ", " : "").sql("case when ");
            deciding(leaves.get(i));
            b.sql(" then ").ref(pointers.get(i)).sql(" end");
            any = true;
        }
        if (!any) b.sql("null::text");
        b.sql("], null)");
    }

    /** {@code n.t<child> = n.t<group>} for every group on the leaf's path, or {@code true}. */
    private void deciding(Col leaf) {
        String glue = "";
        boolean any = false;
        for (Col c = leaf; c.parent != null; c = c.parent) {
            if (c.parent.node instanceof RuleNode.Group) {
                b.sql(glue).sql("n.t" + c.id + " = n.t" + c.parent.id);
                glue = " and ";
                any = true;
            }
        }
        if (!any) b.sql("true");
    }

    // ---------------------------------------------------------------- the caller's map of the columns

    /** What the caller reads: each node with the names of its columns. */
    QueryShapes.NodeColumns columns() {
        return columns(root);
    }

    private static QueryShapes.NodeColumns columns(Col c) {
        String truth = c.customerScope() ? "t" + c.id : null;
        String value = null, ref = null, rows = null;
        if (c.customerScope()) {
            switch (c.node) {
                case RuleNode.Condition cond -> {
                    value = "v" + c.id;
                    if (cond.value() instanceof Value.Ref) ref = "r" + c.id;
                }
                case RuleNode.Aggregate a -> {
                    value = "v" + c.id;
                    rows = "n" + c.id;
                    if (a.value() instanceof Value.Ref) ref = "r" + c.id;
                }
                case RuleNode.Group g -> {
                }
                case RuleNode.Not not -> {
                }
                case RuleNode.SegmentRef s -> {
                }
            }
        } else {
            rows = "n" + c.id;
        }
        return new QueryShapes.NodeColumns(c.node, truth, value, ref, rows,
                c.children.stream().map(ExplainSql::columns).toList());
    }
}
