package dev.segments.tenant;

import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.tenant.service.DemoBootstrap;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.segments.support.Api.ADMIN_KEY;
import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;

/**
 * The demo dataset (DEMO_DATA=true) makes the README's examples worth running: the canonical rule, the search and
 * the query-builder preview each find some customers, not none and not all. The rules are read from README.md, so
 * an edited example is checked as written.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class DemoDataTest {

    @Inject
    DemoBootstrap demo;

    /** One demo tenant for the class (loading takes a few seconds). */
    static String key;

    @BeforeEach
    void loadDemoTenant() {
        if (key != null) {
            return;
        }
        var created = RestAssured.given().auth().oauth2(ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "demo-copy-" + System.nanoTime())).post("/admin/tenants")
                .then().statusCode(201).extract().jsonPath();
        demo.loadDemoData(created.getLong("tenant.id"));
        key = created.getString("apiKey.key");
    }

    @Test
    void theCanonicalRuleOfTheReadmeHasMembers() throws IOException {
        String rule = between(readme(), "cat > rule.json <<'EOF'\n", "\nEOF");
        int count = as(key).body("{\"rule\": " + rule + ", \"sampleSize\": 5}").post("/segments/preview")
                .then().statusCode(200).extract().path("count");
        assertThat("members of the canonical rule among the 200 demo customers", count,
                allOf(greaterThanOrEqualTo(5), lessThan(100)));
    }

    @Test
    void theReadmeSearchFindsCustomers() throws IOException {
        Matcher search = Pattern.compile("customers/search\\?limit=20\"[^\\n]*\\n\\s*-d '([^']*)'").matcher(readme());
        assertThat("the README has its search example", search.find());
        int found = as(key).body(search.group(1)).post("/customers/search?limit=200")
                .then().statusCode(200).extract().path("items.size()");
        assertThat(found, allOf(greaterThanOrEqualTo(3), lessThan(200)));
    }

    @Test
    void theReadmeQueryBuilderPreviewFindsCustomers() {
        int count = GraphQL.query(key, "query($q: JSON!) { previewSegment(rule: $q, format: QUERY_BUILDER, sampleSize: 3) { count } }",
                        Map.of("q", Map.of("combinator", "and", "rules", java.util.List.of(
                                Map.of("field", "priceTier", "operator", "=", "value", "vip"),
                                Map.of("field", "region", "operator", "in", "value", "Moscow,Saint Petersburg")))))
                .statusCode(200).extract().path("data.previewSegment.count");
        assertThat(count, allOf(greaterThanOrEqualTo(3), lessThan(200)));
    }

    /** The README's analytics example: a recompute of the demo data, then its preview over rfm.segment. */
    @Test
    void theReadmeAnalyticsExampleRuns() throws IOException {
        as(key).post("/analytics/rfm/recompute").then().statusCode(200);
        Matcher preview = Pattern.compile("rfm/recompute[\\s\\S]*?segments/preview[^\\n]*\\n\\s*-d '([^']*)'")
                .matcher(readme());
        assertThat("the README has its analytics example", preview.find());
        int count = as(key).body(preview.group(1)).post("/segments/preview")
                .then().statusCode(200).extract().path("count");
        assertThat("demo customers at risk and not dormant", count, allOf(greaterThanOrEqualTo(1), lessThan(200)));
    }

    private static String readme() throws IOException {
        return Files.readString(Path.of("README.md"));
    }

    private static String between(String text, String start, String end) {
        int from = text.indexOf(start);
        assertThat("README has " + start.trim(), from >= 0);
        from += start.length();
        return text.substring(from, text.indexOf(end, from));
    }
}
