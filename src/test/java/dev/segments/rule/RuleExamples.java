package dev.segments.rule;

/** Rules the tests share: the canonical example of docs/rule-language.md, as a client sends it. */
public final class RuleExamples {

    public static final String CANONICAL = """
            {"and": [
              {"field": "lastPurchaseAt", "op": "within", "value": "P90D"},
              {"aggregate": "sum", "of": "purchases", "field": "amount", "within": "P365D", "op": "gt", "value": 1000},
              {"aggregate": "count", "of": "interactions",
               "where": {"and": [
                 {"field": "type", "op": "eq", "value": "consultation"},
                 {"field": "occurredAt", "op": "before", "value": {"ref": "lastPurchaseAt"}}]},
               "op": "gte", "value": 2}
            ]}""";

    private RuleExamples() {
    }
}
