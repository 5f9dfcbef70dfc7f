package dev.segments.rule;

import java.util.Objects;

/**
 * A rule that passed {@link RuleValidator} against a tenant's {@link FieldCatalog} and segments: the only input the
 * compiler ({@code rule.sql}) accepts. Only the validator makes one (the constructor is package-private), so a
 * compiled rule has been validated exactly once, where it entered the system.
 */
public final class ValidatedRule {

    private final RuleNode node;
    private final FieldCatalog catalog;

    ValidatedRule(RuleNode node, FieldCatalog catalog) {
        this.node = Objects.requireNonNull(node);
        this.catalog = Objects.requireNonNull(catalog);
    }

    /** The rule's tree. */
    public RuleNode node() {
        return node;
    }

    /** The catalog it was validated against: compiling it against another one is a bug. */
    public FieldCatalog catalog() {
        return catalog;
    }

    @Override
    public String toString() {
        return "ValidatedRule[" + node + "]";
    }
}
