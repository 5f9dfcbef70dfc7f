package dev.segments.graphql;

import dev.segments.support.Node;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

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

    /** Every custom scalar says where its wire format is specified (GraphQL spec, "Scalar Specification URL"). */
    @Test
    void everyCustomScalarCarriesItsSpecifiedByUrl() {
        Node.Result result = Node.run("graphql/sdl-parses.mjs", Map.of());
        assertThat(result.describe(), result.exitCode(), is(0));
        assertThat(result.lastLine(), containsString("\"scalars\":{"));
        for (String scalar : List.of("BigDecimal", "BigInteger", "Date", "DateTime", "JSON")) {
            assertThat(result.lastLine(), containsString("\"" + scalar + "\":\"https://"));
        }
        assertThat(result.lastLine(), not(containsString(":null")));
    }

    @Test
    void graphqlCodegenTypesTheReadmeOperations() {
        Node.Result result = Node.run("graphql/codegen-readme.mjs", Map.of());
        assertThat(result.describe(), result.exitCode(), is(0));
        assertThat(result.lastLine(), containsString("\"operations\":"));
    }
}
