// Every operator of every field GET /fields/querybuilder hands out is one react-querybuilder knows (its
// defaultOperators) or one of the few the docs/clients hooks add; a query holding each one survives the library's
// JsonLogic export and import (the standard ones without the hooks), and the service accepts what comes back.
import { formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';
import { defaultOperators } from 'react-querybuilder';
import { docsModule } from './docs-modules.mjs';
import { call, leaves, report } from './api.mjs';

const { toJsonLogic, fromJsonLogic, EXTRA_OPERATORS, SEGMENT_FIELD } = await docsModule('querybuilder-segments.js');
const standard = new Set(defaultOperators.map((o) => o.name));

function sample(field, operator) {
  if (operator === 'null' || operator === 'notNull') return '';
  if (field.name === SEGMENT_FIELD) return field.values[0].name;
  const one = { number: 5, integer: 3, boolean: true, date: '2024-01-01', timestamp: '2024-01-01T10:00:00Z' }[field.datatype] ?? 'x';
  const two = { number: 10, integer: 4, date: '2024-12-31', timestamp: '2024-12-31T10:00:00Z' }[field.datatype] ?? 'y';
  if (operator === 'within' || operator === 'notWithin') return 'P30D';
  if (field.datatype === 'stringList') return [one, two];
  if (['in', 'notIn', 'between', 'notBetween'].includes(operator)) return [one, two];
  return one;
}

await report(async (fail) => {
  const fields = await call('GET', '/fields/querybuilder');
  let operators = 0;
  let plainKept = 0;
  for (const field of fields) {
    const rules = field.operators.map((o) => ({ field: field.name, operator: o.name, value: sample(field, o.name) }));
    for (const o of field.operators) {
      if (!standard.has(o.name) && !EXTRA_OPERATORS.includes(o.name)) fail(`${field.name}: operator ${o.name} is neither react-querybuilder's nor an extra`);
    }
    const query = { combinator: 'or', rules };
    operators += rules.length;
    const names = (q) => leaves(q).map((r) => r.operator);
    const plainOnly = rules.filter((r) => standard.has(r.operator) && field.name !== SEGMENT_FIELD);
    if (plainOnly.length) {
      const back = parseJsonLogic(formatQuery({ combinator: 'or', rules: plainOnly }, 'jsonlogic'));
      if (names(back).join() !== plainOnly.map((r) => r.operator).join()) {
        fail(`${field.name}: plain formatQuery/parseJsonLogic gave back [${names(back)}] for [${plainOnly.map((r) => r.operator)}]`);
      }
      plainKept += names(back).length;
    }
    const back = fromJsonLogic(toJsonLogic(query));
    // parseJsonLogic reads {"!": X} as a negated group unless X is one of its own negatable operators
    const expected = rules.map((r) => (r.field === SEGMENT_FIELD && r.operator === '!=' ? '=' : r.operator));
    const negated = (back.rules ?? []).filter((r) => r.not).length;
    if (negated !== rules.filter((r) => r.field === SEGMENT_FIELD && r.operator === '!=').length) {
      fail(`${field.name}: ${negated} negated groups came back for ${JSON.stringify(rules)}`);
    }
    if (names(back).join() !== expected.join()) {
      fail(`${field.name}: with the hooks [${names(back)}] came back for [${rules.map((r) => r.operator)}]`);
    }
    for (const q of [query, back]) {
      try {
        await call('POST', '/segments/preview', { rule: q, ruleFormat: 'querybuilder', sampleSize: 0 });
      } catch (e) {
        fail(`${field.name}: the service refused ${JSON.stringify(q)}: ${e.message}`);
      }
    }
  }
  return { fields: fields.length, operators, plainKept };
});
