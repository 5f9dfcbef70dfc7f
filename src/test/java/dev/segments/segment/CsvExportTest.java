package dev.segments.segment;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CSV export streams every member across many keyset chunks (5,000 rows each), in id order, with no row
 * repeated or skipped, read here as a stream line by line.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CsvExportTest {

    @Inject
    Pool pool;

    @Test
    void exportsAllMembersAcrossChunksInIdOrder() throws Exception {
        String key = Api.newTenant();
        String seed = "seed-" + UUID.randomUUID();
        Api.customer(key, seed, Map.of("region", "Moscow"));
        pool.preparedQuery("""
                insert into customer (tenant_id, external_id, region, price_tier)
                select c.tenant_id, $1 || '-' || g, case when g % 3 = 0 then 'Kazan' else 'Moscow' end, 'vip'
                from customer c, generate_series(1, 18000) g where c.external_id = $1""")
                .execute(Tuple.of(seed)).await().atMost(Duration.ofMinutes(1));
        as(key).body(Map.of("key", "moscow", "name", "Moscow", "rule", Map.of("field", "region", "op", "eq", "value", "Moscow")))
                .post("/segments").then().statusCode(201);

        InputStream body = as(key).accept("text/csv").get("/segments/moscow/members.csv").then().statusCode(200)
                .extract().asInputStream();
        long rows = 0;
        long lastId = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            assertTrue(reader.readLine().startsWith("id,externalId,"));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                long id = Long.parseLong(line.substring(0, line.indexOf(',')));
                assertTrue(id > lastId, "ids must increase: " + id + " after " + lastId);
                lastId = id;
                rows++;
            }
        }
        assertEquals(1 + 12000, rows); // the seed customer plus 2 of every 3 generated
    }
}
