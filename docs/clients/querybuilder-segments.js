// react-querybuilder (https://react-querybuilder.js.org, 8.x) and the segments service: the small piece that makes the
// service's operators without a react-querybuilder name survive the library's JsonLogic export and import.
//
// GET /fields/querybuilder (GraphQL `queryBuilderFields`) hands out react-querybuilder's standard operator names
// wherever one means the same (=, !=, <, <=, >, >=, contains, beginsWith, endsWith, doesNotContain,
// doesNotBeginWith, doesNotEndWith, null, notNull, in, notIn, between, notBetween), which the library's own
// formatQuery / parseJsonLogic know. Five operators have no standard name (within, notWithin on dates and
// timestamps; hasAny, hasAll, hasNone on string lists), and two reserved fields stand for what is not a field
// condition ($segment: membership of another segment; $aggregate: a native aggregate object). formatQuery drops
// rules it has no processor for without a word, so pass these hooks:
//
//   import { formatQuery } from 'react-querybuilder/formatQuery';
//   import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';
//   import { segmentsRuleProcessor, segmentsJsonLogicOperations } from './querybuilder-segments.js';
//   const logic = formatQuery(query, { format: 'jsonlogic', ruleProcessor: segmentsRuleProcessor });
//   const back = parseJsonLogic(logic, { jsonLogicOperations: segmentsJsonLogicOperations });
//
// or the two wrappers below (toJsonLogic / fromJsonLogic). The JsonLogic written is what the service reads
// (ruleFormat=jsonlogic): the extra operators as {"within": [{"var": f}, "P90D"]}, a segment as {"segment": key},
// an aggregate as {"aggregate": {...}}. The service's native operator names (eq, gt, startsWith, isSet, ...), which
// it still accepts in queries, are exported under their standard names. Tested against react-querybuilder 8.24.1
// and the service in the service's suite (src/test/node/querybuilder).
//
// The library's own JsonLogic uses JavaScript semantics where it evaluates builtins (`in` is case-sensitive, `<` on
// dates compares text): send it to the service, which reads it with the rule language's semantics; to evaluate a
// saved segment in the browser, fetch the service's export (GET /segments/{key}/rule?format=jsonlogic) and use
// jsonlogic-segments.js.

import { defaultRuleProcessorJsonLogic, formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';

/** Reserved field: {"field": "$segment", "operator": "=" | "!=", "value": "<segment key>"}. */
export const SEGMENT_FIELD = '$segment';
/** Reserved field: {"field": "$aggregate", "operator": "=", "value": {native aggregate object}}. */
export const AGGREGATE_FIELD = '$aggregate';

/** The service's operators without a react-querybuilder name, written as JsonLogic custom operations. */
export const EXTRA_OPERATORS = ['within', 'notWithin', 'hasAny', 'hasAll', 'hasNone'];
const LIST_OPERATORS = new Set(['hasAny', 'hasAll', 'hasNone']);

/** Native operator names (accepted by the service in queries) -> react-querybuilder's name for the same. */
const STANDARD = {
  eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=', before: '<', after: '>',
  startsWith: 'beginsWith', notContains: 'doesNotContain', isSet: 'notNull', isNotSet: 'null',
};

/** react-querybuilder's list convention: split at commas not preceded by a backslash, trim, drop empty items. */
function toList(value) {
  if (Array.isArray(value)) return value;
  if (typeof value !== 'string') return [value];
  return value.split(/(?<!\\),/).map((s) => s.replaceAll('\\,', ',').trim()).filter((s) => s !== '');
}

/** formatQuery's ruleProcessor for format "jsonlogic": the extras and reserved fields, else the library's own. */
export function segmentsRuleProcessor(rule, options) {
  const { field, operator, value, valueSource } = rule;
  if (field === SEGMENT_FIELD) {
    const ref = { segment: value };
    if (operator === '=') return ref;
    if (operator === '!=') return { '!': ref };
    return false;
  }
  if (field === AGGREGATE_FIELD) return operator === '=' ? { aggregate: value } : false;
  if (EXTRA_OPERATORS.includes(operator)) {
    const operand = valueSource === 'field' ? { var: `${value}` } : LIST_OPERATORS.has(operator) ? toList(value) : value;
    return { [operator]: [{ var: field }, operand] };
  }
  const standard = STANDARD[operator];
  return defaultRuleProcessorJsonLogic(standard ? { ...rule, operator: standard } : rule, options);
}

const custom = (operator) => (args) => {
  if (!Array.isArray(args) || args.length !== 2 || typeof args[0]?.var !== 'string') return false;
  const [{ var: field }, operand] = args;
  if (operand !== null && typeof operand === 'object' && !Array.isArray(operand)) {
    return typeof operand.var === 'string' ? { field, operator, value: operand.var, valueSource: 'field' } : false;
  }
  return { field, operator, value: operand };
};

/** parseJsonLogic's jsonLogicOperations: the custom operations above back as rules. */
export const segmentsJsonLogicOperations = {
  ...Object.fromEntries(EXTRA_OPERATORS.map((op) => [op, custom(op)])),
  segment: (key) => {
    const k = Array.isArray(key) ? key[0] : key;
    return typeof k === 'string' && k !== '' ? { field: SEGMENT_FIELD, operator: '=', value: k } : false;
  },
  aggregate: (agg) => (agg && typeof agg === 'object' && !Array.isArray(agg)
    ? { field: AGGREGATE_FIELD, operator: '=', value: agg } : false),
};

/** formatQuery(query, "jsonlogic") with the hooks (other formatQuery options may be passed). */
export function toJsonLogic(query, options = {}) {
  return formatQuery(query, { ...options, format: 'jsonlogic', ruleProcessor: segmentsRuleProcessor });
}

/** parseJsonLogic with the hooks (other parseJsonLogic options may be passed). */
export function fromJsonLogic(logic, options = {}) {
  return parseJsonLogic(logic, {
    ...options,
    jsonLogicOperations: { ...segmentsJsonLogicOperations, ...options.jsonLogicOperations },
  });
}
