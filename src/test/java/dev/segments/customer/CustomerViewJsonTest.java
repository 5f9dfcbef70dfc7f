package dev.segments.customer;

import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.json.StoredObject;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link CustomerViewJson} writes what the service's mapper wrote for a {@link CustomerView} by bean serialization
 * (the reference: the same mapper with the annotation masked), byte for byte, over random views: every field null
 * or set, empty and null lists, strings that need escaping, timestamps of every precision, offsets and years,
 * decimals of every scale, nested attributes.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CustomerViewJsonTest {

    @JsonSerialize(using = JsonSerializer.None.class)
    interface BeanSerialized {
    }

    @Inject
    ObjectMapper mapper;

    @Test
    void writesWhatTheBeanSerializationWrote() throws Exception {
        ObjectMapper reference = mapper.copy().addMixIn(CustomerView.class, BeanSerialized.class);
        Random random = new Random(42);
        for (int i = 0; i < 3_000; i++) {
            CustomerView view = view(random, i);
            String expected = reference.writeValueAsString(view);
            assertEquals(expected, mapper.writeValueAsString(view), "view " + i);
            if (view.attributes() != null) { // written as stored, read back as the same members
                assertEquals(view.attributes().tree(), mapper.readTree(expected).path("attributes"));
            }
            // in a list, as a page of members is written
            assertEquals(reference.writeValueAsString(List.of(view, view)), mapper.writeValueAsString(List.of(view, view)));
        }
        // the reference really is the bean serialization, and a view with every field set has all of the record's
        // (a field added to the record without CustomerViewJson writing it fails here)
        OffsetDateTime t = OffsetDateTime.of(2026, 12, 8, 1, 2, 3, 4_000, ZoneOffset.UTC);
        CustomerView full = new CustomerView(1, "x", "n", "e", "p", List.of("p2"), "f", LocalDate.of(1990, 1, 2),
                "DE", "Berlin", "Berlin", "vip", "net30", "customer", "ads", "web", List.of("t"),
                StoredObject.of("{\"a\": 1}"), List.of(new CustomerInput.Contact("c", null, null, null, true)),
                new CustomerView.Rollups(1, BigDecimal.TEN, BigDecimal.ONE, t, t, t, t), t, t, 7);
        String fullJson = reference.writeValueAsString(full);
        assertEquals(fullJson, mapper.writeValueAsString(full));
        // a members page's fields= projection goes through a tree of the view: the stored attributes survive it
        ObjectNode projected = mapper.valueToTree(full);
        projected.retain("id", "attributes");
        assertEquals(mapper.readTree("{\"id\": 1, \"attributes\": {\"a\": 1}}"),
                mapper.readTree(mapper.writeValueAsString(projected)));
        List<String> names = new ArrayList<>();
        mapper.readTree(fullJson).fieldNames().forEachRemaining(names::add);
        assertEquals(Arrays.stream(CustomerView.class.getRecordComponents()).map(c -> c.getName()).toList(), names);
        List<String> rollups = new ArrayList<>();
        mapper.readTree(fullJson).path("rollups").fieldNames().forEachRemaining(rollups::add);
        assertEquals(Arrays.stream(CustomerView.Rollups.class.getRecordComponents()).map(c -> c.getName()).toList(), rollups);
    }

    @Test
    void writesTimestampsAsTheIsoFormatterDoes() {
        Random random = new Random(7);
        char[] buf = new char[32];
        for (int i = 0; i < 100_000; i++) {
            OffsetDateTime t = timestamp(random, ZoneOffset.UTC);
            int n = CustomerViewJson.iso(t, buf);
            assertEquals(t.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), new String(buf, 0, n), t.toString());
        }
        assertEquals(-1, CustomerViewJson.iso(OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.ofHours(2)), buf));
    }

    private CustomerView view(Random r, int i) throws Exception {
        return new CustomerView(r.nextLong(), text(r), text(r), text(r), text(r), strings(r), text(r),
                r.nextInt(4) == 0 ? null : LocalDate.of(1 + r.nextInt(9999), 1 + r.nextInt(12), 1 + r.nextInt(28)),
                text(r), text(r), text(r), text(r), text(r), text(r), text(r), text(r), strings(r), attributes(r),
                r.nextInt(3) == 0 ? null : contacts(r),
                r.nextInt(5) == 0 ? null : new CustomerView.Rollups(r.nextInt(), decimal(r), decimal(r),
                        maybeTimestamp(r), maybeTimestamp(r), maybeTimestamp(r), maybeTimestamp(r)),
                maybeTimestamp(r), maybeTimestamp(r), i % 7 == 0 ? Long.MIN_VALUE : r.nextLong());
    }

    private static String text(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> null;
            case 1 -> "";
            case 2 -> "quote \" backslash \\ tab \t newline \n control \u0001 unicode \u00e9\u4e2d \ud83d\ude00";
            default -> "value " + r.nextInt(1000);
        };
    }

    private static List<String> strings(Random r) {
        return switch (r.nextInt(4)) {
            case 0 -> null;
            case 1 -> List.of();
            case 2 -> Arrays.asList("a", null, text(r) == null ? "b" : "c\"d");
            default -> List.of("vip", "press");
        };
    }

    private StoredObject attributes(Random r) throws Exception {
        if (r.nextInt(4) == 0) {
            return null;
        }
        if (r.nextInt(3) == 0) { // as jsonb writes it
            return StoredObject.of("{\"a\": 1, \"plan\": \"free\", \"nested\": {\"x\": [1.50, null, \"\\u0001\"]}}");
        }
        ObjectNode n = mapper.createObjectNode();
        if (r.nextBoolean()) {
            n.put("plan", "free").put("score", new BigDecimal("25.60")).put("optIn", true).putNull("nothing");
            n.putArray("interests").add("golf").add(1);
            n.putObject("nested").put("x", 1e300);
        }
        return StoredObject.of(mapper.writeValueAsString(n));
    }

    private static List<CustomerInput.Contact> contacts(Random r) {
        List<CustomerInput.Contact> list = new ArrayList<>();
        for (int k = r.nextInt(3); k > 0; k--) {
            list.add(new CustomerInput.Contact(text(r), text(r), text(r), text(r), r.nextBoolean() ? null : r.nextBoolean()));
        }
        return list;
    }

    private static BigDecimal decimal(Random r) {
        return switch (r.nextInt(5)) {
            case 0 -> null;
            case 1 -> new BigDecimal("8240.8300");
            case 2 -> new BigDecimal("1E+3");
            case 3 -> BigDecimal.valueOf(r.nextLong(), r.nextInt(12));
            default -> BigDecimal.ZERO;
        };
    }

    private static OffsetDateTime maybeTimestamp(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> null;
            case 1 -> timestamp(r, ZoneOffset.ofHoursMinutes(5, 30));
            default -> timestamp(r, ZoneOffset.UTC);
        };
    }

    private static OffsetDateTime timestamp(Random r, ZoneOffset offset) {
        int nano = switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> r.nextInt(1_000_000) * 1_000; // PostgreSQL's microseconds
            case 2 -> r.nextInt(1_000) * 1_000_000;
            case 3 -> 100_000_000 * r.nextInt(10);
            default -> r.nextInt(1_000_000_000);
        };
        int year = r.nextInt(20) == 0 ? r.nextInt(1000) : 1 + r.nextInt(9999);
        return OffsetDateTime.of(year, 1 + r.nextInt(12), 1 + r.nextInt(28), r.nextInt(24), r.nextInt(60),
                r.nextInt(60), nano, offset);
    }
}
