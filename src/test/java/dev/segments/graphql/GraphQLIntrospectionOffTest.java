package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.support.OperatorSettings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.notNullValue;

/** With GRAPHQL_FIELD_VISIBILITY=no-introspection (production), introspection is refused; queries still work. */
@QuarkusTest
@TestProfile(OperatorSettings.class)
@WithTestResource(EmbeddedPostgresResource.class)
class GraphQLIntrospectionOffTest {

    @Test
    void introspectionIsOff() {
        String key = Api.newTenant();
        GraphQL.query(key, "{ __schema { queryType { name } } }").body("errors", notNullValue());
        GraphQL.query(key, "{ segments { key } }").body("data.segments", empty());
    }
}
