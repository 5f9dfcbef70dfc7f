// The integrator's scenario with a TypeScript client: types from openapi-typescript (generated from the committed
// spec into ./generated/schema.ts by client/TypeScriptClientTest) and openapi-fetch. Type-checked by
// `tsc --noEmit -p openapi` (strict) before tsx runs it against the test service (SEGMENTS_URL, SEGMENTS_KEY).
// Every check throws on a mismatch; the last line printed is a JSON summary the test asserts on.
import assert from 'node:assert/strict';
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/schema.js';

type Schemas = components['schemas'];
type Rule = Schemas['Rule'];

const baseUrl = process.env.SEGMENTS_URL;
const key = process.env.SEGMENTS_KEY;
assert.ok(baseUrl && key, 'SEGMENTS_URL and SEGMENTS_KEY are set');
const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key}` } });
const steps: string[] = [];

/** The body of a successful call; anything else fails the scenario with the problem. */
function ok<T>(result: { data?: T; error?: unknown; response: Response }, what: string): T {
  assert.ok(result.response.ok && result.data !== undefined,
    `${what}: ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

const condition = (field: string, op: Schemas['RuleOperator'], value?: unknown): Rule =>
  value === undefined ? { field, op } : { field, op, value };

// customers and purchases
const profiles: { externalId: string; region: string; city: string; tags: string[]; amounts: number[] }[] = [
  { externalId: 'c1', region: 'North', city: 'Omsk', tags: ['b2b'], amounts: [100, 100] },
  { externalId: 'c2', region: 'North', city: 'Kazan', tags: ['b2b'], amounts: [100] },
  { externalId: 'c3', region: 'North', city: 'Omsk', tags: ['b2b'], amounts: [100] },
  { externalId: 'c4', region: 'North', city: 'Kazan', tags: ['b2b', 'blocked'], amounts: [200] },
  { externalId: 'c5', region: 'South', city: 'Kazan', tags: ['b2b'], amounts: [300] },
  { externalId: 'c6', region: 'North', city: 'Kazan', tags: [], amounts: [] },
  { externalId: 'c7', region: 'North', city: 'Omsk', tags: ['b2b'], amounts: [500] },
];
const ids = new Map<string, number>();
const occurredAt = new Date(Date.now() - 3 * 86_400_000).toISOString();
for (const p of profiles) {
  const customer = ok(await api.POST('/customers', {
    body: { externalId: p.externalId, name: `Customer ${p.externalId}`, region: p.region, city: p.city, tags: p.tags },
  }), 'createCustomer');
  assert.deepEqual(customer.tags, p.tags);
  assert.ok(customer.id !== undefined);
  ids.set(p.externalId, customer.id);
  for (const amount of p.amounts) {
    const purchase: Schemas['Purchase'] = ok(await api.POST('/purchases', {
      body: { customerId: customer.id, occurredAt, amount, currency: 'EUR' },
    }), 'recordPurchase');
    assert.equal(purchase.customerId, customer.id);
  }
}
const id = (externalId: string): number => {
  const value = ids.get(externalId);
  assert.ok(value !== undefined, externalId);
  return value;
};
steps.push('customers', 'purchases');

// a segment: North and (spend >= 150 or city Kazan) and not tagged blocked
const rule: Rule = {
  and: [
    condition('region', 'eq', 'North'),
    { or: [
      { aggregate: 'sum', of: 'purchases', field: 'amount', op: 'gte', value: 150 },
      condition('city', 'eq', 'Kazan'),
    ] },
    { not: condition('tags', 'hasAny', ['blocked']) },
  ],
};
const segment = ok(await api.POST('/segments', {
  body: { key: 'north-buyers', name: 'North buyers', rule, tags: ['typescript-client'] },
}), 'createSegment');
assert.equal(segment.key, 'north-buyers');
assert.deepEqual(segment.rule, rule);
const expected = ['c1', 'c2', 'c6', 'c7'].map(id).sort((a, b) => a - b);
steps.push('segment');

const preview = ok(await api.POST('/segments/preview', { body: { rule, sampleSize: 2 } }), 'previewSegment');
assert.equal(preview.count, 4);
assert.equal(preview.sample?.length, 2);
steps.push('preview');

