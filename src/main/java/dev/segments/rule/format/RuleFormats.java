package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleLimits;
import dev.segments.rule.RuleParser;

import java.util.List;
import java.util.Objects;

/**
 * Translation between the native rule language and the other formats clients use (react-querybuilder queries,
 * JsonLogic). Purely syntactic: field names, types and values are left to RuleParser / RuleValidator, which run
 * on the native result; shapes that cannot be translated are rejected here, all of them at once, with pointers
 * into the submitted document. Conventions: docs/rule-semantics.md, "Other formats".
 *
 * <p>Typical write path: {@code t = translate(format, body, catalog)}, then parse and validate {@code t.rule()},
 * mapping their errors with {@code t.toSource(...)}, and store {@code t.rule()}. Export: {@link #fromNative}.
 */
public final class RuleFormats {

    /** Structural check of rules being exported: they were valid when stored, so be generous with limits. */
    private static final RuleParser EXPORT_PARSER =
            new RuleParser(new RuleLimits(64, 100_000, 1_000_000, 64 * 1024 * 1024, 100_000));

    private RuleFormats() {
    }

    /**
     * The native form of a rule submitted in {@code format} (NATIVE: returned as it is).
     *
     * @throws InvalidRuleException if it cannot be translated; pointers point into {@code rule}
     */
    public static JsonNode toNative(RuleFormat format, JsonNode rule) {
        return translate(format, rule, null).rule();
    }

    /**
     * As {@link #toNative(RuleFormat, JsonNode)}; the catalog (may be null) only disambiguates comparisons
     * ({@code <} on a time field is {@code before}, on a number {@code lt}) where the value alone does not tell.
     */
    public static JsonNode toNative(RuleFormat format, JsonNode rule, FieldCatalog catalog) {
        return translate(format, rule, catalog).rule();
    }

    /**
     * Translates a rule submitted in {@code format} and keeps the pointer mapping, so that errors found later in
     * the native rule (RuleParser, RuleValidator) can be reported against the submitted document.
     *
     * @param catalog optional (null: decide time comparisons from the values alone)
     * @throws InvalidRuleException with every problem found, pointers into {@code rule}
     */
    public static NativeTranslation translate(RuleFormat format, JsonNode rule, FieldCatalog catalog) {
        NativeTranslation t = translateAll(format, rule, catalog);
        if (!t.complete()) throw new InvalidRuleException(t.errors());
        return t;
    }

    /**
     * Translates all of a rule submitted in {@code format} that can be translated, and does not throw for what
     * cannot: the result is either {@link NativeTranslation#complete() complete}, or holds every translation error
     * and the parts that did translate, so that {@link NativeTranslation#allErrors} can list every error of the
     * document (docs/rule-semantics.md, "Other formats", errors).
     *
     * @param catalog optional (null: decide time comparisons from the values alone)
     * @throws InvalidRuleException only for a missing native rule
     */
    public static NativeTranslation translateAll(RuleFormat format, JsonNode rule, FieldCatalog catalog) {
        Objects.requireNonNull(format, "format");
        if (format == RuleFormat.NATIVE) {
            if (rule == null || rule.isMissingNode()) {
                throw new InvalidRuleException(List.of(new RuleError("", "invalid_shape", "rule is missing")));
            }
            return NativeTranslation.ofNative(rule);
        }
        TranslationBuilder tb = new TranslationBuilder(catalog);
        JsonNode out = switch (format) {
            case QUERY_BUILDER -> QueryBuilderFormat.toNative(tb, rule);
            case JSON_LOGIC -> JsonLogicFormat.toNative(tb, rule);
            case NATIVE -> throw new IllegalStateException();
        };
        return tb.finish(format, rule, out);
    }

    /**
     * A native rule (as stored) in {@code format}. Every rule the native parser accepts can be exported; for every
     * valid rule (one the validator accepts) importing the export with {@link #toNative} gives back an equal rule
     * (JsonNode equality), with or without a catalog.
     *
     * @throws InvalidRuleException if {@code nativeRule} is not a structurally valid native rule
     */
    public static JsonNode fromNative(RuleFormat format, JsonNode nativeRule) {
        return fromNative(format, nativeRule, null);
    }

    /**
     * As {@link #fromNative(RuleFormat, JsonNode)}, with the catalog the rule was validated against (may be null),
     * which tells the field types the value alone does not: JsonLogic then uses a builtin only where json-logic-js
     * evaluates it exactly like the service (docs/rule-semantics.md, "JsonLogic", export), and the
     * react-querybuilder export writes a standard operator name wherever it reads back with that catalog (importing
     * the export with the same catalog gives back an equal rule).
     *
     * @throws InvalidRuleException if {@code nativeRule} is not a structurally valid native rule
     */
    public static JsonNode fromNative(RuleFormat format, JsonNode nativeRule, FieldCatalog catalog) {
        Objects.requireNonNull(format, "format");
        EXPORT_PARSER.parse(nativeRule);
        return switch (format) {
            case NATIVE -> nativeRule.deepCopy();
            case QUERY_BUILDER -> QueryBuilderFormat.fromNative(nativeRule, catalog);
            case JSON_LOGIC -> JsonLogicFormat.fromNative(nativeRule, catalog);
        };
    }
}
