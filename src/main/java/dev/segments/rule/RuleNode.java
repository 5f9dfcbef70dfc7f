package dev.segments.rule;

import java.util.List;
import java.util.Objects;

/**
 * The parsed rule tree. Every node carries the RFC 6901 JSON Pointer of the JSON object it came from,
 * so that validation errors point at the offending node.
 */
public sealed interface RuleNode
        permits RuleNode.Group, RuleNode.Not, RuleNode.Condition, RuleNode.Aggregate, RuleNode.SegmentRef {

    /** JSON Pointer of this node in the submitted document ("" for the root). */
    String pointer();

    enum Combinator { AND, OR }

    enum AggregateFn {
        COUNT("count"), SUM("sum"), AVG("avg"), MIN("min"), MAX("max");

        private final String json;

        AggregateFn(String json) { this.json = json; }

        public String json() { return json; }

        public static java.util.Optional<AggregateFn> fromJson(String s) {
            for (AggregateFn f : values()) if (f.json.equals(s)) return java.util.Optional.of(f);
            return java.util.Optional.empty();
        }
    }

    /** {"and": [...]} or {"or": [...]}. */
    record Group(String pointer, Combinator combinator, List<RuleNode> children) implements RuleNode {
        public Group {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(combinator);
            children = List.copyOf(children);
        }
    }

    /** {"not": rule}. */
    record Not(String pointer, RuleNode child) implements RuleNode {
        public Not {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(child);
        }
    }

    /** {"field", "op", "value"}; value is null for isSet / isNotSet. */
    record Condition(String pointer, String field, Operator op, Value value) implements RuleNode {
        public Condition {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(field);
            Objects.requireNonNull(op);
        }
    }

    /**
     * {"aggregate", "of", "field"?, "where"?, "within"?, "op", "value"}. field, where and within may be null;
     * within is a {@link Value.Literal} holding an ISO-8601 duration string or a {@link Value.Window}.
     */
    record Aggregate(String pointer, AggregateFn fn, String stream, String field, RuleNode where, Value within,
                     Operator op, Value value) implements RuleNode {
        public Aggregate {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(fn);
            Objects.requireNonNull(stream);
            Objects.requireNonNull(op);
        }
    }

    /** {"segment": "key"}: member of another segment. */
    record SegmentRef(String pointer, String key) implements RuleNode {
        public SegmentRef {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(key);
        }
    }
}
