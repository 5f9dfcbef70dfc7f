package dev.segments.common;

import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class HealthAndSpecTest {

    static final Path SPEC = Path.of("openapi/openapi.yaml");
    static final Path GRAPHQL_SCHEMA = Path.of("openapi/schema.graphql");

    @Test
    void healthChecksIncludeTheDatabase() {
        RestAssured.get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
        RestAssured.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"))
                .body("checks.name", hasItem(org.hamcrest.Matchers.containsString("Reactive PostgreSQL")));
    }

    /**
     * The committed spec must be what the code generates. To update it after an API change:
     * {@code ./mvnw test -Dtest=HealthAndSpecTest -Dopenapi.update=true}, then commit openapi/.
     */
    @Test
    void committedOpenApiSpecIsCurrent() throws IOException {
        String generated = RestAssured.given().accept("application/yaml").get("/q/openapi").then().statusCode(200)
                .extract().asString();
        if (Boolean.getBoolean("openapi.update")) {
            Files.createDirectories(SPEC.getParent());
            Files.writeString(SPEC, generated);
        }
        String committed = Files.exists(SPEC) ? Files.readString(SPEC) : "";
        assertEquals(committed, generated, "openapi/openapi.yaml is stale: regenerate it with "
                + "./mvnw test -Dtest=HealthAndSpecTest -Dopenapi.update=true and commit it");
    }

    /**
     * The committed GraphQL schema must be what the code generates (served without a key at
     * /graphql/schema.graphql). Update it with the same command as the OpenAPI spec.
     */
    @Test
    void committedGraphQLSchemaIsCurrent() throws IOException {
        String generated = RestAssured.get("/graphql/schema.graphql").then().statusCode(200).extract().asString();
        if (Boolean.getBoolean("openapi.update")) {
            Files.createDirectories(GRAPHQL_SCHEMA.getParent());
            Files.writeString(GRAPHQL_SCHEMA, generated);
        }
        String committed = Files.exists(GRAPHQL_SCHEMA) ? Files.readString(GRAPHQL_SCHEMA) : "";
        assertEquals(committed, generated, "openapi/schema.graphql is stale: regenerate it with "
                + "./mvnw test -Dtest=HealthAndSpecTest -Dopenapi.update=true and commit it");
    }

    /**
     * The committed SDL stands on its own: graphql-java's schema parser and generator accept it with no other input
     * (every custom scalar declared, every type defined), as graphql-js and graphql-codegen need (issue 13).
     */
    @Test
    void committedGraphQLSchemaParsesOnItsOwn() throws IOException {
        var registry = new graphql.schema.idl.SchemaParser().parse(Files.readString(GRAPHQL_SCHEMA));
        var schema = graphql.schema.idl.UnExecutableSchemaGenerator.makeUnExecutableSchema(registry);
        assertEquals("Query", schema.getQueryType().getName());
        for (String scalar : java.util.List.of("JSON", "DateTime", "BigDecimal", "Date")) {
            org.junit.jupiter.api.Assertions.assertNotNull(schema.getType(scalar), "scalar " + scalar + " is declared");
        }
    }

    /**
     * Every operation has a readable, unique operationId (the method names of generated SDKs), every tag a
     * description, and the document names a server; read from the served document, which equals the committed one.
     */
    @Test
    void everyOperationHasAUniqueOperationIdAndEveryTagADescription() throws IOException {
        var spec = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(RestAssured.get("/q/openapi?format=json").then().statusCode(200).extract().asString());
        java.util.Set<String> ids = new java.util.HashSet<>();
        java.util.List<String> missing = new java.util.ArrayList<>();
        spec.path("paths").properties().forEach(path -> path.getValue().properties().forEach(op -> {
            if (java.util.Set.of("get", "put", "post", "patch", "delete").contains(op.getKey())) {
                String id = op.getValue().path("operationId").asText(null);
                if (id == null || !id.matches("[a-z][A-Za-z]+") || !ids.add(id)) {
                    missing.add(op.getKey().toUpperCase() + " " + path.getKey() + " -> " + id);
                }
            }
        }));
        assertEquals(java.util.List.of(), missing, "operations without a unique camelCase operationId (add them to OperationIds)");
        spec.path("tags").forEach(tag -> org.junit.jupiter.api.Assertions.assertTrue(tag.hasNonNull("description"),
                "tag " + tag.path("name").asText() + " has a description"));
        org.junit.jupiter.api.Assertions.assertTrue(spec.path("servers").size() > 0, "servers are declared");
        assertEquals(111, ids.size(), "operations named");
    }

    /**
     * Every success response declares what it returns, so generated methods do not come out {@code void}: a body
     * on every 2xx but 204, and a schema on every response header (ETag, Location, RateLimit, ...), shared
     * components included (issue 13).
     */
    @Test
    void everySuccessDeclaresItsBodyAndEveryHeaderItsSchema() throws IOException {
        var spec = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(RestAssured.get("/q/openapi?format=json").then().statusCode(200).extract().asString());
        java.util.List<String> problems = new java.util.ArrayList<>();
        int successes = 0;
        for (var path : spec.path("paths").properties()) {
            for (var op : path.getValue().properties()) {
                String where = op.getKey().toUpperCase() + " " + path.getKey();
                boolean anySuccess = false;
                for (var response : op.getValue().path("responses").properties()) {
                    var r = resolve(spec, response.getValue());
                    if (response.getKey().startsWith("2")) {
                        anySuccess = true;
                        successes++;
                        boolean hasBody = r.path("content").size() > 0;
                        if (response.getKey().equals("204") == hasBody) {
                            problems.add(where + " " + response.getKey() + (hasBody ? " has a body" : " declares no body"));
                        }
                        r.path("content").properties().forEach(media -> {
                            if (!media.getValue().has("schema")) {
                                problems.add(where + " " + response.getKey() + " " + media.getKey() + " has no schema");
                            }
                        });
                    }
                    r.path("headers").properties().forEach(header -> {
                        if (!resolve(spec, header.getValue()).has("schema")) {
                            problems.add(where + " " + response.getKey() + " header " + header.getKey() + " has no schema");
                        }
                    });
                }
                if (!anySuccess) {
                    problems.add(where + " declares no success response");
                }
            }
        }
        assertEquals(java.util.List.of(), problems);
        org.junit.jupiter.api.Assertions.assertTrue(successes >= 62, "success responses seen: " + successes);
    }

    /** The component a {@code $ref} names (#/components/...), or the node itself. */
    private static com.fasterxml.jackson.databind.JsonNode resolve(com.fasterxml.jackson.databind.JsonNode spec,
                                                                   com.fasterxml.jackson.databind.JsonNode node) {
        String ref = node.path("$ref").asText(null);
        return ref == null ? node : spec.at(ref.substring(1));
    }
}
