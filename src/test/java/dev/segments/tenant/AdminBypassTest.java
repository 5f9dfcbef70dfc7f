package dev.segments.tenant;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.support.RawHttp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.hamcrest.Matchers.equalTo;

/**
 * The admin API answers the admin key only, however the path is spelled, and the admin key reads no tenant's
 * data (issue 12, item 1). Requests go over a raw socket so every spelling reaches the server as written.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class AdminBypassTest {

    /** Spellings of /admin/tenants that a path-text check could misread and a router could still resolve. */
    static final List<String> ADMIN_LIST_FORMS = List.of(
            "/admin;x/tenants", "/admin;/tenants", "/admin;jsessionid=1/tenants", "/admin/tenants;x",
            "/admin;x/tenants;y", "//admin/tenants", "///admin/tenants", "/%61dmin/tenants", "/admin/%74enants",
            "/%61%64%6d%69%6e/tenants", "/./admin/tenants", "/x/../admin/tenants", "/q/../admin/tenants",
            "/q/%2e%2e/admin/tenants", "/q/%2E%2E/admin/tenants", "/%2e/admin/tenants", "/admin%2Ftenants",
            "/admin%2ftenants", "/%2Fadmin/tenants", "/admin/./tenants", "/admin/x/../tenants", "/ADMIN/tenants",
            "/Admin/Tenants", "/admin/TENANTS", "/admin/tenants/", "/admin/tenants//", "/admin//tenants",
            "/admin/tenants?x=1", "/admin/tenants%3Bx", "/admin%3B/tenants", "/admin/tenants/.", "/admin/tenants/%2e",
            "/q/health/../../admin/tenants", "/graphql/../admin/tenants", "/admin\\tenants", "/admin%5Ctenants",
            "/admin/tenants#x", "/%20admin/tenants", "/admin%00/tenants", "/admin/tenants%00");

    @Test
    void aTenantKeyNeverReachesTheAdminApi() {
        String attacker = Api.newTenant();
        var victim = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "victim-" + UUID.randomUUID())).post("/admin/tenants")
                .then().statusCode(201).extract().jsonPath();
        long victimId = victim.getLong("tenant.id");
        String victimName = victim.getString("tenant.name");
        int tenantsBefore = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants")
                .then().statusCode(200).extract().jsonPath().getList("$").size();

        List<String> leaks = new ArrayList<>();
        int attempts = 0;
        for (String list : ADMIN_LIST_FORMS) {
            String tenantOne = list.replace("tenants", "tenants/" + victimId);
            List<String[]> requests = List.of(
                    new String[]{"GET", list, null},
                    new String[]{"POST", list, "{\"name\": \"created-by-attacker\"}"},
                    new String[]{"GET", tenantOne, null},
                    new String[]{"PATCH", tenantOne, "{\"name\": \"renamed-by-attacker\"}"},
                    new String[]{"GET", tenantOne + "/keys", null},
                    new String[]{"POST", tenantOne + "/keys", "{\"name\": \"minted\"}"},
                    new String[]{"DELETE", tenantOne + "/keys/" + victim.getLong("apiKey.id"), null});
            for (String[] r : requests) {
                String target = r[1].contains("#") ? r[1].substring(0, r[1].indexOf('#')) : r[1];
                if (target.contains("/tenants/" + victimId) && !r[1].contains("tenants")) {
                    continue;
                }
                attempts++;
                RawHttp.Response response = RawHttp.send(r[0], target, attacker, r[2]);
                if (response.status() < 300 || response.body().contains(victimName)
                        || response.body().contains("\"key\":\"sk_")) {
                    leaks.add(r[0] + " " + target + " -> " + response.status() + " " + response.body());
                }
                if (response.status() >= 400) {
                    assertThat(r[0] + " " + target, response.header("content-type"), startsWith("application/problem+json"));
                }
                assertThat(r[0] + " " + target, response.status(), lessThan(500));
            }
        }
        assertThat(attempts, greaterThan(200));
        assertThat(leaks, empty());

        // nothing changed: no tenant created, the victim's name and key intact
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants")
                .then().statusCode(200).body("size()", equalTo(tenantsBefore));
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants/" + victimId)
                .then().statusCode(200).body("name", equalTo(victimName));
        as(victim.getString("apiKey.key")).get("/customers").then().statusCode(200);
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants/" + victimId + "/keys")
                .then().statusCode(200).body("size()", equalTo(1)).body("[0].revokedAt", org.hamcrest.Matchers.nullValue());
    }

    @Test
    void matrixParametersAreRefusedBeforeAnyDecision() {
        String key = Api.newTenant();
        for (String target : List.of("/customers;x", "/segments;a=b/x", "/admin;x/tenants", "/q/health;x", "/graphql;x")) {
            RawHttp.Response response = RawHttp.send("GET", target, key, null);
            assertThat(target, response.status(), equalTo(400));
            assertThat(response.header("content-type"), startsWith("application/problem+json"));
            assertThat(response.body(), containsString("/problems/malformed-request"));
        }
    }

    @Test
    void theAdminKeyReadsNoTenantData() {
        String tenant = Api.newTenant();
        Api.customer(tenant, "c-1", Map.of("name", "Secret"));
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/customers").then().statusCode(403)
                .contentType("application/problem+json").body("type", equalTo("/problems/forbidden"));
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body("{\"externalId\": \"x\"}").post("/customers").then().statusCode(403);
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/segments").then().statusCode(403);
        GraphQL.query(Api.ADMIN_KEY, "{ customers { nodes { name } } }")
                .body("data.customers", org.hamcrest.Matchers.nullValue())
                .body("errors[0].extensions.status", equalTo(403));
        for (String form : List.of("/customers;x", "//customers", "/./customers", "/x/../customers", "/%63ustomers")) {
            RawHttp.Response response = RawHttp.send("GET", form, Api.ADMIN_KEY, null);
            assertThat(form, response.status(), allOf(greaterThanOrEqualTo(400), lessThan(500)));
            assertThat(response.body(), not(containsString("Secret")));
        }
    }

    @Test
    void graphQLHasNoAdminOperationsAndNeedsATenantKey() {
        String tenant = Api.newTenant();
        GraphQL.query(tenant, "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }")
                .statusCode(200)
                .body("data.__schema.queryType.fields.name", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(
                        org.hamcrest.Matchers.containsStringIgnoringCase("tenant"))))
                .body("data.__schema.mutationType.fields.name", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem(
                        org.hamcrest.Matchers.containsStringIgnoringCase("tenant"))));
        RestAssured.given().contentType("application/json").body(Map.of("query", "{ segments { key } }"))
                .post("/graphql").then().statusCode(401).contentType("application/problem+json");
        RawHttp.Response matrix = RawHttp.send("POST", "/graphql;x", tenant, "{\"query\": \"{ segments { key } }\"}");
        assertThat(matrix.status(), equalTo(400));
    }
}
