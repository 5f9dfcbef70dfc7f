// react-querybuilder's own JsonLogic round trip, formatQuery(q, 'jsonlogic') then parseJsonLogic, with the operators
// GET /fields/querybuilder hands out: nothing is dropped, and the service evaluates the query, its round trip and the
// JsonLogic itself to the same members. Queries with only standard operators go through the plain library calls;
// all of them through the docs/clients/querybuilder-segments.js hooks; and the service's own react-querybuilder export
// of each saved query uses names the library knows and keeps the members.
import { formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';
import { defaultOperators } from 'react-querybuilder';
import { docsModule } from './docs-modules.mjs';
import { corpus } from './corpus.mjs';
import { call, createSegment, customerCount, day, diff, leaves, members, report, same } from './api.mjs';

const { toJsonLogic, fromJsonLogic, EXTRA_OPERATORS } = await docsModule('querybuilder-segments.js');
const standard = new Set(defaultOperators.map((o) => o.name));

await report(async (fail) => {
  const rules = corpus(day);
  const sizes = {};
  let plain = 0;
  let agreements = 0;
  for (const { name, query } of rules) {
    const expected = await members(query, 'querybuilder');
    sizes[name] = expected.length;
    if (expected.length === 0 || expected.length === customerCount) {
      fail(`${name}: ${expected.length} of ${customerCount} members, the rule does not tell customers apart`);
    }
    const variants = [];
    const n = leaves(query).length;
    if (leaves(query).every((r) => standard.has(r.operator))) {
      plain += 1;
      const logic = formatQuery(query, 'jsonlogic');
      const back = parseJsonLogic(logic);
      if (leaves(back).length !== n) fail(`${name}: plain formatQuery/parseJsonLogic kept ${leaves(back).length} of ${n} rules: ${JSON.stringify(logic)}`);
      variants.push(['plain parseJsonLogic(formatQuery)', back, 'querybuilder'], ['plain formatQuery JsonLogic', logic, 'jsonlogic']);
    }
    const logic = toJsonLogic(query);
    const back = fromJsonLogic(logic);
    if (leaves(back).length !== n) fail(`${name}: with the hooks ${leaves(back).length} of ${n} rules came back: ${JSON.stringify(logic)}`);
    variants.push(['fromJsonLogic(toJsonLogic)', back, 'querybuilder'], ['toJsonLogic', logic, 'jsonlogic']);
    // the service's own react-querybuilder export of the saved query: standard names, and the same round trip
    const saved = await createSegment(query, 'querybuilder', 'rt');
    const exported = await call('GET', `/segments/${saved.key}/rule?format=querybuilder`);
    const unknown = leaves(exported).filter((r) => !standard.has(r.operator) && !EXTRA_OPERATORS.includes(r.operator));
    if (unknown.length) fail(`${name}: the service exported operators react-querybuilder does not know: ${JSON.stringify(unknown)}`);
    variants.push(['the service export', exported, 'querybuilder'], ['the service export through the hooks', fromJsonLogic(toJsonLogic(exported)), 'querybuilder']);
    for (const [how, rule, format] of variants) {
      const got = await members(rule, format);
      if (same(expected, got)) agreements += 1;
      else fail(`${name}: ${how} has other members: ${JSON.stringify(diff(expected, got))}\n  ${JSON.stringify(rule)}`);
    }
  }
  return { rules: rules.length, plain, agreements, sizes };
});
