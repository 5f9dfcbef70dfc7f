package dev.segments.segment;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static dev.segments.rule.RuleExamples.CANONICAL;
import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The segments API end to end, starting with the contract's canonical example. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class SegmentApiTest {

    /** kind and tier take only their listed values; kind never changes; both read back as sent. */
    @Test
    void kindAndTierAreCheckedAndKindIsImmutable() {
        String key = Api.newTenant();
        as(key).body("""
                {"key": "k1", "name": "K", "kind": "smart", "tier": "gold", "rule": {"field": "region", "op": "eq", "value": "X"}}""")
                .post("/segments").then().statusCode(422).contentType("application/problem+json")
                .body("errors.pointer", containsInAnyOrder("/kind", "/tier"));
        as(key).body("""
                {"key": "k2", "name": "K", "kind": "static", "tier": "secondary"}""")
                .post("/segments").then().statusCode(201)
                .body("kind", equalTo("static")).body("tier", equalTo("secondary"));
        as(key).body("""
                {"key": "k3", "name": "K", "rule": {"field": "region", "op": "eq", "value": "X"}}""")
                .post("/segments").then().statusCode(201)
                .body("kind", equalTo("dynamic")).body("tier", equalTo("primary"));
        as(key).body("""
                {"name": "K", "kind": "dynamic", "rule": {"field": "region", "op": "eq", "value": "X"}}""")
                .put("/segments/k2").then().statusCode(422).body("errors[0].pointer", equalTo("/kind"))
                .body("errors[0].code", equalTo("immutable"));
        as(key).body("""
                {"key": "k4", "name": "K", "kind": "static", "rule": {"field": "region", "op": "eq", "value": "X"}}""")
                .post("/segments").then().statusCode(422).body("errors[0].pointer", equalTo("/rule"));
    }

    @Test
    void rulesInReactQueryBuilderAndJsonLogicFormatsAreStoredNativelyAndExported() {
        String key = Api.newTenant();
        Api.customer(key, "m1", Map.of("region", "Moscow", "priceTier", "vip"));
        Api.customer(key, "m2", Map.of("region", "Moscow", "priceTier", "low"));
        // JsonLogic in, native stored
        as(key).body("""
                {"key": "vip-moscow", "name": "VIP Moscow", "ruleFormat": "jsonlogic",
                 "rule": {"and": [{"==": [{"var": "region"}, "Moscow"]}, {"in": [{"var": "priceTier"}, ["vip", "gold"]]}]}}""")
                .post("/segments").then().statusCode(201)
                .body("rule.and[0].field", equalTo("region"))
                .body("rule.and[1].op", equalTo("in"));
        as(key).get("/segments/vip-moscow/members").then().body("items.externalId", contains("m1"));
        // exported in each format
        as(key).get("/segments/vip-moscow/rule?format=querybuilder").then().statusCode(200)
                .body("combinator", equalTo("and")).body("rules[0].field", equalTo("region"));
        as(key).get("/segments/vip-moscow/rule?format=jsonlogic").then().statusCode(200)
                .body("and[0]['==']", hasItem("Moscow"));
        as(key).get("/segments/vip-moscow/rule").then().statusCode(200).body("and[0].op", equalTo("eq"));
        // react-querybuilder in preview and search
        String rqb = """
                {"combinator": "and", "not": true, "rules": [{"field": "priceTier", "operator": "=", "value": "vip"}]}""";
        as(key).body("{\"ruleFormat\": \"querybuilder\", \"rule\": " + rqb + "}").post("/segments/preview").then()
                .statusCode(200).body("count", equalTo(1)).body("sample.externalId", contains("m2"));
        as(key).body("{\"ruleFormat\": \"querybuilder\", \"rule\": " + rqb + "}").post("/customers/search").then()
                .statusCode(200).body("items.externalId", contains("m2"));
        // problems point into the document as sent
        as(key).body("""
                {"ruleFormat": "querybuilder", "rule": {"combinator": "and", "rules": [
                  {"field": "priceTier", "operator": "=", "value": "vip"}, {"field": "totalSpend", "operator": "beginsWith", "value": "1"}]}}""")
                .post("/segments/preview").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/rules/1/operator"));
        // a translation error hides no other error: every one listed, each with its pointer and code
        as(key).body("""
                {"ruleFormat": "querybuilder", "rule": {"combinator": "xor", "rules": [
                  {"field": "nope", "operator": "=", "value": 1}, {"field": "totalSpend", "operator": "like", "value": "1"}]}}""")
                .post("/segments/preview").then().statusCode(422)
                .body("type", equalTo("/problems/invalid-rule"))
                .body("errors.pointer", contains("/combinator", "/rules/0/field", "/rules/1/operator"))
                .body("errors.code", contains("unsupported_combinator", "unknown_field", "unsupported_operator"));
        as(key).body("""
                {"key": "broken", "name": "Broken", "ruleFormat": "jsonlogic",
                 "rule": {"and": [{"xor": [true]}, {"==": [{"var": "nope"}, 1]}]}}""")
                .post("/segments").then().statusCode(422)
                .body("errors.pointer", contains("/and/0/xor", "/and/1/==/0"))
                .body("errors.code", contains("unsupported_operator", "unknown_field"));
        as(key).body("{\"ruleFormat\": \"sql\", \"rule\": {}}").post("/segments/preview").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/ruleFormat"));
        as(key).get("/segments/vip-moscow/rule?format=yaml").then().statusCode(422);
        // the field catalog, natively and in react-querybuilder's shape
        as(key).get("/fields").then().statusCode(200)
                .body("customer.find { it.name == 'priceTier' }.operators", hasItem("in"))
                .body("streams.name", contains("purchases", "interactions", "events"));
        as(key).get("/fields/querybuilder").then().statusCode(200)
                .body("find { it.name == '$segment' }.values.name", hasItem("vip-moscow"))
                .body("find { it.name == 'region' }.operators.name", hasItem("contains"));
    }

    /** Seeds: "fit" matches the canonical rule; each other customer misses exactly one condition. */
    private static void seedCanonical(String key) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        for (String c : List.of("fit", "old-buyer", "small-spender", "one-consultation", "consulted-after")) {
            Api.customer(key, c, Map.of("region", "Moscow"));
        }
        purchase(key, "fit", now.minusDays(200), "700");
        purchase(key, "fit", now.minusDays(10), "400");
        interaction(key, "fit", now.minusDays(100), "consultation");
        interaction(key, "fit", now.minusDays(20), "consultation");
        interaction(key, "fit", now.minusDays(5), "consultation"); // after the last purchase: not counted

        purchase(key, "old-buyer", now.minusDays(120), "5000");
        interaction(key, "old-buyer", now.minusDays(200), "consultation");
        interaction(key, "old-buyer", now.minusDays(190), "consultation");

        purchase(key, "small-spender", now.minusDays(10), "999");
        interaction(key, "small-spender", now.minusDays(30), "consultation");
        interaction(key, "small-spender", now.minusDays(20), "consultation");

        purchase(key, "one-consultation", now.minusDays(10), "2000");
        interaction(key, "one-consultation", now.minusDays(30), "consultation");
        interaction(key, "one-consultation", now.minusDays(20), "call");

        purchase(key, "consulted-after", now.minusDays(30), "2000");
        interaction(key, "consulted-after", now.minusDays(20), "consultation");
        interaction(key, "consulted-after", now.minusDays(10), "consultation");
    }

    @Test
    void canonicalExampleFromPreviewToMembersToCsv() {
        String key = Api.newTenant();
        seedCanonical(key);

        as(key).queryParam("explain", true).body("{\"rule\": " + CANONICAL + "}").post("/segments/preview").then()
                .statusCode(200).body("count", equalTo(1)).body("sample.externalId", contains("fit"))
                .body("sql", startsWith("select count(*)")).body("plan", notNullValue())
                .body("tookMs", notNullValue());

        as(key).body("{\"key\": \"engaged-buyers\", \"name\": \"Engaged buyers\", \"rule\": " + CANONICAL + "}")
                .post("/segments").then().statusCode(201).body("kind", equalTo("dynamic")).body("version", equalTo(1))
                .body("rule.and.size()", equalTo(3));
        as(key).get("/segments/engaged-buyers/count").then().statusCode(200).body("count", equalTo(1));
        as(key).queryParam("fields", "externalId,rollups").get("/segments/engaged-buyers/members").then()
                .statusCode(200).body("items.externalId", contains("fit"))
                .body("items[0].name", nullValue()).body("items[0].rollups.purchaseCount", equalTo(2));
        String csv = RestAssured.given().auth().oauth2(key).get("/segments/engaged-buyers/members.csv").then()
                .statusCode(200).contentType(startsWith("text/csv")).extract().asString();
        String[] lines = csv.split("\n");
        assertEquals(2, lines.length, csv);
        assertEquals(true, lines[0].startsWith("id,externalId"));
        assertEquals(true, lines[1].contains(",fit,"));

        // a new purchase moves "small-spender" over 1000 in the last year
        purchase(key, "small-spender", OffsetDateTime.now(ZoneOffset.UTC).minusDays(1), "5");
        as(key).get("/segments/engaged-buyers/members").then()
                .body("items.externalId", containsInAnyOrder("fit", "small-spender"));
        // time: a year from now nobody bought within 90 days
        as(key).queryParam("asOf", OffsetDateTime.now(ZoneOffset.UTC).plusYears(1).toString())
                .get("/segments/engaged-buyers/count").then().body("count", equalTo(0));
    }

    @Test
    void invalidRulesListEveryProblemWithPointerAndCode() {
        String key = Api.newTenant();
        as(key).body("""
                {"rule": {"and": [
                  {"field": "totalSpend", "op": "contains", "value": "1"},
                  {"field": "shoeSize", "op": "eq", "value": 42},
                  {"aggregate": "sum", "of": "purchases", "op": "gte", "value": 1}]}}""")
                .post("/segments/preview").then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/invalid-rule"))
                .body("errors.find { it.pointer == '/and/0/op' }.code", equalTo("operator_not_allowed"))
                .body("errors.find { it.pointer == '/and/1/field' }.code", equalTo("unknown_field"))
                .body("errors.code", hasItem("aggregate_field_required"));
        as(key).body("""
                {"rule": {"or": [{"field": "region", "op": "isSet", "colour": "red"}, {"nor": []}]}}""")
                .post("/segments/preview").then().statusCode(422)
                .body("errors.find { it.pointer == '/or/0/colour' }.code", equalTo("unknown_key"))
                .body("errors.size()", equalTo(2));
        // structural and validation problems in one response: the well-formed rest of the tree is validated too
        as(key).body("""
                {"rule": {"and": [
                  {"field": "region", "op": "isSet", "colour": "red"},
                  {"field": "totalSpend", "op": "startsWith", "value": "1"},
                  {"aggregate": "count", "of": "purchases", "where": {"field": "amount", "op": "nope", "value": 1},
                   "op": "gte", "value": "two"},
                  {"not": {"field": "shoeSize", "op": "eq", "value": 42}}]}}""")
                .post("/segments/preview").then().statusCode(422)
                .body("errors.find { it.pointer == '/and/0/colour' }.code", equalTo("unknown_key"))
                .body("errors.find { it.pointer == '/and/1/op' }.code", equalTo("operator_not_allowed"))
                .body("errors.find { it.pointer == '/and/2/where/op' }.code", equalTo("unknown_operator"))
                .body("errors.find { it.pointer == '/and/2/value' }.code", notNullValue())
                .body("errors.find { it.pointer == '/and/3/not/field' }.code", equalTo("unknown_field"))
                .body("errors.size()", equalTo(5));
        as(key).body("{\"key\": \"bad\", \"name\": \"Bad\", \"rule\": {\"field\": \"region\", \"op\": \"gt\", \"value\": 1}}")
                .post("/segments").then().statusCode(422).body("type", equalTo("/problems/invalid-rule"));
        as(key).get("/segments/bad").then().statusCode(404);
        as(key).body("{\"key\": \"Not Url Safe\", \"name\": \"x\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}")
                .post("/segments").then().statusCode(422).body("errors[0].pointer", equalTo("/key"));
    }

    @Test
    void crudWithEtagsReferencesAndCycles() {
        String key = Api.newTenant();
        Api.customer(key, "m", Map.of("region", "Moscow", "priceTier", "vip"));
        Api.customer(key, "k", Map.of("region", "Kazan", "priceTier", "vip"));
        as(key).body("""
                {"key": "moscow", "name": "Moscow", "tags": ["geo"], "rule": {"field": "region", "op": "eq", "value": "Moscow"}}""")
                .post("/segments").then().statusCode(201).header("ETag", "\"1\"");
        as(key).body("""
                {"key": "vip-moscow", "name": "VIP in Moscow", "tier": "secondary",
                 "rule": {"and": [{"segment": "moscow"}, {"field": "priceTier", "op": "eq", "value": "vip"}]}}""")
                .post("/segments").then().statusCode(201);
        as(key).body("{\"key\": \"moscow\", \"name\": \"again\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}")
                .post("/segments").then().statusCode(409);
        as(key).get("/segments/vip-moscow/members").then().body("items.externalId", contains("m"));
        as(key).queryParam("tag", "geo").get("/segments").then().body("key", contains("moscow"));

        // a reference cycle is refused when saved
        as(key).header("If-Match", "\"1\"").body("""
                {"name": "Moscow", "rule": {"and": [{"segment": "vip-moscow"}]}}""")
                .put("/segments/moscow").then().statusCode(422)
                .body("errors[0].code", equalTo("segment_cycle"));
        // replace with the current version works, a stale one is 412
        as(key).header("If-Match", "\"1\"").body("""
                {"name": "Moscow or Kazan", "rule": {"field": "region", "op": "in", "value": ["Moscow", "Kazan"]}}""")
                .put("/segments/moscow").then().statusCode(200).body("version", equalTo(2)).header("ETag", "\"2\"");
        as(key).header("If-Match", "\"1\"").body("{\"name\": \"x\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}")
                .put("/segments/moscow").then().statusCode(412);
        as(key).get("/segments/vip-moscow/members").then().body("items.externalId", contains("m", "k"));
        // a referenced segment cannot be deleted
        as(key).delete("/segments/moscow").then().statusCode(409);
        as(key).delete("/segments/vip-moscow").then().statusCode(204);
        as(key).delete("/segments/moscow").then().statusCode(204);
        as(key).get("/segments").then().body("", empty());
    }

    @Test
    void staticSegmentsAndACustomersSegments() {
        String key = Api.newTenant();
        long a = Api.customer(key, "a", Map.of("region", "Moscow"));
        Api.customer(key, "b", Map.of("region", "Kazan"));
        as(key).body("{\"key\": \"hand-picked\", \"name\": \"Hand picked\", \"kind\": \"static\"}")
                .post("/segments").then().statusCode(201).body("rule", nullValue());
        as(key).body("{\"customerIds\": [" + a + "], \"externalIds\": [\"b\", \"ghost\"]}")
                .post("/segments/hand-picked/members").then().statusCode(200)
                .body("changed", equalTo(2)).body("unknown", contains("ghost"));
        as(key).body("{\"externalIds\": [\"b\"]}").post("/segments/hand-picked/members/remove").then()
                .statusCode(200).body("changed", equalTo(1));
        as(key).get("/segments/hand-picked/members").then().body("items.externalId", contains("a"));
        as(key).body("{\"key\": \"moscow\", \"name\": \"Moscow\", \"rule\": {\"field\": \"region\", \"op\": \"eq\", \"value\": \"Moscow\"}}")
                .post("/segments").then().statusCode(201);
        as(key).body("{\"externalIds\": [\"b\"]}").post("/segments/moscow/members").then().statusCode(409);
        as(key).body("{\"key\": \"picked-moscow\", \"name\": \"x\", \"rule\": {\"and\": [{\"segment\": \"hand-picked\"}, {\"segment\": \"moscow\"}]}}")
                .post("/segments").then().statusCode(201);

        as(key).get("/customers/" + a + "/segments").then().statusCode(200)
                .body("key", containsInAnyOrder("hand-picked", "moscow", "picked-moscow"));
        as(key).get("/customers/by-external-id/b").then().statusCode(200);
        long b = as(key).get("/customers/by-external-id/b").then().extract().jsonPath().getLong("id");
        as(key).get("/customers/" + b + "/segments").then().statusCode(200).body("", empty());
        as(key).get("/customers/999999999/segments").then().statusCode(404);
    }

    @Test
    void adHocSearchPagesThroughMatches() {
        String key = Api.newTenant();
        for (int i = 0; i < 5; i++) {
            Api.customer(key, "s" + i, Map.of("tags", List.of(i % 2 == 0 ? "even" : "odd")));
        }
        var first = as(key).queryParam("limit", 2)
                .body("{\"rule\": {\"field\": \"tags\", \"op\": \"hasAny\", \"value\": [\"even\"]}}")
                .post("/customers/search").then().statusCode(200).body("items.externalId", contains("s0", "s2"))
                .extract().jsonPath();
        as(key).queryParam("limit", 2).queryParam("after", first.getString("nextCursor"))
                .body("{\"rule\": {\"field\": \"tags\", \"op\": \"hasAny\", \"value\": [\"even\"]}}")
                .post("/customers/search").then().body("items.externalId", contains("s4")).body("nextCursor", nullValue());
        as(key).body("{\"rule\": {\"field\": \"name\", \"op\": \"contains\", \"value\": \"'; drop table customer;--\"}}")
                .post("/customers/search").then().statusCode(200).body("items", empty());
        as(key).queryParam("fields", "shoeSize").body("{\"rule\": {\"field\": \"name\", \"op\": \"isSet\"}}")
                .post("/customers/search").then().statusCode(422).body("detail", containsString("shoeSize"));
    }

    @Test
    void segmentsAreTenantScoped() {
        String a = Api.newTenant();
        String b = Api.newTenant();
        Api.customer(b, "b-only", Map.of("region", "Moscow"));
        as(b).body("{\"key\": \"secret\", \"name\": \"B's\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}")
                .post("/segments").then().statusCode(201);
        as(a).get("/segments/secret").then().statusCode(404);
        as(a).get("/segments/secret/members").then().statusCode(404);
        as(a).get("/segments/secret/count").then().statusCode(404);
        RestAssured.given().auth().oauth2(a).get("/segments/secret/members.csv").then().statusCode(404);
        as(a).body("{\"name\": \"mine\", \"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}").put("/segments/secret")
                .then().statusCode(404);
        as(a).delete("/segments/secret").then().statusCode(404);
        as(a).body("{\"rule\": {\"segment\": \"secret\"}}").post("/segments/preview").then().statusCode(422)
                .body("errors[0].code", equalTo("unknown_segment"));
        as(a).body("{\"rule\": {\"field\": \"region\", \"op\": \"isSet\"}}").post("/segments/preview").then()
                .statusCode(200).body("count", equalTo(0));
        as(b).get("/segments/secret/count").then().body("count", equalTo(1));
    }

    private static void purchase(String key, String customer, OffsetDateTime at, String amount) {
        as(key).body("""
                {"customerExternalId": "%s", "occurredAt": "%s", "amount": %s}""".formatted(customer, at, amount))
                .post("/purchases").then().statusCode(201);
    }

    private static void interaction(String key, String customer, OffsetDateTime at, String type) {
        as(key).body("""
                {"customerExternalId": "%s", "occurredAt": "%s", "type": "%s"}""".formatted(customer, at, type))
                .post("/interactions").then().statusCode(201);
    }
}
