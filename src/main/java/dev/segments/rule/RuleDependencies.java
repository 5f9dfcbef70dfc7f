package dev.segments.rule;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * What a validated rule depends on, for keeping its materialized membership current: which kinds of writes can
 * change it ({@link Source}: as the {@link FieldCatalog} says for each field and stream it reads), and the
 * shortest relative time window in it (within / notWithin, an aggregate's duration window, age), which bounds how
 * often time alone can change it. Referenced segments count too.
 */
public record RuleDependencies(Set<Source> sources, Optional<Duration> shortestWindow) {

    /** A fixed reference instant so that calendar durations (P1M, P1Y) have a length. */
    private static final OffsetDateTime REFERENCE = OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    /** Age changes with the calendar day. */
    private static final Duration AGE_WINDOW = Duration.ofDays(1);

    public boolean timeDependent() {
        return shortestWindow.isPresent();
    }

    public boolean dependsOn(Source source) {
        return sources.contains(source);
    }

    public static RuleDependencies of(ValidatedRule rule, SegmentResolver resolver) {
        return of(rule.node(), rule.catalog(), resolver);
    }

    /** What one node of a validated rule (validated against this catalog) depends on, its subtree included. */
    public static RuleDependencies of(RuleNode node, FieldCatalog catalog, SegmentResolver resolver) {
        Walk walk = new Walk(catalog, resolver);
        walk.node(node, null);
        return new RuleDependencies(Set.copyOf(walk.sources), Optional.ofNullable(walk.shortest));
    }

    private static final class Walk {
        final FieldCatalog catalog;
        final SegmentResolver resolver;
        final Set<Source> sources = EnumSet.noneOf(Source.class);
        final Deque<String> path = new ArrayDeque<>();
        Duration shortest;

        Walk(FieldCatalog catalog, SegmentResolver resolver) {
            this.catalog = catalog;
            this.resolver = resolver;
        }

        void node(RuleNode n, String stream) {
            switch (n) {
                case RuleNode.Group g -> g.children().forEach(c -> node(c, stream));
                case RuleNode.Not not -> node(not.child(), stream);
                case RuleNode.Condition c -> {
                    if (stream == null) {
                        field(c.field());
                    }
                    if (c.op() == Operator.WITHIN || c.op() == Operator.NOT_WITHIN) {
                        window(c.value());
                    }
                    if (c.value() instanceof Value.Ref r) {
                        field(r.field());
                    }
                }
                case RuleNode.Aggregate a -> {
                    sources.add(catalog.requireStream(a.stream()).source());
                    if (a.where() != null) {
                        node(a.where(), a.stream());
                    }
                    if (a.within() instanceof Value.Literal) {
                        window(a.within());
                    }
                    if (a.op() == Operator.WITHIN || a.op() == Operator.NOT_WITHIN) {
                        window(a.value()); // max of occurredAt within P30D: the result's window moves too
                    }
                    if (a.value() instanceof Value.Ref r) {
                        field(r.field());
                    }
                }
                case RuleNode.SegmentRef s -> {
                    if (path.contains(s.key())) {
                        return;
                    }
                    switch (resolver.resolve(s.key()).orElse(null)) {
                        case ResolvedSegment.Dynamic d -> {
                            path.push(s.key());
                            node(d.rule(), null);
                            path.pop();
                        }
                        case ResolvedSegment.Static st -> sources.add(Source.STATIC_MEMBERS);
                        case null -> {
                        }
                    }
                }
            }
        }

        /** A customer field: the writes the catalog says change it; a derived age also changes by the day. */
        void field(String name) {
            FieldDef f = catalog.requireCustomerField(name);
            sources.addAll(f.changedBy());
            switch (f.access()) {
                case FieldDef.Age age -> shorter(AGE_WINDOW);
                case FieldDef.Column col -> {
                }
                case FieldDef.Json json -> {
                }
                case FieldDef.Quotient q -> {
                }
            }
        }

        void window(Value value) {
            if (value instanceof Value.Literal l && l.value() instanceof String s) {
                Values.duration(s).ifPresent(d -> shorter(Duration.between(d.before(REFERENCE), REFERENCE)));
            }
        }

        void shorter(Duration d) {
            if (shortest == null || d.compareTo(shortest) < 0) {
                shortest = d;
            }
        }
    }
}
