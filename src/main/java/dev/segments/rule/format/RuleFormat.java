package dev.segments.rule.format;

import java.util.Locale;

/** The formats a segment rule can be sent and exported in. Rules are always stored in {@link #NATIVE}. */
public enum RuleFormat {
    /** The rule language itself (docs/rule-language.md). */
    NATIVE("native"),
    /** A react-querybuilder query: {"combinator", "not"?, "rules": [...]}. */
    QUERY_BUILDER("querybuilder"),
    /** JsonLogic (jsonlogic.com) with the custom operations documented in docs/rule-semantics.md. */
    JSON_LOGIC("jsonlogic");

    private final String param;

    RuleFormat(String param) { this.param = param; }

    /** Canonical parameter value: "native", "querybuilder" or "jsonlogic". */
    public String param() { return param; }

    /**
     * Parses a query/header parameter. Case-insensitive; '-', '_' and spaces are ignored, so "querybuilder",
     * "query-builder", "react-querybuilder", "rqb", "jsonlogic", "json-logic", "JSON_LOGIC" and "native" are
     * accepted. null or blank means {@link #NATIVE}.
     *
     * @throws IllegalArgumentException for anything else (the message lists the accepted values)
     */
    public static RuleFormat fromParam(String s) {
        if (s == null || s.isBlank()) return NATIVE;
        String k = s.strip().toLowerCase(Locale.ROOT).replace("-", "").replace("_", "").replace(" ", "");
        return switch (k) {
            case "native" -> NATIVE;
            case "querybuilder", "reactquerybuilder", "rqb" -> QUERY_BUILDER;
            case "jsonlogic" -> JSON_LOGIC;
            default -> throw new IllegalArgumentException(
                    "unknown rule format '" + s + "'; expected one of native, querybuilder, jsonlogic");
        };
    }
}
