package dev.segments.common.graphql;

import dev.segments.support.GraphQL;
import graphql.language.Document;
import graphql.language.FragmentDefinition;
import graphql.language.OperationDefinition;
import graphql.parser.Parser;
import graphql.schema.GraphQLSchema;
import graphql.schema.idl.SchemaParser;
import graphql.schema.idl.UnExecutableSchemaGenerator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operation measure on the committed schema: exact costs, linear time on fragment bombs, saturation. */
class OperationBudgetTest {

    static GraphQLSchema schema;

    /** The defaults of segments.graphql.* and segments.limits.*. */
    static final OperationBudget.Limits DEFAULTS = new OperationBudget.Limits(1000, 10, 20_000, 50, 10, 50, 1000,
            OperationBudget.Limits.jobCost(20_000, 4));
    static final OperationBudget.Limits UNBOUNDED = new OperationBudget.Limits(Integer.MAX_VALUE, Integer.MAX_VALUE,
            Long.MAX_VALUE, 50, 10, 50, 1000, 4001);

    @BeforeAll
    static void loadSchema() throws IOException {
        String sdl = Files.readString(Path.of("openapi/schema.graphql")); // declares its scalars itself
        schema = UnExecutableSchemaGenerator.makeUnExecutableSchema(new SchemaParser().parse(sdl));
    }

    static long cost(String query, OperationBudget.Limits limits, Map<String, Object> variables) {
        Document doc = Parser.parse(query);
        OperationBudget.checkDocument(doc, schema, limits, variables);
        Map<String, FragmentDefinition> fragments = new HashMap<>();
        doc.getDefinitionsOfType(FragmentDefinition.class).forEach(f -> fragments.put(f.getName(), f));
        return OperationBudget.cost(doc.getDefinitionsOfType(OperationDefinition.class).get(0), fragments, schema, limits, variables);
    }

    @Test
    void costsFollowPageSizesListsAndRuleEvaluations() {
        // README section 8: segments (10 assumed) x (key 1 + name 1 + count 50 + members 50 + its page of 2: 58)
        assertEquals(1601, cost("{ segments { key name count members(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { externalId name } } } }",
                DEFAULTS, Map.of()));
        assertEquals(1002, cost("{ customers(first: 1000) { nodes { id } } }", DEFAULTS, Map.of()));
        assertEquals(1002, cost("query($n: Int) { customers(first: $n) { nodes { id } } }", DEFAULTS, Map.of("n", 1000)));
        assertEquals(52, cost("{ customers { nodes { id } } }", DEFAULTS, Map.of())); // default page size 50
        assertEquals(1002, cost("{ customers(first: 100000) { nodes { id } } }", DEFAULTS, Map.of())); // capped at the largest page
        assertEquals(101, cost("{ customers(rule: {field: \"region\", op: \"isSet\"}, first: 50) { nodes { id } } }", DEFAULTS, Map.of()));
        // previewSegment's sample is its sampleSize (schema default 10)
        assertEquals(50 + 1 + 1 + 10 * 2, cost("{ previewSegment(rule: {}) { count sample { id externalId } } }", DEFAULTS, Map.of()));
        // fragments and inline fragments count as if written out
        assertEquals(cost("{ customers(first: 7) { nodes { id externalId } } }", DEFAULTS, Map.of()),
                cost("{ customers(first: 7) { ...C } } fragment C on CustomerConnection { nodes { ... on Customer { id } externalId } }",
                        DEFAULTS, Map.of()));
    }

    @Test
    void aReportJobStartWeighsAFifthOfTheBudget() {
        // createReportJob weighs max-cost / (max-active-per-tenant + 1) + 1 = 20,000 / 5 + 1 = 4,001, plus its fields
        assertEquals(4001, DEFAULTS.jobCost());
        assertEquals(4001 + 2, cost("mutation { createReportJob(report: \"segments\") { id state } }", DEFAULTS, Map.of()));
        StringBuilder four = new StringBuilder("mutation {");
        for (int i = 0; i < 5; i++) {
            if (i == 4) assertTrue(cost(four + " }", DEFAULTS, Map.of()) <= 20_000, "four report jobs fit the budget");
            four.append(" a").append(i).append(": createReportJob(report: \"segments\") { id }");
        }
        assertTrue(cost(four + " }", DEFAULTS, Map.of()) > 20_000, "a fifth does not");
    }

    @Test
    void aFragmentBombIsMeasuredInLinearTime() {
        long started = System.nanoTime();
        // 60 levels: refused at F31, the first fragment over even the largest field limit (2^32 - 2 fields)
        var huge = assertThrows(OperationBudget.LimitExceeded.class, () -> cost(GraphQL.fragmentBomb(60), UNBOUNDED, Map.of()));
        assertEquals((1L << 32) - 2, huge.value());
        // 22 levels: each level is a: segments { key } (1 + 10 x 1) plus twice the level below
        assertEquals(11L * ((1L << 22) - 1), cost(GraphQL.fragmentBomb(22), UNBOUNDED, Map.of()));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 500, "took " + tookMs + " ms");

        var refused = assertThrows(OperationBudget.LimitExceeded.class,
                () -> OperationBudget.checkDocument(Parser.parse(GraphQL.fragmentBomb(22)), schema, DEFAULTS, Map.of()));
        assertEquals("too_many_fields", refused.code());
    }

    @Test
    void costsSaturateInsteadOfOverflowing() {
        String nested = "{ segments { " + "members(first: 1000) { nodes { segments { ".repeat(5) + "key" + " } } }".repeat(5) + " } }";
        assertEquals(Long.MAX_VALUE, cost(nested, UNBOUNDED, Map.of()));
    }

    @Test
    void cyclesAreRefusedWhereverTheyStart() {
        var refused = assertThrows(OperationBudget.LimitExceeded.class, () -> OperationBudget.checkDocument(
                Parser.parse("fragment A on Query { ...B } fragment B on Query { ... on Query { ...A } } query { segments { key } }"),
                schema, DEFAULTS, Map.of()));
        assertEquals("fragment_cycle", refused.code());
    }
}
