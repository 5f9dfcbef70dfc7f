package dev.segments.customer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * Writes a {@link CustomerView} exactly as Jackson's bean serialization of the record does with the service's
 * settings ({@code JsonConfig}: nulls left out, dates as ISO-8601 strings), field by field: a page of members is
 * 50 of them, and the reflective writer spent a third of a members request's JVM time on their getters, property
 * writers and date formatters. {@code CustomerViewJsonTest} checks the output equals the bean serialization's.
 * A field added to the record must be added here (that test fails until it is).
 */
public final class CustomerViewJson extends StdSerializer<CustomerView> {

    public CustomerViewJson() {
        super(CustomerView.class);
    }

    @Override
    public void serialize(CustomerView c, JsonGenerator g, SerializerProvider p) throws IOException {
        char[] buf = new char[32];
        g.writeStartObject(c);
        g.writeNumberField("id", c.id());
        string(g, "externalId", c.externalId());
        string(g, "name", c.name());
        string(g, "email", c.email());
        string(g, "phone", c.phone());
        strings(g, "phones", c.phones());
        string(g, "gender", c.gender());
        if (c.birthDate() != null) {
            g.writeFieldName("birthDate");
            date(g, c.birthDate(), buf);
        }
        string(g, "country", c.country());
        string(g, "region", c.region());
        string(g, "city", c.city());
        string(g, "priceTier", c.priceTier());
        string(g, "paymentTerms", c.paymentTerms());
        string(g, "lifecycleStage", c.lifecycleStage());
        string(g, "source", c.source());
        string(g, "channel", c.channel());
        strings(g, "tags", c.tags());
        if (c.attributes() != null) {
            g.writeFieldName("attributes");
            g.writeRawValue(c.attributes().text());
        }
        if (c.contacts() != null) {
            p.defaultSerializeField("contacts", c.contacts(), g);
        }
        CustomerView.Rollups r = c.rollups();
        if (r != null) {
            g.writeFieldName("rollups");
            g.writeStartObject(r);
            g.writeNumberField("purchaseCount", r.purchaseCount());
            decimal(g, "totalSpend", r.totalSpend());
            decimal(g, "averageOrderValue", r.averageOrderValue());
            timestamp(g, "firstPurchaseAt", r.firstPurchaseAt(), buf);
            timestamp(g, "lastPurchaseAt", r.lastPurchaseAt(), buf);
            timestamp(g, "lastInteractionAt", r.lastInteractionAt(), buf);
            timestamp(g, "lastSeenAt", r.lastSeenAt(), buf);
            g.writeEndObject();
        }
        timestamp(g, "createdAt", c.createdAt(), buf);
        timestamp(g, "updatedAt", c.updatedAt(), buf);
        g.writeNumberField("version", c.version());
        g.writeEndObject();
    }

    private static void string(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    private static void strings(JsonGenerator g, String name, List<String> values) throws IOException {
        if (values == null) {
            return;
        }
        g.writeFieldName(name);
        g.writeStartArray(values, values.size());
        for (String v : values) {
            if (v == null) {
                g.writeNull();
            } else {
                g.writeString(v);
            }
        }
        g.writeEndArray();
    }

    private static void decimal(JsonGenerator g, String name, BigDecimal value) throws IOException {
        if (value != null) {
            g.writeFieldName(name);
            g.writeNumber(value);
        }
    }

    private static void date(JsonGenerator g, LocalDate d, char[] buf) throws IOException {
        int year = d.getYear();
        if (year < 0 || year > 9999) {
            g.writeString(d.format(DateTimeFormatter.ISO_LOCAL_DATE));
            return;
        }
        g.writeString(buf, 0, date(buf, 0, year, d.getMonthValue(), d.getDayOfMonth()));
    }

    private static void timestamp(JsonGenerator g, String name, OffsetDateTime t, char[] buf) throws IOException {
        if (t != null) {
            g.writeFieldName(name);
            int n = iso(t, buf);
            if (n < 0) {
                g.writeString(t.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
            } else {
                g.writeString(buf, 0, n);
            }
        }
    }

    /**
     * {@code t} as {@link DateTimeFormatter#ISO_OFFSET_DATE_TIME} writes it, into {@code buf} (32 chars): its
     * length, or -1 where only the formatter's rules apply (an offset other than UTC, a year outside 0-9999).
     */
    static int iso(OffsetDateTime t, char[] buf) {
        int year = t.getYear();
        if (t.getOffset() != ZoneOffset.UTC || year < 0 || year > 9999) {
            return -1;
        }
        int i = date(buf, 0, year, t.getMonthValue(), t.getDayOfMonth());
        buf[i++] = 'T';
        i = two(buf, i, t.getHour());
        buf[i++] = ':';
        i = two(buf, i, t.getMinute());
        buf[i++] = ':';
        i = two(buf, i, t.getSecond());
        int nano = t.getNano();
        if (nano != 0) {
            // the fraction's digits without its trailing zeros, as the formatter's appendFraction(NANO, 0, 9, true)
            int digits = 9;
            while (nano % 10 == 0) {
                nano /= 10;
                digits--;
            }
            buf[i++] = '.';
            for (int k = i + digits - 1; k >= i; k--) {
                buf[k] = (char) ('0' + nano % 10);
                nano /= 10;
            }
            i += digits;
        }
        buf[i++] = 'Z';
        return i;
    }

    private static int date(char[] buf, int i, int year, int month, int day) {
        buf[i++] = (char) ('0' + year / 1000);
        buf[i++] = (char) ('0' + year / 100 % 10);
        buf[i++] = (char) ('0' + year / 10 % 10);
        buf[i++] = (char) ('0' + year % 10);
        buf[i++] = '-';
        i = two(buf, i, month);
        buf[i++] = '-';
        return two(buf, i, day);
    }

    private static int two(char[] buf, int i, int v) {
        buf[i] = (char) ('0' + v / 10);
        buf[i + 1] = (char) ('0' + v % 10);
        return i + 2;
    }
}
