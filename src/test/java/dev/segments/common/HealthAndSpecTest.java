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
}
