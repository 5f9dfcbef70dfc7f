package dev.segments.rule.format;

import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Node;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.HashMap;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * react-querybuilder itself (8.24.1, src/test/node) against the service: the field list's operators survive the
 * library's JsonLogic export and import, round trips of the corpus keep their members, and what the library has no
 * operator for survives with docs/clients/querybuilder-segments.js. The scripts in src/test/node/querybuilder do the
 * checking and fail with every disagreement; see each script's header.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class QueryBuilderClientTest {

    private static ClientTenant tenant;

    private static synchronized ClientTenant tenant() {
        if (tenant == null) {
            tenant = ClientTenant.seed();
            ClientTenant.segments(tenant);
        }
        return tenant;
    }

    private static Node.Result run(String script) {
        Node.Result result = Node.run(script, new HashMap<>(tenant().env()));
        System.out.println(result.lastLine());
        assertThat(result.describe(), result.exitCode(), is(0));
        return result;
    }

    @Test
    void everyOfferedOperatorSurvivesTheLibrarysJsonLogic() {
        assertThat(run("querybuilder/field-list.mjs").lastLine(), containsString("\"failures\":0"));
    }

    @Test
    void roundTripsThroughTheLibraryKeepTheMembers() {
        Node.Result result = run("querybuilder/round-trip.mjs");
        assertThat(result.lastLine(), containsString("\"failures\":0"));
    }

    @Test
    void withinAggregatesAndSegmentsSurviveWithTheDocsModule() {
        assertThat(run("querybuilder/extras.mjs").lastLine(), containsString("\"failures\":0"));
    }
}
