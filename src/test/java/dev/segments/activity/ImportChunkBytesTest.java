package dev.segments.activity;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.OperatorSettings;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A chunk of an import is stored when it has {@code segments.imports.chunk-bytes} of lines, before its row count
 * (1,000 in tests) is reached: with lines of up to 1 MiB the rows alone would not bound its memory. Under
 * {@link OperatorSettings} (4,096 bytes) 400 lines of about 100 bytes are stored in many chunks, each one
 * transaction: the rows a chunk inserted share their {@code xmin}. Every line is stored either way.
 */
@QuarkusTest
@TestProfile(OperatorSettings.class)
@WithTestResource(EmbeddedPostgresResource.class)
class ImportChunkBytesTest {

    static final int LIMIT = Integer.parseInt(OperatorSettings.IMPORT_CHUNK_BYTES);
    static final int LINES = 400;

    @Inject
    Pool pool;

    @Test
    void customerChunksStopAtTheirBytes() {
        Api.Tenant t = Api.tenant();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < LINES; i++) {
            lines.add("{\"externalId\": \"c-" + i + "\", \"name\": \"Customer " + i + "\", \"city\": \""
                    + "x".repeat(i % 60) + "\"}");
        }
        JsonPath report = ActivityImportTest.post(t.key(), "/customers/import", "application/x-ndjson",
                String.join("\n", lines) + "\n", 200);
        assertEquals(LINES, report.getInt("created"));
        checkChunks("select external_id, xmin::text from customer where tenant_id = $1", t.id(), lengths(lines, "c-"));
    }

    @Test
    void activityChunksStopAtTheirBytes() {
        Api.Tenant t = Api.tenant();
        Api.customer(t.key(), "buyer", Map.of());
        Api.customer(t.key(), "other", Map.of());
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < LINES; i++) {
            lines.add("{\"customerExternalId\": \"" + (i % 2 == 0 ? "buyer" : "other") + "\", \"externalId\": \"p-" + i
                    + "\", \"occurredAt\": \"2026-01-01T00:00:00Z\", \"amount\": " + (i + 1) + ", \"product\": \""
                    + "y".repeat(i % 60) + "\"}");
        }
        JsonPath report = ActivityImportTest.post(t.key(), "/purchases/import", "application/x-ndjson",
                String.join("\n", lines) + "\n", 200);
        assertEquals(LINES, report.getInt("stored"));
        checkChunks("select external_id, xmin::text from purchase where tenant_id = $1", t.id(), lengths(lines, "p-"));
    }

    /** Each line's length by the externalId in it, the one that starts with {@code prefix}. */
    private static Map<String, Integer> lengths(List<String> lines, String prefix) {
        Map<String, Integer> length = new HashMap<>();
        for (String l : lines) {
            int at = l.indexOf("\"" + prefix) + 1;
            length.put(l.substring(at, l.indexOf('"', at)), l.length());
        }
        return length;
    }

    /**
     * The rows by the transaction that wrote them: more than one chunk per lane, and each chunk, without its last
     * row, under the limit (a chunk is stored once a line takes it to the limit).
     */
    private void checkChunks(String sql, long tenantId, Map<String, Integer> length) {
        Map<String, List<Integer>> chunks = new HashMap<>();
        for (Row r : pool.preparedQuery(sql).execute(Tuple.of(tenantId)).await().atMost(Duration.ofSeconds(10))) {
            chunks.computeIfAbsent(r.getString(1), x -> new ArrayList<>()).add(length.get(r.getString(0)));
        }
        int total = length.values().stream().mapToInt(Integer::intValue).sum();
        assertTrue(chunks.size() >= total / (LIMIT + 200), chunks.size() + " chunks for " + total + " bytes");
        for (List<Integer> chunk : chunks.values()) {
            int sum = chunk.stream().mapToInt(Integer::intValue).sum();
            int longest = chunk.stream().mapToInt(Integer::intValue).max().orElse(0);
            assertTrue(sum - longest < LIMIT, "a chunk of " + chunk.size() + " rows, " + sum + " bytes");
        }
    }
}
