package dev.segments.rule;

/**
 * Size limits of a rule.
 *
 * @param maxDepth       maximum nesting depth of rule nodes (the root is depth 1; an aggregate's where is one deeper)
 * @param maxNodes       maximum number of rule nodes, including nodes inside aggregate where clauses
 * @param maxListValues  maximum number of values in one list value
 * @param maxJsonBytes   maximum size of the JSON text in UTF-8 bytes
 * @param maxChildren    maximum number of children of one and/or group
 */
public record RuleLimits(int maxDepth, int maxNodes, int maxListValues, int maxJsonBytes, int maxChildren) {
    public static final RuleLimits DEFAULTS = new RuleLimits(12, 200, 10_000, 64 * 1024, 100);

    public RuleLimits {
        if (maxDepth < 1 || maxNodes < 1 || maxListValues < 1 || maxJsonBytes < 2 || maxChildren < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }
}
