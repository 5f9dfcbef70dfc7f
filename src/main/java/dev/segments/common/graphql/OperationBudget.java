package dev.segments.common.graphql;

import graphql.language.Argument;
import graphql.language.Definition;
import graphql.language.Document;
import graphql.language.Field;
import graphql.language.FragmentDefinition;
import graphql.language.FragmentSpread;
import graphql.language.InlineFragment;
import graphql.language.IntValue;
import graphql.language.NullValue;
import graphql.language.OperationDefinition;
import graphql.language.Selection;
import graphql.language.SelectionSet;
import graphql.language.Value;
import graphql.language.VariableReference;
import graphql.schema.GraphQLArgument;
import graphql.schema.GraphQLFieldDefinition;
import graphql.schema.GraphQLFieldsContainer;
import graphql.schema.GraphQLOutputType;
import graphql.schema.GraphQLSchema;
import graphql.schema.GraphQLType;
import graphql.schema.GraphQLTypeUtil;

import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Measures a GraphQL document before it is validated or executed, in time linear in its size: the number of
 * fields and the depth after every fragment spread is expanded, and an estimated cost. Each fragment is measured
 * once and its result reused at every spread (so a fragment that spreads the previous one twice, 22 levels deep,
 * costs 22 steps, not 2^22); a fragment that spreads itself, directly or not, is a cycle.
 *
 * <p>Cost: every field costs 1; a field that evaluates rules costs {@link Limits#ruleEvaluationCost()}
 * ({@link #RULE_EVALUATIONS}; {@code customers} only with a {@code rule}). The items of a list are multiplied by
 * the page size of the field that returns them: its {@code first} or {@code sampleSize} argument (literal or
 * variable; absent: the argument's default, else the default page size; at most the largest page size), so
 * {@code customers(first: 1000) { nodes { id } }} costs about 1,000; a field that starts a report job costs
 * {@link Limits#jobCost()} ({@link #JOB_STARTS}: a document starts at most as many as a tenant may have active); a
 * list without such an argument counts
 * {@link Limits#assumedListSize()} items. Nested lists multiply. Introspection fields count 1 each and not
 * towards the depth. Arithmetic saturates, it never overflows.
 */
public final class OperationBudget {

    /**
     * Fields (type.field) that evaluate rules against the tenant's customers, or read as much (segment insight: a
     * profile scans the base, overlap the memberships, effectiveness the feed and purchases).
     */
    static final Set<String> RULE_EVALUATIONS = Set.of("Query.previewSegment", "Query.customers", "Segment.count",
            "Segment.countDetails",
            "Segment.members", "CustomerConnection.totalCount", "Customer.segments", "Mutation.refreshSegment", "Mutation.refreshSegments",
            "Segment.profile", "Segment.effectiveness", "Query.segmentOverlap");

    /**
     * Fields that start a background job a tenant may have only a few of at a time (REST: at most
     * segments.reports.max-active-per-tenant queued or running report jobs, one more is 429): each costs
     * {@link Limits#jobCost()}, so one document cannot start more of them than one tenant may run.
     */
    static final Set<String> JOB_STARTS = Set.of("Mutation.createReportJob");

    private static final Set<String> PAGE_ARGUMENTS = Set.of("first", "sampleSize");

    /**
     * The limits and weights (from segments.graphql.*, segments.limits.* and segments.reports.*). {@code jobCost}: the
     * weight of a field that starts a background job ({@link #JOB_STARTS}).
     */
    public record Limits(int maxFields, int maxDepth, long maxCost, int ruleEvaluationCost, int assumedListSize,
                         int defaultPageSize, int maxPageSize, long jobCost) {

        /**
         * The weight of a job start such that a document may start at most {@code maxActiveJobs} (the REST bound)
         * and one more is over {@code maxCost}: {@code maxCost / (maxActiveJobs + 1) + 1}.
         */
        public static long jobCost(long maxCost, int maxActiveJobs) {
            return maxCost / (Math.max(0, maxActiveJobs) + 1L) + 1;
        }
    }

    /**
     * The measure of a selection set in its context. {@code fixed}: the cost of its fields that are not lists,
     * with everything below them; {@code perItem}: the cost of one item of each list field it selects (multiplied
     * by the enclosing page size where it is used). Fields and depth are counted after fragment expansion.
     */
    record Measure(long fields, int depth, long fixed, long perItem) {

        long cost(long items) {
            return add(fixed, mul(items, perItem));
        }
    }

    /** Thrown when a document breaks a limit; code is stable (too_many_fields, too_deep, too_costly, fragment_cycle). */
    public static final class LimitExceeded extends RuntimeException {
        private final String code;
        private final long value;
        private final long limit;

        LimitExceeded(String code, String message, long value, long limit) {
            super(message, null, false, false);
            this.code = code;
            this.value = value;
            this.limit = limit;
        }

        public String code() {
            return code;
        }

        public long value() {
            return value;
        }

        public long limit() {
            return limit;
        }
    }

    private final GraphQLSchema schema;
    private final Limits limits;
    private final Map<String, FragmentDefinition> fragments;
    private final Map<String, Object> variables;
    private final Map<String, Measure> measured = new HashMap<>();
    private final Set<String> inProgress = new java.util.HashSet<>();

    private OperationBudget(GraphQLSchema schema, Limits limits, Map<String, FragmentDefinition> fragments,
                            Map<String, Object> variables) {
        this.schema = schema;
        this.limits = limits;
        this.fragments = fragments;
        this.variables = variables == null ? Map.of() : variables;
    }

    /**
     * Checks the size and depth of every operation and fragment of a parsed (not yet validated) document, so that
     * validation, which expands fragments, only ever sees a bounded document.
     */
    public static void checkDocument(Document document, GraphQLSchema schema, Limits limits, Map<String, Object> variables) {
        Map<String, FragmentDefinition> fragments = new HashMap<>();
        for (Definition<?> d : document.getDefinitions()) {
            if (d instanceof FragmentDefinition f) {
                fragments.putIfAbsent(f.getName(), f);
            }
        }
        OperationBudget budget = new OperationBudget(schema, limits, fragments, variables);
        long fields = 0;
        for (Definition<?> d : document.getDefinitions()) {
            Measure m;
            if (d instanceof OperationDefinition op) {
                m = budget.selectionSet(op.getSelectionSet(), rootType(schema, op), 0);
            } else if (d instanceof FragmentDefinition f) {
                m = budget.fragment(f.getName());
            } else {
                continue;
            }
            fields = add(fields, m.fields());
            budget.checkSize(fields, m.depth());
        }
    }

    /** The estimated cost of the operation about to run, with the request's (coerced) variables. */
    public static long cost(OperationDefinition operation, Map<String, FragmentDefinition> fragments,
                            GraphQLSchema schema, Limits limits, Map<String, Object> variables) {
        OperationBudget budget = new OperationBudget(schema, limits, fragments, variables);
        Measure m = budget.selectionSet(operation.getSelectionSet(), rootType(schema, operation), 0);
        budget.checkSize(m.fields(), m.depth());
        return m.cost(limits.assumedListSize());
    }

    private static GraphQLType rootType(GraphQLSchema schema, OperationDefinition op) {
        return switch (op.getOperation()) {
            case MUTATION -> schema.getMutationType();
            case SUBSCRIPTION -> schema.getSubscriptionType();
            default -> schema.getQueryType();
        };
    }

    private void checkSize(long fields, int depth) {
        if (fields > limits.maxFields()) {
            throw new LimitExceeded("too_many_fields", "The operation selects " + fields
                    + " fields once its fragments are expanded; the limit is " + limits.maxFields(), fields, limits.maxFields());
        }
        if (depth > limits.maxDepth()) {
            throw new LimitExceeded("too_deep", "The operation nests fields " + depth
                    + " levels deep; the maximum depth is " + limits.maxDepth(), depth, limits.maxDepth());
        }
    }

    private Measure fragment(String name) {
        Measure done = measured.get(name);
        if (done != null) {
            return done;
        }
        FragmentDefinition f = fragments.get(name);
        if (f == null) {
            return new Measure(0, 0, 0, 0); // unknown fragment: validation reports it
        }
        if (!inProgress.add(name)) {
            throw new LimitExceeded("fragment_cycle", "Fragment " + name + " spreads itself", 0, 0);
        }
        GraphQLType type = schema.getType(f.getTypeCondition().getName());
        Measure m = selectionSet(f.getSelectionSet(), type, 0);
        inProgress.remove(name);
        measured.put(name, m);
        // fail as soon as one fragment alone is too big, before anything spreads it further
        checkSize(m.fields(), m.depth());
        return m;
    }

    /** A selection set on parentType (null when unknown), its fields at depth + 1. */
    private Measure selectionSet(SelectionSet set, GraphQLType parentType, int depth) {
        long fields = 0;
        int deepest = 0;
        long fixed = 0;
        long perItem = 0;
        if (set == null) {
            return new Measure(0, 0, 0, 0);
        }
        for (Selection<?> selection : set.getSelections()) {
            Measure m;
            if (selection instanceof Field field) {
                FieldMeasure f = field(field, parentType);
                fields = add(fields, f.measure.fields());
                deepest = Math.max(deepest, f.measure.depth());
                fixed = add(fixed, f.measure.fixed());
                perItem = add(perItem, f.measure.perItem());
                continue;
            } else if (selection instanceof FragmentSpread spread) {
                m = fragment(spread.getName());
            } else if (selection instanceof InlineFragment inline) {
                GraphQLType type = inline.getTypeCondition() == null ? parentType
                        : schema.getType(inline.getTypeCondition().getName());
                m = selectionSet(inline.getSelectionSet(), type, 0);
            } else {
                continue;
            }
            fields = add(fields, m.fields());
            deepest = Math.max(deepest, m.depth());
            fixed = add(fixed, m.fixed());
            perItem = add(perItem, m.perItem());
        }
        return new Measure(fields, deepest, fixed, perItem);
    }

    private record FieldMeasure(Measure measure) {
    }

    /**
     * One field: its measure as a member of its parent's selection set. A list field's cost goes to perItem
     * (its parent decides how many items); a single value's cost to fixed.
     */
    private FieldMeasure field(Field field, GraphQLType parentType) {
        if (field.getName().startsWith("__") || isIntrospection(parentType)) {
            return new FieldMeasure(introspection(field, parentType));
        }
        GraphQLFieldDefinition def = parentType instanceof GraphQLFieldsContainer c ? c.getFieldDefinition(field.getName()) : null;
        String key = parentType == null ? field.getName() : GraphQLTypeUtil.simplePrint(parentType) + "." + field.getName();
        long weight = def == null ? 1
                : JOB_STARTS.contains(key) ? Math.max(1, limits.jobCost())
                : RULE_EVALUATIONS.contains(key) && evaluatesRules(field) ? limits.ruleEvaluationCost() : 1;
        Measure children = selectionSet(field.getSelectionSet(), def == null ? null : GraphQLTypeUtil.unwrapAll(def.getType()), 0);
        long childCost = def == null ? children.cost(1) : children.cost(pageSize(field, def));
        long fields = add(1, children.fields());
        // a list field itself counts once; what it selects counts once per item (the parent knows how many)
        return new FieldMeasure(def != null && isList(def.getType())
                ? new Measure(fields, children.depth() + 1, weight, childCost)
                : new Measure(fields, children.depth() + 1, add(weight, childCost), 0));
    }

    /**
     * Introspection (__schema, __type and below): answered from the schema in memory, so each field costs 1, lists
     * are not multiplied and the depth is not counted (a client's introspection query nests ofType 7 levels deep);
     * the fields still count towards the field limit.
     */
    private Measure introspection(Field field, GraphQLType parentType) {
        GraphQLType childType = switch (field.getName()) {
            case "__schema" -> schema.getType("__Schema");
            case "__type" -> schema.getType("__Type");
            default -> parentType instanceof GraphQLFieldsContainer c && c.getFieldDefinition(field.getName()) != null
                    ? GraphQLTypeUtil.unwrapAll(c.getFieldDefinition(field.getName()).getType()) : null;
        };
        Measure children = selectionSet(field.getSelectionSet(), childType, 0);
        return new Measure(add(1, children.fields()), children.depth(), add(1, children.cost(1)), 0);
    }

    private boolean evaluatesRules(Field field) {
        if (!field.getName().equals("customers")) {
            return true;
        }
        for (Argument a : field.getArguments()) {
            if (a.getName().equals("rule")) {
                Value<?> v = a.getValue();
                return !(v instanceof NullValue)
                        && !(v instanceof VariableReference ref && variables.get(ref.getName()) == null);
            }
        }
        return false;
    }

    /** How many items each list directly below this field holds: its page argument, else the assumed list size. */
    private long pageSize(Field field, GraphQLFieldDefinition def) {
        for (String name : PAGE_ARGUMENTS) {
            GraphQLArgument arg = def.getArgument(name);
            if (arg == null) {
                continue;
            }
            Long given = null;
            for (Argument a : field.getArguments()) {
                if (a.getName().equals(name)) {
                    given = number(a.getValue());
                }
            }
            if (given == null && arg.hasSetDefaultValue()) {
                Object d = arg.getArgumentDefaultValue().getValue();
                given = d instanceof Value<?> v ? number(v) : d instanceof Number n ? n.longValue() : null;
            }
            long size = given == null ? limits.defaultPageSize() : given;
            return Math.max(0, Math.min(size, limits.maxPageSize()));
        }
        return limits.assumedListSize();
    }

    private Long number(Value<?> value) {
        if (value instanceof IntValue i) {
            BigInteger b = i.getValue();
            return b.bitLength() < 63 ? b.longValue() : Long.MAX_VALUE;
        }
        if (value instanceof VariableReference ref && variables.get(ref.getName()) instanceof Number n) {
            return n.longValue();
        }
        return null;
    }

    private static boolean isList(GraphQLOutputType type) {
        return GraphQLTypeUtil.isList(GraphQLTypeUtil.unwrapNonNull(type));
    }

    private static boolean isIntrospection(GraphQLType type) {
        return GraphQLTypeUtil.simplePrint(type).startsWith("__");
    }

    static long add(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    static long mul(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }
}
