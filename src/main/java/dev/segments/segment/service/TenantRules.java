package dev.segments.segment.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.rule.CompileContext;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleParser;
import dev.segments.rule.RuleValidator;
import dev.segments.rule.SegmentResolver;
import dev.segments.rule.Source;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.format.NativeTranslation;
import dev.segments.rule.format.RuleFormat;
import dev.segments.rule.format.RuleFormats;
import dev.segments.rule.format.RuleText;
import dev.segments.rule.sql.QueryShapes;
import dev.segments.segment.persistence.SegmentRow;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * What a tenant's rules are checked and compiled against: the field catalog (built-in fields plus declared
 * attributes) and the tenant's segments (for references), as of {@code version} (tenant.rules_version).
 * Immutable (but for its private cache of parsed stored rules, filled on first use) and shared between requests
 * by {@link TenantRulesLoader}.
 */
public final class TenantRules {

    private final long version;
    private final FieldCatalog catalog;
    private final Map<String, SegmentRow> segments;
    private final RuleParser parser;
    /** Stored rules by segment key, parsed once: the AST is immutable, so every request shares it. */
    private final ConcurrentMap<String, RuleNode> parsed = new ConcurrentHashMap<>();
    /** Saved segments as validated rules (a reference to each), validated once per version. */
    private final ConcurrentMap<String, ValidatedRule> validated = new ConcurrentHashMap<>();
    /** The sources a clock-dependent leaf of the dynamic segments reads (null until first asked). */
    private volatile Set<Source> clockSources;

    public TenantRules(long version, FieldCatalog catalog, Map<String, SegmentRow> segments, RuleParser parser) {
        this.version = version;
        this.catalog = catalog;
        this.segments = Collections.unmodifiableMap(segments);
        this.parser = parser;
    }

    /** tenant.rules_version these rules were read at. */
    public long version() {
        return version;
    }

    public FieldCatalog catalog() {
        return catalog;
    }

    /** The tenant's segments by key. */
    public Map<String, SegmentRow> segments() {
        return segments;
    }

    public RuleParser parser() {
        return parser;
    }

    public SegmentResolver resolver() {
        return key -> Optional.ofNullable(segments.get(key)).map(this::resolve);
    }

    private ResolvedSegment resolve(SegmentRow row) {
        if (row.isStatic()) {
            return new ResolvedSegment.Static(row.id());
        }
        // the AST is immutable: every request compiling against this version shares one parse per segment
        return new ResolvedSegment.Dynamic(parsed.computeIfAbsent(row.key(), k -> parser.parse(row.rule())));
    }

    /**
     * Saved segment {@code key} as a rule to compile: a reference to it (its rule inlined, or its members for a
     * static segment), validated against these rules once and shared. 422 {@code invalid_segment} when its stored
     * rule no longer validates (an attribute it names is gone). The key must be one of {@link #segments()}.
     */
    public ValidatedRule segment(String key) {
        if (!segments.containsKey(key)) {
            throw new IllegalArgumentException("not a segment of this tenant: " + key);
        }
        try {
            return validated.computeIfAbsent(key, k -> new RuleValidator(catalog, resolver())
                    .check(new RuleNode.SegmentRef("", k)));
        } catch (InvalidRuleException e) {
            throw invalid(e);
        }
    }

    /**
     * Parses and validates a rule (for a segment saved under {@code key}, if given); 422 listing every problem:
     * the structural ones and, for the well-formed rest of the tree, the field, type and operator ones.
     */
    public ValidatedRule check(JsonNode rule, String key) {
        try {
            return parseAndValidate(rule, key);
        } catch (InvalidRuleException e) {
            throw invalid(e);
        }
    }

    /** A rule as checked: the native tree (what is stored) and its validated AST. */
    public record Checked(JsonNode rule, ValidatedRule validated) {
    }

