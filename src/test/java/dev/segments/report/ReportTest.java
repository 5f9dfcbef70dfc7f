package dev.segments.report;

import dev.segments.report.service.ReportJobs;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.apache.pdfbox.Loader;
import org.apache.pdfbox.cos.COSName;
import org.apache.pdfbox.pdmodel.PDDocument;
import org.apache.pdfbox.pdmodel.PDPage;
import org.apache.pdfbox.pdmodel.graphics.image.PDImageXObject;
import org.apache.pdfbox.text.PDFTextStripper;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reports on seeded data (docs/insight.md, "Reports"): the segment report and the tenant overview as JSON, CSV and
 * PDF with the same figures (worked out by hand below), the PDF's text and charts (PDFBox) and its rendering
 * (pdftoppm), report jobs from creation to file, expiry and stale jobs, problem+json, and tenant isolation.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ReportTest {

    static final io.restassured.path.json.config.JsonPathConfig DECIMALS = new io.restassured.path.json.config.JsonPathConfig(
            io.restassured.path.json.config.JsonPathConfig.NumberReturnType.BIG_DECIMAL);

    @Inject
    Pool pool;

    @Inject
    ReportJobs jobs;

    /**
     * Customers (priceTier; purchases -> totalSpend; RFM set directly: recency, frequency, counted revenue):
     * <pre>
     * c1 vip  100 + 300 = 400   R5 F4 400
     * c2 mid  50                R3 F2 50
     * c3 vip  -                 R5 F4 10
     * c4 low  1000              R1 F1 1000
     * c5 vip  60                -
     * </pre>
     * Segments: vip (priceTier vip: c1, c3, c5; one of its entries dated 35 days back, so 30 days ago it had 1
     * member), buyers (purchaseCount >= 1: c1, c2, c4, c5), list (static: c2, c4). Base revenue 1510.
     */
    static String key;
    static final Map<String, Long> IDS = new HashMap<>();

    synchronized String seeded() {
        if (key != null) return key;
        String k = Api.newTenant();
        IDS.put("c1", Api.customer(k, "c1", Map.of("priceTier", "vip", "region", "North")));
        IDS.put("c2", Api.customer(k, "c2", Map.of("priceTier", "mid", "region", "North")));
        IDS.put("c3", Api.customer(k, "c3", Map.of("priceTier", "vip", "region", "South")));
        IDS.put("c4", Api.customer(k, "c4", Map.of("priceTier", "low")));
        IDS.put("c5", Api.customer(k, "c5", Map.of("priceTier", "vip")));
        purchase(k, "c1", "p1", "2025-01-01T10:00:00Z", "100");
        purchase(k, "c1", "p2", "2025-01-02T10:00:00Z", "300");
        purchase(k, "c2", "p3", "2025-01-03T10:00:00Z", "50");
        purchase(k, "c4", "p4", "2025-01-04T10:00:00Z", "1000");
        purchase(k, "c5", "p5", "2025-01-05T10:00:00Z", "60");
        as(k).body(Map.of("key", "vip", "name", "VIP customers", "description", "Our best price tier", "tier", "primary",
                "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip"))).post("/segments").then().statusCode(201);
        as(k).body(Map.of("key", "buyers", "name", "Buyers",
                "rule", Map.of("field", "purchaseCount", "op", "gte", "value", 1))).post("/segments").then().statusCode(201);
        as(k).body(Map.of("key", "list", "name", "A list", "kind", "static")).post("/segments").then().statusCode(201);
        as(k).body(Map.of("externalIds", List.of("c2", "c4"))).post("/segments/list/members").then().statusCode(200);
        rfm("c1", 5, 4, "400");
        rfm("c2", 3, 2, "50");
        rfm("c3", 5, 4, "10");
        rfm("c4", 1, 1, "1000");
        // vip existed 40 days ago and c1 entered it 35 days ago (the others at creation)
        sql("update segment set created_at = now() - interval '40 days' where key = 'vip' and tenant_id ="
                + " (select tenant_id from customer where id = $1)", IDS.get("c1"));
        sql("update membership_change set at = now() - interval '35 days' where segment_key = 'vip' and customer_id = $1"
                + " and kind = 'entered'", IDS.get("c1"));
        key = k;
        return k;
    }

    void rfm(String customer, int r, int f, String monetary) {
        sql("insert into customer_score as cs (customer_id, rfm_recency, rfm_frequency, rfm_monetary, rfm_score,"
                + " rfm_monetary_value, rfm_computed_at) values ($1, $2, $3, 3, $2::text || $3::text || '3', $4::numeric, now())"
                + " on conflict (customer_id) do update set rfm_recency = excluded.rfm_recency,"
                + " rfm_frequency = excluded.rfm_frequency, rfm_monetary = excluded.rfm_monetary, rfm_score = excluded.rfm_score,"
                + " rfm_monetary_value = excluded.rfm_monetary_value, rfm_computed_at = excluded.rfm_computed_at",
                IDS.get(customer), r, f, monetary);
    }

    void sql(String sql, Object... params) {
        pool.preparedQuery(sql).execute(Tuple.from(params)).await().atMost(Duration.ofSeconds(10));
    }

    static void purchase(String key, String customer, String id, String at, String amount) {
        as(key).body(Map.of("customerExternalId", customer, "externalId", id, "occurredAt", at, "amount", amount))
                .post("/purchases").then().statusCode(201);
    }

    static String text(String k, String segment) {
        return as(k).accept("text/plain").get("/segments/" + segment + "/rule?format=text").then().statusCode(200)
                .extract().asString();
    }

    // ------------------------------------------------------------------ the segment report

    @Test
    void segmentReportJsonHoldsTheFigures() {
        String k = seeded();
        JsonPath r = as(k).get("/segments/vip/report.json").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals("vip", r.getString("key"));
        assertEquals("VIP customers", r.getString("name"));
        assertEquals("primary", r.getString("tier"));
        assertEquals("dynamic", r.getString("kind"));
        assertEquals("Our best price tier", r.getString("description"));
        assertEquals(text(k, "vip"), r.getString("rule"));
        assertEquals(3, r.getInt("size"));
        assertEquals(5, r.getInt("baseSize"));
        assertEquals("0.6", r.getString("share"));
        // 90 days of history, today 3 members, 31 days ago only c1
        List<Map<String, Object>> history = r.getList("history");
        assertEquals(90, history.size());
        assertEquals(3, ((Number) history.get(89).get("size")).intValue());
        assertEquals(1, ((Number) history.get(89 - 31).get("size")).intValue());
        assertEquals(0, ((Number) history.get(89 - 36).get("size")).intValue());
        // the profile as GET /profile gives it
        JsonPath profile = as(k).get("/segments/vip/profile").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals(profile.getString("rollups.revenue.segment"), r.getString("profile.rollups.revenue.segment"));
        assertEquals("460", r.getString("profile.rollups.revenue.segment"));
        assertEquals(profile.getList("fields.field"), r.getList("profile.fields.field"));
        // RFM: c1 and c3 in R5F4 (c5 not scored); the base has 4 scored customers, 2 of them in R5F4
        assertEquals(true, r.getBoolean("rfm.computed"));
        assertEquals(2, r.getInt("rfm.scored"));
        assertEquals(1, r.getInt("rfm.notScored"));
        assertEquals(25, r.getList("rfm.cells").size());
        Map<String, Object> r5f4 = cell(r, 5, 4);
        assertEquals(2, ((Number) r5f4.get("members")).intValue());
        assertEquals(2, ((Number) r5f4.get("base")).intValue());
        assertEquals("1", r5f4.get("share").toString());
        assertEquals("0.5", r5f4.get("baseShare").toString());
        assertEquals("2", r5f4.get("index").toString());
        assertEquals("410", r5f4.get("monetary").toString());
        Map<String, Object> r3f2 = cell(r, 3, 2);
        assertEquals(0, ((Number) r3f2.get("members")).intValue());
        assertEquals(1, ((Number) r3f2.get("base")).intValue());
        // effectiveness as GET /effectiveness gives it: c3 and c5 entered in the last 30 days (c1 before)
        JsonPath eff = as(k).get("/segments/vip/effectiveness").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals(2, r.getInt("effectiveness.entered"));
        assertEquals(eff.getInt("entered"), r.getInt("effectiveness.entered"));
        assertEquals(eff.getInt("baseline.customers"), r.getInt("effectiveness.baseline.customers"));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> cell(JsonPath r, int recency, int frequency) {
        return ((List<Map<String, Object>>) (List<?>) r.getList("rfm.cells")).stream()
                .filter(c -> ((Number) c.get("recency")).intValue() == recency && ((Number) c.get("frequency")).intValue() == frequency)
                .findFirst().orElseThrow();
    }

    @Test
    void segmentReportCsvHasEveryFigureOfTheJson() {
        String k = seeded();
        Response res = as(k).accept("text/csv").get("/segments/vip/report.csv");
        res.then().statusCode(200).contentType(startsWith("text/csv"))
                .header("Content-Disposition", equalTo("attachment; filename=\"segment-vip.csv\""));
        List<List<String>> rows = csv(res.asString());
        assertEquals(List.of("section", "metric", "item", "value"), rows.get(0));
        assertEquals("vip", value(rows, "segment", "key", ""));
        assertEquals(text(k, "vip"), value(rows, "segment", "rule", ""));
        assertEquals("3", value(rows, "size", "members", ""));
        assertEquals("5", value(rows, "size", "base", ""));
        assertEquals("0.6", value(rows, "size", "share", ""));
        assertEquals("460", value(rows, "rollups", "revenue.segment", ""));
        assertEquals("1510", value(rows, "rollups", "revenue.base", ""));
        assertEquals("2", value(rows, "rfm", "members", "R5F4"));
        assertEquals("410", value(rows, "rfm", "monetary", "R5F4"));
        assertEquals("2", value(rows, "rfm", "index", "R5F4"));
        assertEquals("0", value(rows, "rfm", "members", "R1F1"));
        assertEquals("2", value(rows, "effectiveness", "entered", ""));
        assertEquals(90, rows.stream().filter(r -> r.get(0).equals("history")).count());
        // the profile of priceTier: all 3 members hold vip, as do 3 of 5 customers
        assertEquals("3", value(rows, "profile:priceTier", "count", "vip"));
        assertEquals("1", value(rows, "profile:priceTier", "share", "vip"));
        assertEquals("0.6", value(rows, "profile:priceTier", "baseShare", "vip"));
    }

    @Test
    void segmentReportPdfHoldsTheFiguresAndCharts() throws IOException {
        String k = seeded();
        Response res = as(k).accept("application/pdf").get("/segments/vip/report.pdf");
        res.then().statusCode(200).contentType("application/pdf")
                .header("Content-Disposition", equalTo("attachment; filename=\"segment-vip.pdf\""));
        byte[] bytes = res.asByteArray();
        try (PDDocument doc = Loader.loadPDF(bytes)) {
            String text = words(new PDFTextStripper().getText(doc));
            assertTrue(text.contains("Segment report: VIP customers"), text);
            assertTrue(text.contains("key vip"), text);
            assertTrue(text.contains("Members now 3"), text);
            assertTrue(text.contains("Share of the base 60.0 %"), text);
            assertTrue(text.contains("Revenue (all time) 460 of 1,510"), text);
            assertTrue(text.contains(words(text(k, "vip"))), text);
            assertTrue(text.contains("Entered 2"), text);
            assertTrue(text.contains("2 members scored, 1 not scored"), text);
            // charts: the size history, the profile fields, the RFM grid
            int images = images(doc);
            assertTrue(images >= 4, "images: " + images);
        }
        Path png = render(bytes, "segment-report");
        if (png != null) {
            BufferedImage image = ImageIO.read(png.toFile());
            assertTrue(image.getWidth() > 500 && image.getHeight() > 700, image.getWidth() + "x" + image.getHeight());
            assertTrue(coloured(image) > 2000, "the rendered page shows the chart's colours");
        }
    }

    @Test
    void staticSegmentAndNoRfm() throws IOException {
        String k = Api.newTenant();
        Api.customer(k, "x1", Map.of("priceTier", "vip"));
        as(k).body(Map.of("key", "hand", "name", "Hand picked", "kind", "static")).post("/segments").then().statusCode(201);
        as(k).body(Map.of("externalIds", List.of("x1"))).post("/segments/hand/members").then().statusCode(200);
        JsonPath r = as(k).get("/segments/hand/report.json").then().statusCode(200).extract().jsonPath();
        assertNull(r.get("rule"));
        assertEquals(1, r.getInt("size"));
        assertEquals(false, r.getBoolean("rfm.computed"));
        assertEquals(List.of(), r.getList("rfm.cells"));
        byte[] pdf = as(k).accept("application/pdf").get("/segments/hand/report.pdf").then().statusCode(200)
                .extract().asByteArray();
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            String text = words(new PDFTextStripper().getText(doc));
            assertTrue(text.contains("RFM not computed"), text);
            assertTrue(text.contains("Static segment"), text);
        }
        List<List<String>> rows = csv(as(k).accept("text/csv").get("/segments/hand/report.csv").then().statusCode(200)
                .extract().asString());
        assertEquals("false", value(rows, "rfm", "computed", ""));
    }

    // ------------------------------------------------------------------ the overview

    @Test
    void overviewAsJsonCsvAndPdf() throws IOException {
        String k = seeded();
        JsonPath o = as(k).get("/reports/segments.json").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals(5, o.getInt("baseSize"));
        assertEquals("1510", o.getString("baseRevenue"));
        assertEquals(List.of("buyers", "list", "vip"), o.getList("segments.key"));
        // vip: 3 now, 1 thirty days ago (c1 entered 35 days ago), revenue 460 / 1510
        assertEquals(3, o.getInt("segments[2].size"));
        assertEquals(1, o.getInt("segments[2].sizeThen"));
        assertEquals(2, o.getInt("segments[2].change"));
        assertEquals("460", o.getString("segments[2].revenue"));
        assertEquals("0.3046", o.getString("segments[2].revenueShare"));
        assertEquals(text(k, "vip"), o.getString("segments[2].rule"));
        assertEquals("primary", o.getString("segments[2].tier"));
        // buyers: created now, nothing to compare with; 4 members, 1510 of 1510
        assertEquals(4, o.getInt("segments[0].size"));
        assertNull(o.get("segments[0].sizeThen"));
        assertNull(o.get("segments[0].change"));
        assertEquals("1", o.getString("segments[0].revenueShare"));
        // list: static, c2 + c4 = 1050
        assertNull(o.get("segments[1].rule"));
        assertEquals(2, o.getInt("segments[1].size"));
        assertEquals("0.6954", o.getString("segments[1].revenueShare"));

        List<List<String>> rows = csv(as(k).accept("text/csv").get("/reports/segments.csv").then().statusCode(200)
                .header("Content-Disposition", equalTo("attachment; filename=\"segments.csv\"")).extract().asString());
        assertEquals(List.of("key", "name", "kind", "tier", "description", "rule", "size", "size_30_days_ago",
                "change_30_days", "revenue", "revenue_share", "current", "created_within_30_days"), rows.get(0));
        assertEquals(List.of("vip", "VIP customers", "dynamic", "primary", "Our best price tier", text(k, "vip"), "3", "1", "2",
                "460", "0.3046", "true", "false"), rows.get(3));
        // buyers was created today: no empty cell, 0 members 30 days ago, the change is its size, flagged as new
        assertEquals(List.of("buyers", "4", "0", "4", "true"), List.of(rows.get(1).get(0), rows.get(1).get(6),
                rows.get(1).get(7), rows.get(1).get(8), rows.get(1).get(12)));
        for (List<String> row : rows) {
            assertEquals(rows.get(0).size(), row.size(), "every row has every column: " + row);
            for (int i = 6; i <= 9; i++) assertTrue(!row.get(i).isEmpty(), "figure " + rows.get(0).get(i) + " empty in " + row);
        }

        byte[] pdf = as(k).accept("application/pdf").get("/reports/segments.pdf").then().statusCode(200)
                .contentType("application/pdf").extract().asByteArray();
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            String text = words(new PDFTextStripper().getText(doc));
            assertTrue(text.contains("3 segments"), text);
            assertTrue(text.contains("VIP customers"), text);
            assertTrue(text.contains("30.5 %"), text);   // vip's revenue share
            assertTrue(text.contains("+2"), text);       // vip's change over 30 days
            assertTrue(images(doc) >= 1);
        }
        render(pdf, "overview");
    }

    // ------------------------------------------------------------------ jobs

    @Test
    void aJobRunsToItsFile() throws IOException {
        String k = seeded();
        Response created = as(k).body(Map.of("report", "segment", "segment", "vip", "format", "pdf")).post("/reports");
        created.then().statusCode(202).body("state", equalTo("queued")).body("report", equalTo("segment"))
                .body("segment", equalTo("vip")).body("format", equalTo("pdf")).body("progress.total", equalTo(6));
        String id = created.jsonPath().getString("id");
        assertTrue(created.header("Location").endsWith("/reports/" + id), created.header("Location"));
        JsonPath job = await(k, id);
        assertEquals("succeeded", job.getString("state"));
        assertEquals(6, job.getInt("progress.done"));
        assertEquals(100, job.getInt("progress.percent"));
        assertEquals("render", job.getString("progress.step"));
        assertEquals("application/pdf", job.getString("mediaType"));
        assertEquals("/reports/" + id + "/file", job.getString("file"));
        byte[] pdf = as(k).accept("application/pdf").get("/reports/" + id + "/file").then().statusCode(200)
                .contentType("application/pdf").extract().asByteArray();
        assertEquals(job.getLong("size"), (long) pdf.length);
        try (PDDocument doc = Loader.loadPDF(pdf)) {
            assertTrue(words(new PDFTextStripper().getText(doc)).contains("Members now 3"));
        }

        // the overview as CSV, the same bytes as the direct download
        String csvId = as(k).body(Map.of("report", "segments", "format", "csv")).post("/reports").then().statusCode(202)
                .extract().path("id");
        assertEquals("succeeded", await(k, csvId).getString("state"));
        String csv = as(k).accept("text/csv").get("/reports/" + csvId + "/file").then().statusCode(200)
                .contentType(startsWith("text/csv")).extract().asString();
        assertEquals(as(k).accept("text/csv").get("/reports/segments.csv").then().extract().asString(), csv);
        assertEquals(2, await(k, csvId).getInt("progress.total"));
    }

    @Test
    void jobsThroughGraphQL() {
        String k = seeded();
        String id = dev.segments.support.GraphQL.query(k, "mutation { createReportJob(report: \"segment\", segment: \"vip\","
                        + " format: \"json\") { id state format progress { total } } }")
                .statusCode(200).body("errors", org.hamcrest.Matchers.nullValue())
                .body("data.createReportJob.format", equalTo("json"))
                .body("data.createReportJob.progress.total", equalTo(6))
                .extract().path("data.createReportJob.id");
        await(k, id);
        dev.segments.support.GraphQL.query(k, "query($id: String!) { reportJob(id: $id) { state progress { percent } file } }",
                        Map.of("id", id))
                .statusCode(200).body("data.reportJob.state", equalTo("succeeded"))
                .body("data.reportJob.progress.percent", equalTo(100))
                .body("data.reportJob.file", equalTo("/reports/" + id + "/file"));
        String json = as(k).get("/reports/" + id + "/file").then().statusCode(200).contentType(startsWith("application/json"))
                .extract().asString();
        assertTrue(json.contains("\"key\":\"vip\""), json);
        // another tenant: null; a bad request: the problem in the error's extensions
        dev.segments.support.GraphQL.query(Api.newTenant(), "query($id: String!) { reportJob(id: $id) { state } }", Map.of("id", id))
                .statusCode(200).body("data.reportJob", org.hamcrest.Matchers.nullValue());
        dev.segments.support.GraphQL.query(k, "mutation { createReportJob(report: \"segments\", format: \"docx\") { id } }")
                .statusCode(200).body("errors[0].extensions.pointer", equalTo("/format"));
    }

    @Test
    void unfinishedExpiredAndStaleJobs() {
        String k = seeded();
        String id = as(k).body(Map.of("report", "segments", "format", "json")).post("/reports").then().statusCode(202)
                .extract().path("id");
        await(k, id);
        // not finished: 409; stale (its instance stopped): run again by the cleanup round, up to max-attempts runs
        String queued = java.util.UUID.randomUUID().toString();
        String exhausted = java.util.UUID.randomUUID().toString();
        sql("insert into report_job (id, tenant_id, report, format, steps_total, expires_at, updated_at)"
                + " select $1::uuid, tenant_id, 'segments', 'pdf', 2, now() + interval '1 day', now() - interval '1 hour'"
                + " from report_job where id = $2::uuid", queued, id);
        sql("insert into report_job (id, tenant_id, report, format, state, step, steps_done, steps_total, expires_at,"
                + " updated_at, attempts) select $1::uuid, tenant_id, 'segments', 'csv', 'running', 'segments', 1, 2,"
                + " now() + interval '1 day', now() - interval '1 hour', 3 from report_job where id = $2::uuid", exhausted, id);
        as(k).accept("application/pdf").get("/reports/" + queued + "/file").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("/problems/conflict"));
        as(k).get("/reports/" + queued).then().statusCode(200).body("state", equalTo("queued")).body("progress.percent", equalTo(0));
        // expired: deleted
        sql("update report_job set expires_at = now() - interval '1 second' where id = $1::uuid", id);
        as(k).get("/reports/" + id).then().statusCode(404).contentType("application/problem+json");
        assertEquals(2, jobs.cleanUp().await().atMost(Duration.ofSeconds(10)), "one deleted, one taken over");
        assertEquals(0L, pool.preparedQuery("select count(*) from report_job where id = $1::uuid").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0));
        await(k, queued);
        as(k).get("/reports/" + queued).then().statusCode(200).body("state", equalTo("succeeded"));
        assertEquals(2, pool.preparedQuery("select attempts from report_job where id = $1::uuid").execute(Tuple.of(
                java.util.UUID.fromString(queued))).await().atMost(Duration.ofSeconds(10)).iterator().next().getInteger(0));
        as(k).accept("application/pdf").get("/reports/" + queued + "/file").then().statusCode(200).contentType("application/pdf");
        as(k).get("/reports/" + exhausted).then().statusCode(200).body("state", equalTo("failed"))
                .body("error", startsWith("interrupted"));
        // nothing stale is left
        assertEquals(0, jobs.cleanUp().await().atMost(Duration.ofSeconds(10)));
        as(k).get("/reports/not-a-uuid").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void problemsForBadRequests() {
        String k = seeded();
        problem(as(k).body(Map.of("report", "segment", "segment", "vip", "format", "docx")).post("/reports"), 422, "/format");
        problem(as(k).body(Map.of("report", "everything")).post("/reports"), 422, "/report");
        problem(as(k).body(Map.of("format", "pdf")).post("/reports"), 422, "/report");
        problem(as(k).body(Map.of("report", "segment")).post("/reports"), 422, "/segment");
        problem(as(k).body(Map.of("report", "segment", "segment", "nope")).post("/reports"), 422, "/segment");
        problem(as(k).body(Map.of("report", "segments", "segment", "vip")).post("/reports"), 422, "/segment");
        for (String format : List.of("pdf", "csv", "json")) {
            as(k).accept("application/pdf, text/csv, application/json, application/problem+json")
                    .get("/segments/nope/report." + format).then().statusCode(404)
                    .contentType("application/problem+json").body("type", equalTo("/problems/not-found"));
        }
    }

    static void problem(Response r, int status, String pointer) {
        r.then().statusCode(status).contentType("application/problem+json")
                .body("type", equalTo("/problems/validation")).body("errors[0].pointer", equalTo(pointer));
    }

    @Test
    void tenantsSeeOnlyTheirOwn() {
        String k = seeded();
        String other = Api.newTenant();
        String id = as(k).body(Map.of("report", "segment", "segment", "vip", "format", "json")).post("/reports")
                .then().statusCode(202).extract().path("id");
        await(k, id);
        as(other).get("/reports/" + id).then().statusCode(404).contentType("application/problem+json");
        as(other).get("/reports/" + id + "/file").then().statusCode(404);
        as(other).accept("application/pdf, application/problem+json").get("/segments/vip/report.pdf").then().statusCode(404);
        as(other).get("/reports/segments.json").then().statusCode(200).body("segments", equalTo(List.of()))
                .body("baseSize", equalTo(0));
        problem(as(other).body(Map.of("report", "segment", "segment", "vip")).post("/reports"), 422, "/segment");
    }

    // ------------------------------------------------------------------ helpers

    static JsonPath await(String k, String id) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonPath job = as(k).get("/reports/" + id).then().statusCode(200).extract().jsonPath();
            String state = job.getString("state");
            if (state.equals("succeeded") || state.equals("failed")) return job;
            assertTrue(System.nanoTime() < deadline, "job " + id + " still " + state);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    static String words(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    static int images(PDDocument doc) throws IOException {
        int n = 0;
        for (PDPage page : doc.getPages()) {
            for (COSName name : page.getResources().getXObjectNames()) {
                if (page.getResources().getXObject(name) instanceof PDImageXObject) n++;
            }
        }
        return n;
    }

    /** Pixels that are neither white nor grey (the charts' blues). */
    static int coloured(BufferedImage image) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y), r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
                if (b - r > 40) n++;
            }
        }
        return n;
    }

    /** Page 1 rendered by pdftoppm into target/ (skipped, returning null, when poppler-utils is not installed). */
    static Path render(byte[] pdf, String name) throws IOException {
        Path tool = Arrays.stream(System.getenv().getOrDefault("PATH", "/usr/bin").split(":"))
                .map(d -> Path.of(d, "pdftoppm")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(tool != null, "pdftoppm (Debian's poppler-utils) is not installed");
        Path dir = Files.createDirectories(Path.of("target", "reports"));
        Path in = dir.resolve(name + ".pdf");
        Files.write(in, pdf);
        try {
            Process p = new ProcessBuilder(tool.toString(), "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile",
                    in.toString(), dir.resolve(name).toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "pdftoppm did not finish");
            assertEquals(0, p.exitValue(), out);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        Path png = dir.resolve(name + ".png");
        assertTrue(Files.size(png) > 10_000, "rendered page " + Files.size(png) + " bytes");
        return png;
    }

    static List<List<String>> csv(String body) {
        try {
            List<List<String>> rows = new ArrayList<>();
            var it = new com.fasterxml.jackson.dataformat.csv.CsvMapper().readerFor(String[].class)
                    .with(com.fasterxml.jackson.dataformat.csv.CsvParser.Feature.WRAP_AS_ARRAY).<String[]>readValues(body);
            while (it.hasNext()) rows.add(List.of(it.next()));
            return rows;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String value(List<List<String>> rows, String section, String metric, String item) {
        return rows.stream().filter(r -> r.get(0).equals(section) && r.get(1).equals(metric) && r.get(2).equals(item))
                .map(r -> r.get(3)).findFirst().orElseThrow(() -> new AssertionError(section + "," + metric + "," + item
                        + " not in " + rows));
    }
}
