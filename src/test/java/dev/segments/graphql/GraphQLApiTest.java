package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.oneOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GraphQL API as a frontend uses it, over HTTP with REST Assured. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class GraphQLApiTest {

    static final String NOW = OffsetDateTime.now(ZoneOffset.UTC).minusDays(1).toString();

    @Inject
    Pool pool;

    /** Three customers written through GraphQL mutations: two VIPs in Moscow (one with purchases), one low tier. */
    private static void seed(String key) {
        GraphQL.query(key, """
                mutation { declareAttribute(key: "plan", type: STRING, description: "Subscription plan") { key type } }""")
                .body("data.declareAttribute.type", equalTo("STRING"));
        for (String[] c : new String[][]{{"ann", "vip", "Moscow"}, {"bob", "vip", "Moscow"}, {"cid", "low", "Kazan"}}) {
            GraphQL.query(key, """
                    mutation($in: CustomerInput!) { upsertCustomer(input: $in) { created customer { id externalId } } }""",
                    Map.of("in", Map.of("externalId", c[0], "priceTier", c[1], "region", c[2], "tags", List.of("t-" + c[0]),
                            "attributes", Map.of("plan", "pro"))))
                    .body("errors", nullValue())
                    .body("data.upsertCustomer.created", equalTo(true));
        }
        for (int i = 0; i < 3; i++) {
            GraphQL.query(key, """
                    mutation($in: PurchaseInput!) { recordPurchase(input: $in) { created purchase { id amount } } }""",
                    Map.of("in", Map.of("customerExternalId", "ann", "externalId", "p" + i, "occurredAt", NOW,
                            "amount", "100.10", "attributes", Map.of())))
                    .body("errors", nullValue())
                    .body("data.recordPurchase.purchase.amount", equalTo(100.10f));
        }
        // a retried purchase is not counted again
        GraphQL.query(key, """
                mutation($in: PurchaseInput!) { recordPurchase(input: $in) { created } }""",
                Map.of("in", Map.of("customerExternalId", "ann", "externalId", "p0", "occurredAt", NOW, "amount", 100.10)))
                .body("data.recordPurchase.created", equalTo(false));
        GraphQL.query(key, """
                mutation($in: InteractionInput!) { recordInteraction(input: $in) { created interaction { type } } }""",
                Map.of("in", Map.of("customerExternalId", "ann", "occurredAt", NOW, "type", "consultation")))
                .body("data.recordInteraction.interaction.type", equalTo("consultation"));
        GraphQL.query(key, """
                mutation($in: EventInput!) { recordEvent(input: $in) { event { name properties } } }""",
                Map.of("in", Map.of("customerExternalId", "bob", "occurredAt", NOW, "name", "page_view",
                        "properties", Map.of("path", "/pricing"))))
                .body("data.recordEvent.event.properties.path", equalTo("/pricing"));
    }

    /** Relay page info: startCursor is the first edge's cursor, endCursor the last's; paging is forward only. */
    @Test
    void connectionsCarryRelayPageInfo() {
        String key = Api.newTenant();
        for (int i = 0; i < 3; i++) {
            Api.customer(key, "relay-" + i, Map.of());
        }
        var page = GraphQL.query(key, "{ customers(first: 2) { edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }")
                .body("errors", nullValue())
                .body("data.customers.pageInfo.hasNextPage", equalTo(true))
                .body("data.customers.pageInfo.hasPreviousPage", equalTo(false))
                .extract().jsonPath();
        assertEquals(page.getString("data.customers.edges[0].cursor"), page.getString("data.customers.pageInfo.startCursor"));
        assertEquals(page.getString("data.customers.edges[1].cursor"), page.getString("data.customers.pageInfo.endCursor"));
        GraphQL.query(key, "query($a: String) { customers(first: 2, after: $a) { pageInfo { hasNextPage startCursor endCursor } } }",
                        Map.of("a", page.getString("data.customers.pageInfo.endCursor")))
                .body("data.customers.pageInfo.hasNextPage", equalTo(false))
                .body("data.customers.pageInfo.startCursor", notNullValue());
    }

    @Test
    void frontendFlowFromFieldCatalogToMembersAndCustomerSegments() {
        String key = Api.newTenant();
        seed(key);

        // the field catalog drives the pickers
        GraphQL.query(key, "{ fieldCatalog { customer { name type operators values } streams { name freeFormPrefix fields { name } } aggregateFunctions } }")
                .body("data.fieldCatalog.customer.find { it.name == 'totalSpend' }.operators", hasItem("between"))
                .body("data.fieldCatalog.customer.find { it.name == 'attributes.plan' }.type", equalTo("string"))
                .body("data.fieldCatalog.streams.find { it.name == 'events' }.freeFormPrefix", equalTo("properties."))
                .body("data.fieldCatalog.aggregateFunctions", hasItem("sum"));
        GraphQL.query(key, "{ queryBuilderFields }")
                .body("data.queryBuilderFields.find { it.name == 'priceTier' }.operators.name", hasItem("beginsWith"));

        // a segment built in react-querybuilder
        Map<String, Object> rqb = Map.of("combinator", "and", "rules", List.of(
                Map.of("field", "priceTier", "operator", "=", "value", "vip"),
                Map.of("field", "region", "operator", "in", "value", "Moscow,Kazan")));
        GraphQL.query(key, """
                query($r: JSON!) { previewSegment(rule: $r, format: QUERY_BUILDER, sampleSize: 5) { count sample { externalId } } }""",
                Map.of("r", rqb))
                .body("errors", nullValue())
                .body("data.previewSegment.count", equalTo(2))
                .body("data.previewSegment.sample.externalId", contains("ann", "bob"));
        GraphQL.query(key, """
                mutation($r: JSON) { createSegment(input: {key: "vip", name: "VIP", rule: $r, ruleFormat: QUERY_BUILDER, tags: ["ui"]}) { key version rule } }""",
                Map.of("r", rqb))
                .body("errors", nullValue())
                .body("data.createSegment.rule.and[0].field", equalTo("priceTier")); // stored natively
        GraphQL.query(key, """
                mutation { createSegment(input: {key: "buyers", name: "Buyers", rule: {aggregate: "sum", of: "purchases", field: "amount", op: "gte", value: 300}}) { key } }""")
                .body("errors", nullValue());

        // list segments, page through members, counts and freshness
        GraphQL.query(key, """
                { segments { key count freshness { live } members(first: 1) { totalCount pageInfo { hasNextPage endCursor } nodes { externalId } } } }""")
                .body("errors", nullValue())
                .body("data.segments.key", contains("buyers", "vip")) // in key order
                .body("data.segments[1].count", equalTo(2))
                .body("data.segments[1].members.totalCount", equalTo(2))
                .body("data.segments[1].members.nodes.externalId", contains("ann"))
                .body("data.segments[1].members.pageInfo.hasNextPage", equalTo(true))
                .body("data.segments[0].count", equalTo(1))
                .body("data.segments[0].members.nodes.externalId", contains("ann"));
        String cursor = GraphQL.query(key, "{ segment(key: \"vip\") { members(first: 1) { pageInfo { endCursor } } } }")
                .extract().path("data.segment.members.pageInfo.endCursor");
        GraphQL.query(key, "query($c: String) { segment(key: \"vip\") { members(first: 1, after: $c) { pageInfo { hasNextPage } edges { cursor node { externalId } } } } }",
                        Map.of("c", cursor))
                .body("data.segment.members.edges.node.externalId", contains("bob"))
                .body("data.segment.members.pageInfo.hasNextPage", equalTo(false));
        GraphQL.query(key, "{ segments(filter: {tag: \"ui\"}) { key } }").body("data.segments.key", contains("vip"));

        // export the stored rule in each format
        GraphQL.query(key, "{ segment(key: \"vip\") { rule(format: JSON_LOGIC) } }")
                .body("data.segment.rule.and[0]['==']", hasSize(2));
        GraphQL.query(key, "{ segment(key: \"vip\") { rule(format: QUERY_BUILDER) } }")
                .body("data.segment.rule.combinator", equalTo("and"));

        // a customer with its segments, rollups and activity
        GraphQL.query(key, """
                { customer(externalId: "ann") { externalId attributes rollups { purchaseCount totalSpend }
                    segments { key } purchases(first: 2) { nodes { amount } pageInfo { hasNextPage } }
                    interactions { nodes { type } } events { nodes { name } } } }""")
                .body("errors", nullValue())
                .body("data.customer.attributes.plan", equalTo("pro"))
                .body("data.customer.rollups.purchaseCount", equalTo(3))
                .body("data.customer.rollups.totalSpend", equalTo(300.3f))
                .body("data.customer.segments.key", containsInAnyOrder("vip", "buyers"))
                .body("data.customer.purchases.nodes", hasSize(2))
                .body("data.customer.purchases.pageInfo.hasNextPage", equalTo(true))
                .body("data.customer.interactions.nodes.type", contains("consultation"));

        // ad-hoc search in JsonLogic, with totalCount
        GraphQL.query(key, """
                query($r: JSON) { customers(rule: $r, format: JSON_LOGIC, first: 10) { totalCount nodes { externalId } } }""",
                Map.of("r", Map.of("==", List.of(Map.of("var", "region"), "Kazan"))))
                .body("errors", nullValue())
                .body("data.customers.totalCount", equalTo(1))
                .body("data.customers.nodes.externalId", contains("cid"));

        // static segment members, optimistic concurrency, delete
        GraphQL.query(key, "mutation { createSegment(input: {key: \"picked\", name: \"Picked\", kind: \"static\"}) { version } }")
                .body("data.createSegment.version", equalTo(1));
        GraphQL.query(key, "mutation { addSegmentMembers(key: \"picked\", externalIds: [\"cid\", \"nobody\"]) { changed unknown } }")
                .body("data.addSegmentMembers.changed", equalTo(1))
                .body("data.addSegmentMembers.unknown", contains("nobody"));
        GraphQL.query(key, "{ customer(externalId: \"cid\") { segments { key } } }")
                .body("data.customer.segments.key", contains("picked"));
        GraphQL.query(key, "mutation { updateSegment(key: \"vip\", version: 7, input: {name: \"x\", rule: {field: \"region\", op: \"isSet\"}}) { version } }")
                .body("errors[0].extensions.type", equalTo("/problems/precondition-failed"))
                .body("errors[0].extensions.status", equalTo(412));
        GraphQL.query(key, "mutation { updateSegment(key: \"vip\", version: 1, input: {name: \"VIP 2\", rule: {field: \"region\", op: \"isSet\"}}) { version name } }")
                .body("data.updateSegment.version", equalTo(2));
        GraphQL.query(key, "mutation { removeSegmentMembers(key: \"picked\", externalIds: [\"cid\"]) { changed } }")
                .body("data.removeSegmentMembers.changed", equalTo(1));
        GraphQL.query(key, "mutation { deleteSegment(key: \"picked\") }").body("data.deleteSegment", equalTo(true));
        GraphQL.query(key, "{ segment(key: \"picked\") { key } }")
                .body("errors[0].extensions.code", equalTo("not_found"));
    }

    @Test
    void invalidRulesComeBackWithTheSameCodesAndPointersAsRest() {
        String key = Api.newTenant();
        String rule = """
                {"and": [{"field": "totalSpend", "op": "contains", "value": "1"}, {"field": "shoeSize", "op": "eq", "value": 1}]}""";
        var rest = as(key).body("{\"rule\": " + rule + "}").post("/segments/preview").then().statusCode(422)
                .extract().jsonPath();
        GraphQL.query(key, "query($r: JSON!) { previewSegment(rule: $r) { count } }",
                        Map.of("r", io.restassured.path.json.JsonPath.from(rule).getMap("")))
                .body("data.previewSegment", nullValue())
                .body("errors[0].extensions.type", equalTo("/problems/invalid-rule"))
                .body("errors[0].extensions.code", equalTo("operator_not_allowed"))
                .body("errors[0].extensions.pointer", equalTo("/and/0/op"))
                .body("errors[0].extensions.errors.pointer", equalTo(rest.getList("errors.pointer")))
                .body("errors[0].extensions.errors.code", equalTo(rest.getList("errors.code")));
        // a react-querybuilder rule's problems point into the query as sent
        GraphQL.query(key, """
                query { previewSegment(format: QUERY_BUILDER, rule: {combinator: "and", rules: [{field: "region", operator: "=", value: "x"}, {field: "totalSpend", operator: "contains", value: "1"}]}) { count } }""")
                .body("errors[0].extensions.pointer", equalTo("/rules/1/operator"));
        // page size cap
        GraphQL.query(key, "{ customers(first: 100000) { nodes { id } } }")
                .body("errors[0].extensions.code", equalTo("out_of_range"))
                .body("errors[0].extensions.pointer", equalTo("first"));
    }

    @Test
    void depthAndComplexityAreLimited() {
        String key = Api.newTenant();
        // depth 11 > the configured 10
        GraphQL.query(key, "{ segments { members { nodes { segments { members { nodes { segments { members { nodes { segments { key } } } } } } } } } } }")
                .body("data", nullValue())
                .body("errors[0].message", containsString("depth"));
        StringBuilder wide = new StringBuilder("{ customers { nodes {");
        for (int i = 0; i < 600; i++) {
            wide.append(" a").append(i).append(": externalId");
        }
        GraphQL.query(key, wide.append(" } } }").toString())
                .body("data", nullValue())
                .body("errors[0].message", containsString("complexity"));
    }

    @Test
    void unauthenticatedGraphQLIsRefusedAndTheSchemaIsPublic() {
        RestAssured.given().contentType("application/json").body("{\"query\": \"{ segments { key } }\"}")
                .post("/graphql").then().statusCode(401).contentType("application/problem+json");
        RestAssured.get("/graphql/schema.graphql").then().statusCode(200).body(containsString("type Segment"));
        // introspection is on by default (GraphQLIntrospectionOffTest turns it off)
        GraphQL.query(Api.newTenant(), "{ __schema { queryType { name } } }")
                .body("data.__schema.queryType.name", equalTo("Query"));
    }

    /** Introspection gives every custom scalar its specification URL (common/graphql/ScalarSpecifications). */
    @Test
    void customScalarsCarryTheirSpecifiedByUrlInIntrospection() {
        GraphQL.query(Api.newTenant(), "{ __schema { types { name kind specifiedByURL } } }")
                .body("errors", nullValue())
                .body("data.__schema.types.find { it.name == 'DateTime' }.specifiedByURL",
                        equalTo("https://scalars.graphql.org/andimarek/date-time"))
                .body("data.__schema.types.find { it.name == 'JSON' }.specifiedByURL",
                        equalTo("https://www.rfc-editor.org/rfc/rfc8259"))
                .body("data.__schema.types.findAll { it.kind == 'SCALAR' && it.specifiedByURL == null }.name",
                        everyItem(oneOf("String", "Int", "Float", "Boolean", "ID")));
    }

    /**
     * No N+1: the number of SQL statements a nested query runs does not grow with the number of parents.
     * Counted with pg_stat_statements on the embedded server.
     */
    @Test
    void nestedListsAreLoadedInBatches() {
        pool.query("create extension if not exists pg_stat_statements").execute().await().atMost(Duration.ofSeconds(30));
        String query = """
                { segments { key count members(first: 5) { totalCount nodes { externalId segments { key }
                    purchases(first: 2) { nodes { id } } interactions(first: 2) { nodes { id } } events { nodes { id } } } } } }""";

        String small = Api.newTenant();
        seedForBatching(small, 2, 2);
        String large = Api.newTenant();
        seedForBatching(large, 6, 5);

        long smallStatements = statementsOf(small, query, 2);
        long largeStatements = statementsOf(large, query, 5);
        assertEquals(smallStatements, largeStatements,
                "statements grew with the number of segments and members: " + smallStatements + " vs " + largeStatements);
        assertTrue(smallStatements < 40, "too many statements: " + smallStatements);
    }

    private static void seedForBatching(String key, int segments, int customers) {
        for (int c = 0; c < customers; c++) {
            Api.customer(key, "c" + c, Map.of("region", "R"));
            as(key).body(Map.of("customerExternalId", "c" + c, "occurredAt", NOW, "amount", 5)).post("/purchases")
                    .then().statusCode(201);
        }
        for (int s = 0; s < segments; s++) {
            as(key).body(Map.of("key", "s" + s, "name", "S" + s, "rule", Map.of("field", "region", "op", "eq", "value", "R")))
                    .post("/segments").then().statusCode(201);
        }
    }

    /**
     * The statements one run of the query executes. pg_stat_statements counts the whole server, and background rounds
     * (the time-event tick every second, the import worker, metric samples) only ever add to a run: the least of five
     * runs is the query's own (three were not enough on a loaded machine: 26 against 30 once).
     */
    private long statementsOf(String key, String query, int expectedMembers) {
        long least = Long.MAX_VALUE;
        for (int run = 0; run < 5; run++) {
            least = Math.min(least, statementsOfOneRun(key, query, expectedMembers));
        }
        return least;
    }

    private long statementsOfOneRun(String key, String query, int expectedMembers) {
        pool.query("select pg_stat_statements_reset()").execute().await().atMost(Duration.ofSeconds(30));
        GraphQL.query(key, query).body("errors", nullValue())
                .body("data.segments[0].members.nodes", hasSize(expectedMembers))
                .body("data.segments[0].members.nodes[0].segments", notNullValue());
        return pool.query("select coalesce(sum(calls), 0) from pg_stat_statements where query not like '%pg_stat_statements%'")
                .execute().await().atMost(Duration.ofSeconds(30)).iterator().next().getLong(0);
    }
}
