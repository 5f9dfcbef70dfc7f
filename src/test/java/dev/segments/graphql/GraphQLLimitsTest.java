package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GraphQL operations are bounded before they run (issue 12, items 2 and 3a): fragment bombs, wide alias bombs, deep
 * nesting, fragment cycles and costly pages are refused quickly with a GraphQL error whose extensions carry
 * type /problems/query-too-complex and a stable code, and liveness stays fast while bombs arrive.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class GraphQLLimitsTest {

    /** Client threads: the common fork-join pool has one thread on two cores. */
    static final java.util.concurrent.ExecutorService CLIENTS = java.util.concurrent.Executors.newCachedThreadPool();

    @Test
    void theFragmentBombIsRefusedFastWhileLivenessStaysFast() throws Exception {
        String key = Api.newTenant();
        String bomb = GraphQL.fragmentBomb(22);
        assertTrue(bomb.length() < 1600, "the bomb is small: " + bomb.length());

        long started = System.nanoTime();
        GraphQL.query(key, bomb)
                .statusCode(200)
                .body("data", nullValue())
                .body("errors[0].extensions.type", equalTo("/problems/query-too-complex"))
                .body("errors[0].extensions.status", equalTo(400))
                .body("errors[0].extensions.code", equalTo("too_many_fields"))
                .body("errors[0].message", containsString("fragments are expanded"));
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("[limits] 22-level fragment bomb refused in %d ms%n", tookMs);
        assertTrue(tookMs < 1000, "the bomb took " + tookMs + " ms to refuse");

        // two bombs at once, liveness asked in between
        for (int round = 0; round < 3; round++) {
            List<CompletableFuture<Integer>> bombs = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < 2; i++) {
                bombs.add(CompletableFuture.supplyAsync(() -> GraphQL.query(key, bomb).extract().statusCode(), CLIENTS));
            }
            long l0 = System.nanoTime();
            RestAssured.get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
            long liveMs = (System.nanoTime() - l0) / 1_000_000;
            for (CompletableFuture<Integer> b : bombs) {
                assertEquals(200, b.get());
            }
            long allMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("[limits] liveness %d ms during two bombs (all %d ms)%n", liveMs, allMs);
            assertTrue(liveMs < 1000, "liveness took " + liveMs + " ms while two bombs ran");
            assertTrue(allMs < 2000, "two bombs and liveness took " + allMs + " ms");
        }
    }

    @Test
    void wideAliasBombsAreRefusedByFieldsOrByTokens() {
        String key = Api.newTenant();
        // 1,200 fields: under the token limit, over the field limit
        StringBuilder wide = new StringBuilder("{");
        for (int i = 0; i < 1200; i++) {
            wide.append(" a").append(i).append(": __typename");
        }
        long started = System.nanoTime();
        GraphQL.query(key, wide.append(" }").toString())
                .body("data", nullValue())
                .body("errors[0].extensions.type", equalTo("/problems/query-too-complex"))
                .body("errors[0].extensions.code", equalTo("too_many_fields"))
                .body("errors[0].extensions.limit", equalTo(1000))
                .body("errors[0].extensions.value", equalTo(1200));
        assertTrue((System.nanoTime() - started) / 1_000_000 < 1000);

        // 2,000 aliases of segments (60 KB): the parser stops at the token limit
        StringBuilder huge = new StringBuilder("{");
        for (int i = 0; i < 2_000; i++) {
            huge.append(" a").append(i).append(": segments { key }");
        }
        started = System.nanoTime();
        GraphQL.query(key, huge.append(" }").toString())
                .body("data", nullValue())
                .body("errors[0].message", equalTo("Unparseable input document"));
        assertTrue((System.nanoTime() - started) / 1_000_000 < 1000);
    }

    /** What passes the limits is cheap to validate, even the worst case of overlapping aliases. */
    @Test
    void theLargestAllowedOverlappingSelectionsValidateQuickly() {
        String key = Api.newTenant();
        for (String q : List.of(same(990, "a: __typename"), same(330, "a: segments { key }"),
                same(240, "a: segments { key name tags }"))) {
            long started = System.nanoTime();
            GraphQL.query(key, q).body("errors", nullValue());
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("[limits] overlapping aliases, %d characters, answered in %d ms%n", q.length(), tookMs);
            assertTrue(tookMs < 1000, "took " + tookMs + " ms");
        }
    }

    private static String same(int n, String field) {
        return "{" + (" " + field).repeat(n) + " }";
    }

    @Test
    void fragmentCyclesAndDeepNestingAreRefused() {
        String key = Api.newTenant();
        GraphQL.query(key, "query { ...A } fragment A on Query { segments { key } ...B } fragment B on Query { ...A }")
                .body("data", nullValue())
                .body("errors[0].extensions.code", equalTo("fragment_cycle"))
                .body("errors[0].extensions.type", equalTo("/problems/query-too-complex"));
        // depth 11 through fragments: the limit counts expanded fields
        GraphQL.query(key, """
                query { segments { ...S } }
                fragment S on Segment { members { nodes { segments { members { nodes { segments { members { nodes { segments { key } } } } } } } } } }""")
                .body("data", nullValue())
                .body("errors[0].extensions.code", equalTo("too_deep"))
                .body("errors[0].message", containsString("depth"));
    }

    @Test
    void costWeighsPageSizesAndRuleEvaluations() {
        String key = Api.newTenant();
        Api.customer(key, "c1", java.util.Map.of("region", "R"));
        // one large page is fine
        GraphQL.query(key, "{ customers(first: 1000) { nodes { id externalId } } }")
                .body("errors", nullValue())
                .body("data.customers.nodes[0].externalId", equalTo("c1"));
        // 40 of them are not: about 40 x 1,000
        GraphQL.query(key, aliases(40, "customers(first: 1000) { nodes { id } }"))
                .body("data", nullValue())
                .body("errors[0].extensions.type", equalTo("/problems/query-too-complex"))
                .body("errors[0].extensions.code", equalTo("too_costly"))
                .body("errors[0].message", containsString("complexity"));
        // the page size may come from a variable: it counts the same
        GraphQL.query(key, "query($n: Int) " + aliases(25, "customers(first: $n) { nodes { id } }"), java.util.Map.of("n", 1000))
                .body("errors[0].extensions.code", equalTo("too_costly"));
        GraphQL.query(key, "query($n: Int) " + aliases(2, "customers(first: $n) { nodes { id } }"), java.util.Map.of("n", 1000))
                .body("errors", nullValue());
        // without first, a page is the default page size (50), and nested lists multiply
        GraphQL.query(key, aliases(20, "segments { members { nodes { id } } }"))
                .body("errors[0].extensions.code", equalTo("too_costly"));
        GraphQL.query(key, aliases(20, "segments { members(first: 2) { nodes { id } } }")).body("errors", nullValue());
        // rule evaluations weigh more than plain fields: 50 x the segments' counts is refused, 40 x their keys is not
        GraphQL.query(key, aliases(50, "segments { count }")).body("errors[0].extensions.code", equalTo("too_costly"));
        GraphQL.query(key, aliases(40, "segments { key }")).body("errors", nullValue());
    }

    /**
     * createReportJob is weighted like the REST endpoint is bounded (at most segments.reports.max-active-per-tenant,
     * 4, active jobs per tenant): a document with many aliases of it is refused before any job is created, while
     * one job still starts.
     */
    @Test
    void manyReportJobsInOneDocumentAreRefusedByTheBudget() {
        String key = Api.newTenant();
        GraphQL.query(key, "mutation" + aliases(50, "createReportJob(report: \"segments\", format: \"json\") { id state }"))
                .statusCode(200)
                .body("data", nullValue())
                .body("errors", org.hamcrest.Matchers.hasSize(1))
                .body("errors[0].extensions.type", equalTo("/problems/query-too-complex"))
                .body("errors[0].extensions.code", equalTo("too_costly"));
        GraphQL.query(key, "mutation" + aliases(5, "createReportJob(report: \"segments\", format: \"json\") { id }"))
                .body("errors[0].extensions.code", equalTo("too_costly"));
        // nothing was created by the refused documents: the tenant has no job yet, so one starts
        GraphQL.query(key, "mutation { createReportJob(report: \"segments\", format: \"json\") { id state } }")
                .body("errors", nullValue()).body("data.createReportJob.id", notNullValue());
    }

    private static String aliases(int n, String field) {
        StringBuilder q = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            q.append(" a").append(i).append(": ").append(field);
        }
        return q.append(" }").toString();
    }

    /** The queries of README section 8 stay within the limits. */
    @Test
    void theReadmeExamplesPass() {
        String key = Api.newTenant();
        Api.customer(key, "crm-1042", java.util.Map.of("name", "Ann", "region", "Moscow", "priceTier", "vip"));
        Api.as(key).body("{\"key\": \"engaged-buyers\", \"name\": \"Engaged\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}")
                .post("/segments").then().statusCode(201);
        GraphQL.query(key, "{ segments { key name count members(first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { externalId name } } } }")
                .body("errors", nullValue())
                .body("data.segments[0].members.totalCount", equalTo(1));
        GraphQL.query(key, "query($after: String) { segment(key: \"engaged-buyers\") { members(first: 2, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor node { externalId rollups { totalSpend } } } } } }",
                        java.util.Collections.singletonMap("after", null))
                .body("errors", nullValue())
                .body("data.segment.members.edges[0].node.externalId", equalTo("crm-1042"));
        GraphQL.query(key, "{ queryBuilderFields }").body("errors", nullValue());
        GraphQL.query(key, "query($q: JSON!) { previewSegment(rule: $q, format: QUERY_BUILDER, sampleSize: 3) { count sample { externalId region priceTier } } }",
                        java.util.Map.of("q", JsonPath.from("""
                                {"combinator": "and", "rules": [{"field": "priceTier", "operator": "=", "value": "vip"},
                                 {"field": "region", "operator": "in", "value": "Moscow,Saint Petersburg"}]}""").getMap("")))
                .body("errors", nullValue())
                .body("data.previewSegment.count", equalTo(1));
        GraphQL.query(key, "mutation($q: JSON) { createSegment(input: {key: \"vip-capitals\", name: \"VIP in the capitals\", rule: $q, ruleFormat: QUERY_BUILDER}) { key version rule } }",
                        java.util.Map.of("q", JsonPath.from("{\"combinator\": \"and\", \"rules\": [{\"field\": \"priceTier\", \"operator\": \"=\", \"value\": \"vip\"}]}").getMap("")))
                .body("errors", nullValue());
        GraphQL.query(key, "{ customer(externalId: \"crm-1042\") { name rollups { purchaseCount totalSpend lastPurchaseAt } segments { key name } purchases(first: 3) { nodes { occurredAt amount } } interactions(first: 3) { nodes { type occurredAt } } } }")
                .body("errors", nullValue())
                .body("data.customer.name", equalTo("Ann"));
        // a client's full introspection query (GraphiQL's) is not refused either
        GraphQL.query(key, INTROSPECTION).body("errors", nullValue()).body("data.__schema.queryType.name", notNullValue());
    }

    static final String INTROSPECTION = """
            query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
              types { ...FullType } directives { name description locations args { ...InputValue } } } }
            fragment FullType on __Type { kind name description
              fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
              inputFields { ...InputValue } interfaces { ...TypeRef }
              enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
            fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
            fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
              ofType { kind name ofType { kind name ofType { kind name } } } } } } } }""";
}