    /**
     * Translates a rule sent in another format (react-querybuilder, JsonLogic) to the native language, then parses
     * and validates it like {@link #check(JsonNode, String)}; every problem points into the document as sent. A
     * document that does not translate whole is rejected with every translation error plus the parse and
     * validation errors of the parts that did translate (docs/rule-semantics.md, "Other formats").
     */
    public Checked check(JsonNode rule, RuleFormat format, String key) {
        if (format == null || format == RuleFormat.NATIVE) {
            return new Checked(rule, check(rule, key));
        }
        NativeTranslation translation = RuleFormats.translateAll(format, rule, catalog);
        if (!translation.complete()) {
            throw invalid(new InvalidRuleException(translation.allErrors(part -> problems(part, key))));
        }
        try {
            return new Checked(translation.rule(), parseAndValidate(translation.rule(), key));
        } catch (InvalidRuleException e) {
            throw invalid(translation.toSource(e));
        }
    }

    /** Every structural, field, type and operator problem of a native rule (empty: valid). */
    private List<RuleError> problems(JsonNode rule, String key) {
        RuleParser.Parsed parsed = parser.parseAll(rule);
        List<RuleError> errors = new ArrayList<>(parsed.errors());
        if (parsed.rule() != null) {
            errors.addAll(new RuleValidator(catalog, resolver()).validate(key, parsed.rule()));
        }
        return errors;
    }

    private ValidatedRule parseAndValidate(JsonNode rule, String key) {
        RuleParser.Parsed parsed = parser.parseAll(rule);
        RuleValidator validator = new RuleValidator(catalog, resolver());
        if (parsed.errors().isEmpty()) {
            return validator.check(key, parsed.rule());
        }
        List<RuleError> errors = new ArrayList<>(parsed.errors());
        if (parsed.rule() != null) {
            errors.addAll(validator.validate(key, parsed.rule()));
        }
        throw new InvalidRuleException(errors);
    }

    /** A rule format named by a client ({@code native}, {@code querybuilder}, {@code jsonlogic}); null is native. */
    public static RuleFormat format(String name, String pointer) {
        try {
            return RuleFormat.fromParam(name);
        } catch (IllegalArgumentException e) {
            throw ProblemException.validation(pointer, "invalid_value", e.getMessage());
        }
    }

    /** A rule in words (rule/format/RuleText): a stored native rule; segment references read as their names. */
    public String text(JsonNode nativeRule) {
        return RuleText.of(nativeRule, catalog, this::segmentName);
    }

    /** A parsed rule in words. */
    public String text(RuleNode rule) {
        return RuleText.of(rule, catalog, this::segmentName);
    }

    private Optional<String> segmentName(String key) {
        return Optional.ofNullable(segments.get(key)).map(SegmentRow::name);
    }

    public CompileContext context(OffsetDateTime now) {
        return new CompileContext(now, catalog, resolver());
    }

    /** The dynamic (rule-defined, not static) segments, in the order they were listed. */
    public List<SegmentRow> dynamicSegments() {
        return segments.values().stream().filter(s -> !s.isStatic()).toList();
    }

    /** Every dynamic segment as a rule (a reference to it), in the order the segments were listed. */
    public List<ValidatedRule> dynamicRules() {
        return dynamicSegments().stream().map(s -> segment(s.key())).toList();
    }

    /**
     * The writes that can move the dynamic segments' due instants ({@link QueryShapes#dueSources}), computed once
     * for this version of the rules (they do not depend on the clock): every write asks.
     */
    public Set<Source> clockSources(OffsetDateTime now) {
        Set<Source> s = clockSources;
        if (s == null) {
            s = QueryShapes.dueSources(dynamicRules(), context(now));
            clockSources = s;
        }
        return s;
    }

    public static ProblemException invalid(InvalidRuleException e) {
        List<FieldError> errors = e.errors().stream()
                .map(err -> new FieldError(err.pointer(), err.code(), err.message())).toList();
        return new ProblemException(ProblemType.INVALID_RULE, errors.size() == 1 ? errors.get(0).message()
                : errors.size() + " problems in the rule", errors);
    }
}
