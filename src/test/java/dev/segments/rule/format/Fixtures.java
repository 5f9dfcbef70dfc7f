package dev.segments.rule.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.segments.rule.AttributeDef;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import dev.segments.rule.RuleValidator;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Shared catalog, JSON reading (exact decimals, as the service reads request bodies) and native checks. */
final class Fixtures {
    private Fixtures() {
    }

    /** Exact decimals, scale kept as written (1000.10 stays 1000.10). */
    static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    static final FieldCatalog CATALOG = FieldCatalog.of(List.of(
            new AttributeDef("customer", "plan", "string"),
            new AttributeDef("customer", "vip", "boolean"),
            new AttributeDef("customer", "interests", "stringList"),
            new AttributeDef("customer", "score", "number"),
            new AttributeDef("customer", "seats", "integer"),
            new AttributeDef("customer", "renewalDate", "date"),
            new AttributeDef("customer", "trialEndsAt", "timestamp"),
            new AttributeDef("purchase", "coupon", "string"),
            new AttributeDef("interaction", "durationMin", "integer")));

    static final RuleParser PARSER = new RuleParser();
    /** Every segment key exists (static); only "missing" does not. */
    static final RuleValidator VALIDATOR = new RuleValidator(CATALOG,
            k -> k.equals("missing") ? Optional.empty() : Optional.of(new ResolvedSegment.Static(1)));

    /** JSON with ' for " (as in the rule package's tests). */
    static JsonNode j(String json) {
        try {
            return MAPPER.readTree(json.replace('\'', '"'));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(json.length() > 200 ? json.substring(0, 200) + "..." : json, e);
        }
    }

    static String compact(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The native rule parses and validates against CATALOG. */
    static void assertValidNative(JsonNode nativeRule) {
        RuleNode n;
        try {
            n = PARSER.parse(nativeRule);
        } catch (InvalidRuleException e) {
            fail("does not parse: " + compact(nativeRule) + ": " + e.errors());
            return;
        }
        List<RuleError> errors = VALIDATOR.validate(n);
        assertEquals(List.of(), errors, "not valid: " + compact(nativeRule));
    }

    /** The errors of a failed translation as "pointer code". */
    static List<String> translationErrors(RuleFormat format, JsonNode in) {
        try {
            JsonNode out = RuleFormats.toNative(format, in);
            fail("expected an InvalidRuleException, got " + compact(out));
            return List.of();
        } catch (InvalidRuleException e) {
            return e.errors().stream().map(x -> x.pointer() + " " + x.code()).toList();
        }
    }
}
