package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.RawHttp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** Only the streaming import takes a body of unknown or unbounded length (issue 12: every request is bounded). */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class RequestBoundsTest {

    @Test
    void aChunkedBodyIsRefusedExceptByTheStreamingImport() {
        String key = Api.newTenant();
        String body = "{\"externalId\": \"chunked-1\"}";
        for (String target : new String[]{"POST /customers", "PUT /customers/by-external-id/import", "POST /segments/preview",
                "POST /graphql"}) {
            RawHttp.Response r = RawHttp.raw(target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                    + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + chunked(body));
            assertThat(target, r.status(), equalTo(411));
            assertThat(r.header("content-type"), startsWith("application/problem+json"));
            assertThat(r.body(), containsString("/problems/length-required"));
        }
        RawHttp.Response imported = RawHttp.raw("POST /customers/import HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/x-ndjson\r\nTransfer-Encoding: chunked\r\n\r\n"
                + chunked(body + "\n"));
        assertThat(imported.body(), imported.status(), equalTo(200));
        assertThat(imported.body(), containsString("\"created\":1"));
    }

    @Test
    void aDeclaredLengthOverTheLimitIsRefusedBeforeTheBodyIsRead() {
        String key = Api.newTenant();
        RawHttp.Response r = RawHttp.raw("POST /customers HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                + "Authorization: Bearer " + key + "\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\n\r\n{");
        assertThat(r.status(), equalTo(413));
        assertThat(r.body(), containsString("/problems/payload-too-large"));
    }

    private static String chunked(String body) {
        return Integer.toHexString(body.length()) + "\r\n" + body + "\r\n0\r\n\r\n";
    }
}
