package dev.segments.customer;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CustomerImportTest {

    @Test
    void ndjsonKeepsValidLinesAndReportsBadOnes() {
        String key = Api.newTenant();
        Api.customer(key, "existing", Map.of("name", "Old"));
        String body = """
                {"externalId": "n-1", "name": "One", "tags": ["a"]}
                {"externalId": "n-2", "email": "not-an-email"}
                not json at all

                {"externalId": "existing", "name": "New"}
                {"externalId": "n-3", "colour": "red"}
                {"externalId": "n-1", "name": "One again"}
                """;
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body(body.getBytes(StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(200)
                .body("lines", equalTo(6)).body("created", equalTo(1)).body("updated", equalTo(2))
                .body("failed", equalTo(3))
                .body("errors.line", contains(2, 3, 6))
                .body("errors[0].pointer", equalTo("/email"))
                .body("errors[1].code", equalTo("malformed_json"))
                .body("errors[2].code", equalTo("unknown_property"));
        as(key).get("/customers/by-external-id/n-1").then().body("name", equalTo("One again"));
        as(key).get("/customers/by-external-id/existing").then().body("name", equalTo("New"));
        as(key).get("/customers/by-external-id/n-2").then().statusCode(404);
    }

    /**
     * The COPY path stores exactly what a single write stores: values that COPY's text format and array literals
     * escape (tab, line breaks, backslash, quotes, commas and braces in list items, non-ASCII), contacts with absent
     * members, nested attributes; sending the same body again changes nothing (unchanged, versions kept).
     */
    @Test
    void importStoresWhatASingleWriteStores() {
        String key = Api.newTenant();
        as(key).body("{\"entity\": \"customer\", \"key\": \"note\", \"type\": \"string\"}").post("/attributes")
                .then().statusCode(201);
        String profile = "{\"name\": \"Tab\\there \\\\ back\\nslash\", \"email\": \"Mixed@Example.COM\","
                + " \"phones\": [\"+1 \\\"2\\\"\", \"a,b\"], \"birthDate\": \"1980-02-29\","
                + " \"city\": \"Zürich \\r\\n\u65e5\", \"tags\": [\"{x}\", \"q\\\"uote\", \"back\\\\slash\", \"NULL\"],"
                + " \"attributes\": {\"note\": \"\\\\N \\t\"},"
                + " \"contacts\": [{\"name\": \"C \\\\ 1\", \"decisionMaker\": true}, {\"name\": \"C2\", \"role\": \"CFO\"}]}";
        as(key).body(profile).put("/customers/by-external-id/single").then().statusCode(201);
        String line = "{\"externalId\": \"imported\", " + profile.substring(1);
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body((line + "\n").getBytes(StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(200).body("created", equalTo(1)).body("failed", equalTo(0));
        Map<String, Object> single = as(key).get("/customers/by-external-id/single").then().statusCode(200)
                .extract().jsonPath().getMap("");
        Map<String, Object> imported = as(key).get("/customers/by-external-id/imported").then().statusCode(200)
                .extract().jsonPath().getMap("");
        org.junit.jupiter.api.Assertions.assertEquals("Tab\there \\ back\nslash", imported.get("name"));
        for (String field : new String[]{"name", "email", "phones", "birthDate", "city", "tags", "attributes", "contacts"}) {
            org.junit.jupiter.api.Assertions.assertEquals(single.get(field), imported.get(field), field);
        }
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body((line + "\n").getBytes(StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(200).body("unchanged", equalTo(1)).body("updated", equalTo(0));
        as(key).get("/customers/by-external-id/imported").then().body("version", equalTo(imported.get("version")));
    }

    @Test
    void csvWithListsAndTypedAttributes() {
        String key = Api.newTenant();
        as(key).body(Map.of("entity", "customer", "key", "employees", "type", "integer")).post("/attributes")
                .then().statusCode(201);
        String csv = """
                externalId,name,region,tags,attributes.employees
                c-1,"Smith, John",Moscow,b2b|newsletter,12
                c-2,Jane,Kazan,,many
                c-3,,,,
                """;
        RestAssured.given().auth().oauth2(key).contentType("text/csv").body(csv.getBytes(StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(200)
                .body("created", equalTo(2)).body("failed", equalTo(1))
                .body("errors[0].line", equalTo(3)).body("errors[0].pointer", equalTo("/attributes/employees"));
        as(key).get("/customers/by-external-id/c-1").then().body("name", equalTo("Smith, John"))
                .body("tags", contains("b2b", "newsletter")).body("attributes.employees", equalTo(12));
        RestAssured.given().auth().oauth2(key).contentType("text/csv").body("externalId,shoeSize\nx,42\n".getBytes(StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/header/shoeSize"));
    }

    /** 100,000 lines streamed from a generator (never held in memory on either side). */
    @Test
    void largeStreamedImport() {
        String key = Api.newTenant();
        int n = 100_000;
        InputStream lines = new InputStream() {
            private int i = 0;
            private byte[] current = new byte[0];
            private int pos = 0;

            @Override
            public int read() {
                if (pos == current.length) {
                    if (i == n) {
                        return -1;
                    }
                    current = ("{\"externalId\": \"big-" + i + "\", \"region\": \"r" + (i % 7) + "\", \"tags\": [\"t"
                            + (i % 3) + "\"]}\n").getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                    i++;
                }
                return current[pos++];
            }
        };
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body(lines)
                .post("/customers/import").then().statusCode(200)
                .body("lines", equalTo(n)).body("created", equalTo(n)).body("failed", equalTo(0));
        as(key).get("/customers/by-external-id/big-99999").then().statusCode(200).body("region", equalTo("r4"));
    }
}
