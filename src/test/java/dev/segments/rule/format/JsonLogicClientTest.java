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
 * The service's JsonLogic export evaluated by json-logic-js (2.0.5) with docs/clients/jsonlogic-segments.js over the
 * customers as the API returns them gives exactly the service's members, for every rule of the corpus
 * (src/test/node/jsonlogic/evaluate.mjs, which fails with every disagreement).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class JsonLogicClientTest {

    @Test
    void exportedJsonLogicEvaluatesLikeTheService() {
        ClientTenant tenant = ClientTenant.seed();
        Node.Result result = Node.run("jsonlogic/evaluate.mjs", new HashMap<>(tenant.env()));
        System.out.println(result.lastLine());
        assertThat(result.describe(), result.exitCode(), is(0));
        assertThat(result.lastLine(), containsString("\"failures\":0"));
    }
}
