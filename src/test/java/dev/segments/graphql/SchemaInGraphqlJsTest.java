package dev.segments.graphql;

import dev.segments.support.Node;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * The committed SDL in the frontend teams' own tools: it parses on its own in graphql-js (the parser codegen and
 * Apollo are built on), and graphql-codegen types every GraphQL example of the README against it.
 */
class SchemaInGraphqlJsTest {

    @Test
    void committedSdlBuildsASchemaInGraphqlJs() {
        Node.Result result = Node.run("graphql/sdl-parses.mjs", Map.of());
        assertThat(result.describe(), result.exitCode(), is(0));
        assertThat(result.lastLine(), containsString("\"subscription\":\"Subscription\""));
    }

    @Test
    void graphqlCodegenTypesTheReadmeOperations() {
        Node.Result result = Node.run("graphql/codegen-readme.mjs", Map.of());
        assertThat(result.describe(), result.exitCode(), is(0));
        assertThat(result.lastLine(), containsString("\"operations\":"));
    }
}
