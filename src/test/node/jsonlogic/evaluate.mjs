// The service's JsonLogic export, evaluated by json-logic-js with the operations of docs/clients/jsonlogic-segments.js
// over every customer as GET /customers returns it (customerData), gives exactly the service's members, for every
// rule of the corpus (saved as a segment, exported with GET /segments/{key}/rule?format=jsonlogic), at the same clock.
// Also checks that the corpus covers every native operator, and that it would catch the naive evaluation (the
// library's own JsonLogic with plain json-logic-js disagrees with the service on some rules).
import jsonLogic from 'json-logic-js';
import { formatQuery } from 'react-querybuilder/formatQuery';
import { addSegmentsOperations, customerData } from '../../../../docs/clients/jsonlogic-segments.js';
import { corpus } from '../querybuilder/corpus.mjs';
import { asOf, call, createSegment, customers, day, diff, members, report, same } from '../querybuilder/api.mjs';

const NATIVE = ['isSet', 'isNotSet', 'eq', 'neq', 'in', 'notIn', 'contains', 'notContains', 'startsWith', 'endsWith',
  'gt', 'gte', 'lt', 'lte', 'between', 'before', 'after', 'within', 'notWithin', 'hasAny', 'hasAll', 'hasNone'];

function nativeOps(rule, into) {
  if (Array.isArray(rule)) rule.forEach((r) => nativeOps(r, into));
  else if (rule && typeof rule === 'object') {
    if (typeof rule.op === 'string') into.add(rule.op);
    Object.values(rule).forEach((v) => nativeOps(v, into));
  }
  return into;
}

await report(async (fail) => {
  const all = await customers();
  const rules = corpus(day);
  // the naive way first (react-querybuilder's JsonLogic in plain json-logic-js, before the operations are
  // registered; json-logic-js is one global engine): where it runs at all it must disagree somewhere
  const data = all.map((c) => [c.externalId, customerData(c, { now: asOf })]);
  const expectedByRule = [];
  let naiveDisagreements = 0;
  for (const { query } of rules) {
    const expected = await members(query, 'querybuilder');
    expectedByRule.push(expected);
    const logic = formatQuery(query, 'jsonlogic');
    let got = null;
    try {
      got = data.filter(([, d]) => jsonLogic.truthy(jsonLogic.apply(logic, d))).map(([id]) => id).sort();
    } catch {
      // an operation plain json-logic-js does not know (startsWith, ...): not counted
    }
    if (got && !same(expected, got)) naiveDisagreements += 1;
  }
  if (naiveDisagreements === 0) fail('plain json-logic-js agreed with the service on every rule: the corpus cannot tell');

  addSegmentsOperations(jsonLogic, { now: asOf });
  const covered = new Set();
  const builtins = new Set();
  let agreements = 0;
  for (const [i, { name, query }] of rules.entries()) {
    const segment = await createSegment(query, 'querybuilder', 'logic');
    nativeOps(segment.rule, covered);
    const logic = await call('GET', `/segments/${segment.key}/rule?format=jsonlogic`);
    JSON.stringify(logic).replace(/"(==|!=|in|!!|!)":/g, (m, op) => builtins.add(op));
    const expected = expectedByRule[i];
    const serviceOnNative = await members(segment.rule, 'native');
    if (!same(expected, serviceOnNative)) fail(`${name}: the stored rule has other members than the query`);
    let got;
    try {
      got = data.filter(([, d]) => jsonLogic.truthy(jsonLogic.apply(logic, d))).map(([id]) => id).sort();
    } catch (e) {
      fail(`${name}: json-logic-js failed on ${JSON.stringify(logic)}: ${e.message}`);
      continue;
    }
    if (same(expected, got)) agreements += 1;
    else fail(`${name}: json-logic-js disagrees with the service: ${JSON.stringify(diff(expected, got))}\n  ${JSON.stringify(logic)}`);
  }
  const uncovered = NATIVE.filter((op) => !covered.has(op));
  if (uncovered.length) fail(`the corpus does not cover ${uncovered.join(', ')}`);
  return { rules: rules.length, customers: all.length, agreements, naiveDisagreements, builtins: [...builtins].sort(), covered: covered.size };
});
