package dev.segments.analytics.service;

import dev.segments.rule.RuleError;
import dev.segments.rule.RuleNode;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.SegmentResolver;
import dev.segments.rule.Value;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;

/** What the lead-scoring model checks in its rules beyond the rule language. */
final class ScoringRules {

    /** The fields a scoring rule may not read: the score it computes. */
    static final Set<String> OWN_FIELDS = Set.of("leadScore", "leadTemperature");

    private ScoringRules() {
    }

    /** Whether the rule has an aggregate outside any {@code not}: the activity that dates its points (decay). */
    static boolean hasPositiveAggregate(RuleNode n) {
        return switch (n) {
            case RuleNode.Group g -> g.children().stream().anyMatch(ScoringRules::hasPositiveAggregate);
            case RuleNode.Not not -> false;
            case RuleNode.Aggregate a -> true;
            case RuleNode.Condition c -> false;
            case RuleNode.SegmentRef s -> false;
        };
    }

    /**
     * Every place the rule reads the lead score it would compute: a condition on leadScore or leadTemperature, a
     * ref to them, or a reference to a segment whose rule (transitively) does.
     */
    static List<RuleError> readsOwnScore(RuleNode rule, SegmentResolver segments) {
        List<RuleError> out = new java.util.ArrayList<>();
        walk(rule, segments, new ArrayDeque<>(), out, true);
        return out;
    }

    private static RuleError own(String pointer) {
        return new RuleError(pointer, "not_allowed",
                "a scoring rule cannot read the lead score it computes (leadScore, leadTemperature)");
    }

    /** Returns whether the subtree reads the score; records errors only at the top level (report). */
    private static boolean walk(RuleNode n, SegmentResolver segments, Deque<String> path, List<RuleError> out, boolean report) {
        switch (n) {
            case RuleNode.Group g -> {
                boolean any = false;
                for (RuleNode c : g.children()) any |= walk(c, segments, path, out, report);
                return any;
            }
            case RuleNode.Not not -> {
                return walk(not.child(), segments, path, out, report);
            }
            case RuleNode.Condition c -> {
                boolean field = OWN_FIELDS.contains(c.field());
                boolean ref = c.value() instanceof Value.Ref r && OWN_FIELDS.contains(r.field());
                if (report && field) out.add(own(c.pointer() + "/field"));
                if (report && ref) out.add(own(c.value().pointer() + "/ref"));
                return field || ref;
            }
            case RuleNode.Aggregate a -> {
                // the where's fields are the stream's (never these names); its refs and the compared value may
                // name the customer's fields
                boolean own = a.where() != null && walk(a.where(), segments, path, out, report);
                if (a.value() instanceof Value.Ref r && OWN_FIELDS.contains(r.field())) {
                    own = true;
                    if (report) out.add(own(r.pointer() + "/ref"));
                }
                return own;
            }
            case RuleNode.SegmentRef s -> {
                if (path.contains(s.key())) return false; // a cycle is the validator's error
                boolean own = segments.resolve(s.key()).map(rs -> {
                    if (!(rs instanceof ResolvedSegment.Dynamic d)) return false;
                    path.push(s.key());
                    boolean r = walk(d.rule(), segments, path, out, false);
                    path.pop();
                    return r;
                }).orElse(false);
                if (own && report) {
                    out.add(new RuleError(s.pointer() + "/segment", "not_allowed",
                            "segment '" + s.key() + "' reads the lead score, which a scoring rule cannot read"));
                }
                return own;
            }
        }
    }
}
