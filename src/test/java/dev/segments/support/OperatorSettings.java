package dev.segments.support;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * The one test profile for the tests that need an operator's setting the default test configuration does not
 * have. Every class with another profile costs a restart of the service (about 15 s), so these share one:
 * introspection off as in production (GraphQLIntrospectionOffTest), a short rule-query timeout (QueryTimeoutTest),
 * the webhook timer on with a long poll interval (WebhookTimerTest), and imports' chunks cut by their bytes
 * (ImportChunkBytesTest). Each setting is harmless to the others.
 */
public class OperatorSettings implements QuarkusTestProfile {

    /** {@code segments.imports.chunk-bytes}: a chunk of about 40 lines of 100 bytes. */
    public static final String IMPORT_CHUNK_BYTES = "4096";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "quarkus.smallrye-graphql.field-visibility", "no-introspection",
                "segments.query.statement-timeout", "300ms",
                // a long poll interval: WebhookTimerTest's backlog can only drain in time by immediate follow-ups
                "segments.webhooks.enabled", "true",
                "segments.webhooks.poll-interval", "1s",
                "segments.imports.chunk-bytes", IMPORT_CHUNK_BYTES);
    }
}
