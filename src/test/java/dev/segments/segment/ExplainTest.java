package dev.segments.segment;

import dev.segments.segment.service.MembershipService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.support.Receiver;
import dev.segments.webhook.service.WebhookDispatcher;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Explain (issue 16): every node's truth for a customer, the values it used and the nodes that decided, over REST
 * and GraphQL, for saved segments and unsaved rules; and the change feed's flipped nodes. The semantics suite
 * (RuleSemanticsPgTest) checks that the explained truth of every node equals membership for every case.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ExplainTest {

    static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);

    static final Map<String, Object> NORTH = Map.of("field", "region", "op", "eq", "value", "North");
    static final Map<String, Object> SPENT_1000 = Map.of("aggregate", "sum", "of", "purchases", "field", "amount",
            "within", "P365D", "op", "gt", "value", 1000);

    @Inject
    MembershipService membership;

    @Inject
    WebhookDispatcher dispatcher;

    private static void segment(String key, String segmentKey, Map<String, ?> rule) {
        as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments").then().statusCode(201);
    }

    private static void purchase(String key, String customer, String externalId, OffsetDateTime at, String amount) {
        as(key).body(Map.of("customerExternalId", customer, "externalId", externalId, "occurredAt", at.toString(),
                "amount", amount)).post("/purchases").then().statusCode(201);
    }

    private static JsonPath explain(String key, String segmentKey, long customerId) {
        return as(key).get("/segments/" + segmentKey + "/explain/" + customerId).then().statusCode(200).extract().jsonPath();
    }

    /** The explained nodes by pointer (the tree flattened). */
    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Object>> nodes(JsonPath explanation) {
        Map<String, Map<String, Object>> out = new HashMap<>();
        List<Map<String, Object>> todo = new ArrayList<>(List.of(explanation.getMap("root")));
        while (!todo.isEmpty()) {
            Map<String, Object> n = todo.remove(0);
            out.put((String) n.get("pointer"), n);
            todo.addAll((List<Map<String, Object>>) n.get("children"));
        }
        return out;
    }

    private static boolean member(String key, long customerId, String segmentKey) {
        return as(key).get("/customers/" + customerId + "/segments").then().statusCode(200).extract().jsonPath()
                .getList("key").contains(segmentKey);
    }

    private static BigDecimal number(Object value) {
        return new BigDecimal(value.toString());
    }

    /** Three customers and their purchases: anna (North, 1300 in two purchases), boris (North, 200), clara (South, 5000 long ago). */
    private static Map<String, Long> seed(String key) {
        Map<String, Long> ids = new HashMap<>();
        ids.put("anna", Api.customer(key, "anna", Map.of("region", "North")));
        ids.put("boris", Api.customer(key, "boris", Map.of("region", "North")));
        ids.put("clara", Api.customer(key, "clara", Map.of("region", "South")));
        purchase(key, "anna", "a1", NOW.minusDays(10), "700");
        purchase(key, "anna", "a2", NOW.minusDays(20), "600");
        purchase(key, "boris", "b1", NOW.minusDays(5), "200");
        purchase(key, "clara", "c1", NOW.minusDays(400), "5000");
        return ids;
    }

    @Test
    void aSegmentExplainedForMembersAndNonMembers() {
        String key = Api.newTenant();
        Map<String, Long> ids = seed(key);
        segment(key, "north-spenders", Map.of("and", List.of(NORTH, SPENT_1000)));

        JsonPath anna = explain(key, "north-spenders", ids.get("anna"));
        assertEquals("north-spenders", anna.getString("segment"));
        assertEquals(ids.get("anna"), anna.getLong("customerId"));
        assertEquals("anna", anna.getString("customerExternalId"));
        assertEquals(true, anna.getBoolean("member"));
        assertEquals(List.of("/and/0", "/and/1"), anna.getList("decidedBy"));
        assertEquals("North", anna.getString("rule.and[0].value"));
        Map<String, Map<String, Object>> n = nodes(anna);
        assertEquals(List.of("", "/and/0", "/and/1"), new ArrayList<>(new java.util.TreeSet<>(n.keySet())));
        assertEquals("and", n.get("").get("kind"));
        assertEquals(true, n.get("").get("truth"));
        assertEquals(List.of("/and/0", "/and/1"), n.get("").get("decidedBy"));
        assertEquals("condition", n.get("/and/0").get("kind"));
        assertEquals("region", n.get("/and/0").get("field"));
        assertEquals("eq", n.get("/and/0").get("op"));
        assertEquals("North", n.get("/and/0").get("value"));
        assertEquals("", n.get("/and/0").get("parent"));
        assertEquals("aggregate", n.get("/and/1").get("kind"));
        assertEquals("sum", n.get("/and/1").get("aggregate"));
        assertEquals("purchases", n.get("/and/1").get("stream"));
        assertEquals("amount", n.get("/and/1").get("field"));
        assertEquals(0, number(n.get("/and/1").get("value")).compareTo(new BigDecimal("1300")));
        assertEquals(2, ((Number) n.get("/and/1").get("rows")).intValue());
        assertEquals(true, member(key, ids.get("anna"), "north-spenders"));

        // boris is in the North but spent 200: the aggregate alone decides
        JsonPath boris = explain(key, "north-spenders", ids.get("boris"));
        assertEquals(false, boris.getBoolean("member"));
        assertEquals(List.of("/and/1"), boris.getList("decidedBy"));
        n = nodes(boris);
        assertEquals(true, n.get("/and/0").get("truth"));
        assertEquals(false, n.get("/and/1").get("truth"));
        assertEquals(0, number(n.get("/and/1").get("value")).compareTo(new BigDecimal("200")));
        assertEquals(1, ((Number) n.get("/and/1").get("rows")).intValue());
        assertEquals(false, member(key, ids.get("boris"), "north-spenders"));

        // clara fails both; her purchase is outside the window: the sum over no rows is 0
        JsonPath clara = explain(key, "north-spenders", ids.get("clara"));
        assertEquals(List.of("/and/0", "/and/1"), clara.getList("decidedBy"));
        n = nodes(clara);
        assertEquals("South", n.get("/and/0").get("value"));
        assertEquals(0, number(n.get("/and/1").get("value")).compareTo(BigDecimal.ZERO));
        assertEquals(0, ((Number) n.get("/and/1").get("rows")).intValue());

        // asOf moves the clock: 360 days on, anna's purchases are outside the window
        JsonPath later = as(key).queryParam("asOf", NOW.plusDays(360).toString())
                .get("/segments/north-spenders/explain/" + ids.get("anna")).then().statusCode(200).extract().jsonPath();
        assertEquals(false, later.getBoolean("member"));
        assertEquals(List.of("/and/1"), later.getList("decidedBy"));
        assertEquals(0, ((Number) nodes(later).get("/and/1").get("rows")).intValue());
    }

    @Test
    void unsavedRulesOrNotWhereRefsAndSegments() {
        String key = Api.newTenant();
        Map<String, Long> ids = seed(key);
        segment(key, "north", NORTH);
        Map<String, Object> bigBuys = Map.of("aggregate", "count", "of", "purchases",
                "where", Map.of("field", "amount", "op", "gte", "value", 500), "op", "gte", "value", 1);
        Map<String, Object> rule = Map.of("or", List.of(Map.of("field", "region", "op", "eq", "value", "South"),
                Map.of("not", bigBuys)));

        // anna: not South, and she has big purchases, so the not is false: a false or is decided by every child
        JsonPath anna = as(key).body(Map.of("rule", rule, "customerId", ids.get("anna"))).post("/segments/preview/explain")
                .then().statusCode(200).extract().jsonPath();
        assertNull(anna.get("segment"));
        assertEquals(false, anna.getBoolean("member"));
        assertEquals(List.of("/or/0", "/or/1/not"), anna.getList("decidedBy"));
        Map<String, Map<String, Object>> n = nodes(anna);
        assertEquals(List.of("/or/0", "/or/1"), n.get("").get("decidedBy"));
        assertEquals("not", n.get("/or/1").get("kind"));
        assertEquals(false, n.get("/or/1").get("truth"));
        assertEquals(List.of("/or/1/not"), n.get("/or/1").get("decidedBy"));
        assertEquals(true, n.get("/or/1/not").get("truth"));
        assertEquals(2, ((Number) n.get("/or/1/not").get("rows")).intValue());
        assertEquals(2, ((Number) n.get("/or/1/not").get("value")).intValue());
        // the where holds per row: no truth, the matching rows among the customer's rows
        Map<String, Object> where = n.get("/or/1/not/where");
        assertEquals("condition", where.get("kind"));
        assertEquals(false, where.containsKey("truth"));
        assertEquals(2, ((Number) where.get("rows")).intValue());
        assertEquals("/or/1/not", where.get("parent"));

        // boris: his one purchase is below 500, so the not holds and decides alone
        JsonPath boris = as(key).body(Map.of("rule", rule, "customerId", ids.get("boris"))).post("/segments/preview/explain")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(true, boris.getBoolean("member"));
        assertEquals(List.of("/or/1/not"), boris.getList("decidedBy"));
        assertEquals(0, ((Number) nodes(boris).get("/or/1/not/where").get("rows")).intValue());
        assertEquals(0, ((Number) nodes(boris).get("/or/1/not").get("rows")).intValue(), "counted: after the where");

        // a ref: the value and the ref's value; averageOrderValue is the quotient 1300 / 2
        JsonPath ref = as(key).body(Map.of("rule", Map.of("field", "totalSpend", "op", "gt", "value",
                Map.of("ref", "averageOrderValue")), "customerId", ids.get("anna"))).post("/segments/preview/explain")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(true, ref.getBoolean("member"));
        assertEquals(List.of(""), ref.getList("decidedBy"));
        assertEquals("averageOrderValue", ref.getString("root.ref"));
        assertEquals(0, number(ref.get("root.value")).compareTo(new BigDecimal("1300")));
        assertEquals(0, number(ref.get("root.refValue")).compareTo(new BigDecimal("650")));

        // a missing value is null, not left out
        long dan = Api.customer(key, "dan", Map.of());
        JsonPath missing = as(key).body(Map.of("rule", NORTH, "customerId", dan)).post("/segments/preview/explain")
                .then().statusCode(200).extract().jsonPath();
        assertEquals(true, missing.getMap("root").containsKey("value"));
        assertNull(missing.get("root.value"));

        // a segment reference: the referenced segment's truth
        JsonPath seg = as(key).body(Map.of("rule", Map.of("not", Map.of("segment", "north")), "customerId", ids.get("boris")))
                .post("/segments/preview/explain").then().statusCode(200).extract().jsonPath();
        assertEquals(false, seg.getBoolean("member"));
        assertEquals("segment", seg.getString("root.children[0].kind"));
        assertEquals("north", seg.getString("root.children[0].segment"));
        assertEquals(true, seg.getBoolean("root.children[0].truth"));
        assertEquals(List.of("/not"), seg.getList("decidedBy"));

        // another format: pointers into the native translation, which is returned as rule
        JsonPath qb = as(key).body(Map.of("ruleFormat", "querybuilder", "customerId", ids.get("anna"), "rule",
                Map.of("combinator", "and", "rules", List.of(Map.of("field", "region", "operator", "=", "value", "North")))))
                .post("/segments/preview/explain").then().statusCode(200).extract().jsonPath();
        assertEquals(Map.of("field", "region", "op", "eq", "value", "North"), qb.getMap("rule"));
        assertEquals("", qb.getString("root.pointer"));
        assertEquals(true, qb.getBoolean("member"));
    }

    @Test
    void staticSegmentsAndErrors() {
        String key = Api.newTenant();
        Map<String, Long> ids = seed(key);
        segment(key, "north", NORTH);
        as(key).body(Map.of("key", "picked", "name", "picked", "kind", "static")).post("/segments").then().statusCode(201);
        as(key).body(Map.of("externalIds", List.of("anna"))).post("/segments/picked/members").then().statusCode(200);
        JsonPath picked = explain(key, "picked", ids.get("anna"));
        assertEquals(true, picked.getBoolean("member"));
        assertEquals("segment", picked.getString("root.kind"));
        assertEquals("picked", picked.getString("root.segment"));
        assertNull(picked.get("rule"));
        assertEquals(false, explain(key, "picked", ids.get("boris")).getBoolean("member"));

        // 404 problems: unknown segment, unknown customer, another tenant's customer, an id that is not a number
        String other = Api.newTenant();
        long stranger = Api.customer(other, "stranger", Map.of("region", "North"));
        for (String path : List.of("/segments/nope/explain/" + ids.get("anna"), "/segments/north/explain/999999999",
                "/segments/north/explain/" + stranger, "/segments/north/explain/abc")) {
            as(key).get(path).then().statusCode(404).contentType(startsWith("application/problem+json"))
                    .body("type", equalTo("/problems/not-found"));
        }
        as(key).body(Map.of("rule", NORTH, "customerId", stranger)).post("/segments/preview/explain").then()
                .statusCode(404).body("type", equalTo("/problems/not-found"));
        // 422: no customer, no rule, an invalid rule (pointer into the rule)
        as(key).body(Map.of("rule", NORTH)).post("/segments/preview/explain").then().statusCode(422)
                .contentType(startsWith("application/problem+json")).body("errors[0].pointer", equalTo("/customerId"));
        as(key).body(Map.of("customerId", ids.get("anna"))).post("/segments/preview/explain").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/rule"));
        as(key).body(Map.of("customerId", ids.get("anna"), "rule", Map.of("field", "nope", "op", "eq", "value", 1)))
                .post("/segments/preview/explain").then().statusCode(422).body("errors[0].code", equalTo("unknown_field"));
    }

    @Test
    void graphQLExplainsSegmentsAndRules() {
        String key = Api.newTenant();
        Map<String, Long> ids = seed(key);
        segment(key, "north-spenders", Map.of("and", List.of(NORTH, SPENT_1000)));
        JsonPath r = GraphQL.query(key, """
                query($id: ID!) { explain(segmentKey: "north-spenders", customerId: $id) {
                  segment customerId member decidedBy rule evaluatedAt
                  root { pointer kind truth decidedBy children { pointer } }
                  nodes { pointer parent kind truth decidedBy field op aggregate stream value rows } } }""",
                Map.of("id", String.valueOf(ids.get("boris")))).statusCode(200).extract().jsonPath();
        assertNull(r.get("errors"));
        assertEquals(false, r.getBoolean("data.explain.member"));
        assertEquals(List.of("/and/1"), r.getList("data.explain.decidedBy"));
        assertEquals("North", r.getString("data.explain.rule.and[0].value"));
        assertEquals(List.of("/and/0", "/and/1"), r.getList("data.explain.root.children.pointer"));
        assertEquals(List.of("", "/and/0", "/and/1"), r.getList("data.explain.nodes.pointer"));
        assertEquals(java.util.Arrays.asList(null, "", ""), r.getList("data.explain.nodes.parent"));
        assertEquals(List.of("/and/1"), r.getList("data.explain.nodes[0].decidedBy"));
        assertEquals("North", r.getString("data.explain.nodes[1].value"));
        assertEquals(0, number(r.get("data.explain.nodes[2].value")).compareTo(new BigDecimal("200")));
        assertEquals(1, r.getInt("data.explain.nodes[2].rows"));

        JsonPath rule = GraphQL.query(key, """
                query($id: ID!, $rule: JSON!) { explainRule(rule: $rule, customerId: $id) { member decidedBy
                  nodes { pointer truth value refValue } } }""",
                Map.of("id", String.valueOf(ids.get("anna")), "rule", Map.of("field", "totalSpend", "op", "gt", "value",
                        Map.of("ref", "averageOrderValue")))).statusCode(200).extract().jsonPath();
        assertNull(rule.get("errors"));
        assertEquals(true, rule.getBoolean("data.explainRule.member"));
        assertEquals(0, number(rule.get("data.explainRule.nodes[0].refValue")).compareTo(new BigDecimal("650")));

        JsonPath missing = GraphQL.query(key, "{ explain(segmentKey: \"north-spenders\", customerId: \"999999999\") { member } }")
                .statusCode(200).extract().jsonPath();
        assertEquals("/problems/not-found", missing.getString("errors[0].extensions.type"));
    }

    /** The README's walk-through: crm-1042 and the canonical rule, explained as the README shows it. */
    @Test
    void theReadmeExample() throws Exception {
        String key = Api.newTenant();
        long id = Api.customer(key, "crm-1042", Map.of());
        purchase(key, "crm-1042", "order-1", NOW.minusDays(200), "700.00");
        purchase(key, "crm-1042", "order-2", NOW.minusDays(10), "400.00");
        for (int days : new int[]{60, 30}) {
            as(key).body(Map.of("customerExternalId", "crm-1042", "occurredAt", NOW.minusDays(days).toString(),
                    "type", "consultation")).post("/interactions").then().statusCode(201);
        }
        Map<?, ?> rule = new com.fasterxml.jackson.databind.ObjectMapper().readValue(
                dev.segments.rule.RuleExamples.CANONICAL, Map.class);
        as(key).body(Map.of("key", "engaged-buyers", "name", "Engaged buyers", "rule", rule)).post("/segments")
                .then().statusCode(201);
        JsonPath e = explain(key, "engaged-buyers", id);
        assertEquals(true, e.getBoolean("member"));
        assertEquals(List.of("/and/0", "/and/1", "/and/2"), e.getList("decidedBy"));
        Map<String, Map<String, Object>> n = nodes(e);
        assertEquals(0, number(n.get("/and/1").get("value")).compareTo(new BigDecimal("1100")));
        assertEquals(2, ((Number) n.get("/and/1").get("rows")).intValue());
        assertEquals(2, ((Number) n.get("/and/2").get("value")).intValue());
        assertEquals(2, ((Number) n.get("/and/2").get("rows")).intValue());
        assertEquals("and", n.get("/and/2/where").get("kind"));
        assertEquals(2, ((Number) n.get("/and/2/where").get("rows")).intValue());
        // 90 days on, the purchase 10 days ago is outside P90D: time alone decides
        JsonPath later = as(key).queryParam("asOf", NOW.plusDays(90).toString())
                .get("/segments/engaged-buyers/explain/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("/and/0"), later.getList("decidedBy"));
    }

    // ------------------------------------------------------------------ why it changed

    /** The segment's feed as "kind:externalId:cause:flippedNodes". */
    private static List<String> feed(String key, String segmentKey) {
        JsonPath page = as(key).get("/segments/" + segmentKey + "/changes?limit=1000").then().statusCode(200).extract().jsonPath();
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : page.<Map<String, Object>>getList("items")) {
            out.add(c.get("kind") + ":" + c.get("customerExternalId") + ":" + c.get("cause") + ":" + c.get("flippedNodes"));
        }
        return out;
    }

    @Test
    void changesNameTheNodesThatFlipped() {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of("region", "North"));
        segment(key, "north-spenders", Map.of("and", List.of(NORTH, SPENT_1000)));
        segment(key, "recent-north", Map.of("and", List.of(NORTH,
                Map.of("field", "lastPurchaseAt", "op", "within", "value", "P1D"))));
        assertEquals(List.of(), feed(key, "north-spenders"));

        // a purchase write makes anna enter: the aggregate flipped (the region did not change)
        purchase(key, "anna", "a1", NOW.minusHours(23), "1500");
        assertEquals(List.of("entered:anna:data_write:[/and/1]"), feed(key, "north-spenders"));
        assertEquals(List.of("entered:anna:data_write:[/and/1]"), feed(key, "recent-north"));

        // a profile write makes her leave: the region flipped
        as(key).contentType("application/merge-patch+json").body("{\"region\": \"South\"}").patch("/customers/" + anna)
                .then().statusCode(200);
        as(key).contentType("application/merge-patch+json").body("{\"region\": \"North\"}").patch("/customers/" + anna)
                .then().statusCode(200);
        assertEquals(List.of("entered:anna:data_write:[/and/1]", "exited:anna:data_write:[/and/0]",
                "entered:anna:data_write:[/and/0]"), feed(key, "north-spenders"));

        // time passes: she leaves recent-north at her time event, named by the time window
        membership.tick(NOW.plusHours(2)).await().atMost(Duration.ofSeconds(30));
        List<String> recent = feed(key, "recent-north");
        assertEquals("exited:anna:time_drift:[/and/1]", recent.get(recent.size() - 1));
        // the sum's window is a year: time did not move it
        assertEquals(3, feed(key, "north-spenders").size());

        // a rule edit names nothing: the rule itself changed
        as(key).body(Map.of("name", "n", "rule", NORTH)).put("/segments/recent-north").then().statusCode(200);
        List<String> edited = feed(key, "recent-north");
        assertEquals("entered:anna:rule_edit:null", edited.get(edited.size() - 1));

        // the tenant feed and GraphQL carry the same
        JsonPath tenantFeed = as(key).get("/changes?limit=1000").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("/and/1"), tenantFeed.getList("items[0].flippedNodes"));
        JsonPath gql = GraphQL.query(key, "{ changes(first: 10) { items { kind cause flippedNodes } } }").statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("/and/1"), gql.getList("data.changes.items[0].flippedNodes"));
    }

    /** Webhook payloads carry the same field (added: older receivers ignore it). */
    @Test
    void webhookChangesNameTheNodes() throws Exception {
        String key = Api.newTenant();
        Api.customer(key, "anna", Map.of("region", "North"));
        segment(key, "north-spenders", Map.of("and", List.of(NORTH, SPENT_1000)));
        try (Receiver receiver = new Receiver()) {
            as(key).body(Map.of("url", receiver.url(), "segments", List.of("north-spenders"))).post("/webhooks")
                    .then().statusCode(201);
            purchase(key, "anna", "a1", NOW.minusDays(1), "1500");
            dispatcher.runOnce().await().atMost(Duration.ofSeconds(10));
            List<Receiver.Request> got = receiver.requests();
            assertEquals(1, got.size());
            JsonPath body = new JsonPath(got.get(0).body());
            assertEquals("data_write", body.getString("changes[0].cause"));
            assertEquals(List.of("/and/1"), body.getList("changes[0].flippedNodes"));
        }
    }

    @Test
    void aStaticEditNamesTheReference() {
        String key = Api.newTenant();
        Api.customer(key, "anna", Map.of("region", "North"));
        as(key).body(Map.of("key", "picked", "name", "picked", "kind", "static")).post("/segments").then().statusCode(201);
        segment(key, "picked-north", Map.of("and", List.of(NORTH, Map.of("segment", "picked"))));
        as(key).body(Map.of("externalIds", List.of("anna"))).post("/segments/picked/members").then().statusCode(200);
        assertEquals(List.of("entered:anna:static_edit:null"), feed(key, "picked"));
        assertEquals(List.of("entered:anna:static_edit:[/and/1]"), feed(key, "picked-north"));
    }
}