// every member, page by page
const members: number[] = [];
const pageSizes: number[] = [];
let after: string | undefined;
do {
  const page = ok(await api.GET('/segments/{key}/members', {
    params: { path: { key: 'north-buyers' }, query: { limit: 3, ...(after ? { after } : {}) } },
  }), 'listSegmentMembers');
  for (const m of page.items ?? []) {
    assert.ok(m.id !== undefined);
    members.push(m.id);
  }
  pageSizes.push(page.items?.length ?? 0);
  after = page.nextCursor ?? undefined;
} while (after);
assert.deepEqual(members.sort((a, b) => a - b), expected);
assert.deepEqual(pageSizes, [3, 1]);
steps.push('members');

const ofC2 = ok(await api.GET('/customers/{customerId}/segments', {
  params: { path: { customerId: id('c2') } },
}), 'listCustomerSegments');
assert.ok(ofC2.some((s) => s.key === 'north-buyers'));
const ofC3 = ok(await api.GET('/customers/{customerId}/segments', {
  params: { path: { customerId: id('c3') } },
}), 'listCustomerSegments');
assert.ok(!ofC3.some((s) => s.key === 'north-buyers'));
steps.push('customerSegments');

const csv = ok(await api.GET('/segments/{key}/members.csv', {
  params: { path: { key: 'north-buyers' } }, parseAs: 'text',
}), 'exportSegmentMembers');
const lines = csv.split('\n').filter((l) => l.trim() !== '');
assert.equal(lines.length, 5);
assert.ok(lines[0]?.startsWith('id,'));
assert.deepEqual(lines.slice(1).map((l) => Number(l.slice(0, l.indexOf(',')))).sort((a, b) => a - b), expected);
steps.push('csv');

// an invalid rule is a problem with a pointer, typed by the spec
const invalid = await api.POST('/segments', {
  body: { key: 'broken', name: 'Broken', rule: condition('totalSpend', 'contains', 'x') },
});
assert.equal(invalid.response.status, 422);
assert.ok(invalid.response.headers.get('content-type')?.startsWith('application/problem+json'));
const problem: Schemas['Problem'] | undefined = invalid.error;
assert.equal(problem?.type, '/problems/invalid-rule');
assert.equal(problem?.errors?.[0]?.pointer, '/op');
assert.equal(problem?.errors?.[0]?.code, 'operator_not_allowed');
steps.push('problem');

// a react-querybuilder query (its standard operators only): North and not (Omsk or South)
const query: Schemas['QueryBuilderQuery'] = {
  combinator: 'and',
  rules: [
    { field: 'region', operator: '=', value: 'North' },
    { not: true, combinator: 'or', rules: [
      { field: 'city', operator: '=', value: 'Omsk' },
      { field: 'region', operator: '=', value: 'South' },
    ] },
  ],
};
const kazan = ok(await api.POST('/segments', {
  body: { key: 'north-kazan', name: 'North Kazan', rule: query, ruleFormat: 'querybuilder' },
}), 'createSegment (querybuilder)');
assert.ok(kazan.rule && 'and' in kazan.rule);
const kazanCount = ok(await api.GET('/segments/{key}/count', { params: { path: { key: 'north-kazan' } } }), 'count');
assert.equal(kazanCount.count, 3); // c2, c4, c6
steps.push('querybuilder');

// a JSON Merge Patch of one field keeps the lists
const before = ok(await api.GET('/customers/{id}', { params: { path: { id: id('c1') } } }), 'getCustomer');
const patched = ok(await api.PATCH('/customers/{id}', {
  params: { path: { id: id('c1') } },
  body: { region: 'South' },
  headers: { 'Content-Type': 'application/merge-patch+json' },
}), 'updateCustomer');
assert.equal(patched.region, 'South');
assert.deepEqual(patched.tags, ['b2b']);
assert.equal(patched.name, before.name);
assert.equal(patched.city, 'Omsk');
assert.ok((patched.version ?? 0) > (before.version ?? 0));
const after1 = ok(await api.GET('/segments/{key}/count', { params: { path: { key: 'north-buyers' } } }), 'count');
assert.equal(after1.count, 3);
steps.push('patch');

console.log(JSON.stringify({ steps, members: members.length }));
