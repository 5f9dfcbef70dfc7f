// What react-querybuilder has no operator for (within, notWithin, hasAny, hasAll, hasNone, $segment, $aggregate)
// survives its JsonLogic export and import with the docs/clients/querybuilder-segments.js hooks: the service stores
// the same native rule for the query, for its round trip and for the JsonLogic, and for the round trip of its own
// react-querybuilder export. Without the hooks the library drops those rules (the reason the hooks exist).
import { formatQuery } from 'react-querybuilder/formatQuery';
import { parseJsonLogic } from 'react-querybuilder/parseJsonLogic';
import { docsModule } from './docs-modules.mjs';
import { extras } from './corpus.mjs';
import { call, canon, createSegment, customerCount, day, leaves, members, report, same } from './api.mjs';

const { toJsonLogic, fromJsonLogic } = await docsModule('querybuilder-segments.js');

await report(async (fail) => {
  const rules = extras(day);
  const sizes = {};
  let droppedWithoutHooks = 0;
  for (const { name, query } of rules) {
    const n = leaves(query).length;
    const plain = formatQuery(query, 'jsonlogic');
    if (leaves(plain ? parseJsonLogic(plain) : { rules: [] }).length < n) droppedWithoutHooks += 1;
    const logic = toJsonLogic(query);
    const back = fromJsonLogic(logic);
    if (leaves(back).length !== n) fail(`${name}: ${leaves(back).length} of ${n} rules came back: ${JSON.stringify(logic)}`);
    const original = await createSegment(query, 'querybuilder', 'extra');
    const stored = canon(original.rule);
    const exported = await call('GET', `/segments/${original.key}/rule?format=querybuilder`);
    for (const [how, rule, format] of [['fromJsonLogic(toJsonLogic)', back, 'querybuilder'], ['toJsonLogic', logic, 'jsonlogic'],
      ['the service export through toJsonLogic/fromJsonLogic', fromJsonLogic(toJsonLogic(exported)), 'querybuilder']]) {
      const s = await createSegment(rule, format, 'extra');
      if (canon(s.rule) !== stored) fail(`${name}: ${how} is stored as ${canon(s.rule)}, the query as ${stored}`);
    }
    const m = await members(query, 'querybuilder');
    sizes[name] = m.length;
    if (m.length === 0 || m.length === customerCount) fail(`${name}: ${m.length} of ${customerCount} members, the rule does not tell customers apart`);
    const viaLogic = await members(logic, 'jsonlogic');
    if (!same(m, viaLogic)) fail(`${name}: the JsonLogic has other members`);
  }
  if (droppedWithoutHooks === 0) fail('without the hooks react-querybuilder kept every rule: the corpus does not need them');
  return { rules: rules.length, droppedWithoutHooks, sizes };
});
