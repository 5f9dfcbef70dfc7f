// The service under test, as a client sees it: SEGMENTS_URL, the tenant's key and the clock the checks evaluate at
// (set by the JUnit test that seeded the tenant, see ClientTenant.java).
const url = process.env.SEGMENTS_URL;
const key = process.env.SEGMENTS_KEY;
export const asOf = process.env.SEGMENTS_AS_OF;
export const day = process.env.SEGMENTS_DAY;
export const customerCount = Number(process.env.SEGMENTS_CUSTOMERS);
if (!url || !key || !asOf || !day) throw new Error('SEGMENTS_URL, SEGMENTS_KEY, SEGMENTS_AS_OF and SEGMENTS_DAY are needed');

export async function call(method, path, body) {
  const res = await fetch(url + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (!res.ok) throw new Error(`${method} ${path} -> ${res.status}: ${text}\n${body === undefined ? '' : JSON.stringify(body)}`);
  return json;
}

/** The externalIds of the customers matching a rule, as the service evaluates it at asOf (every page). */
export async function members(rule, ruleFormat) {
  const ids = [];
  let after = null;
  do {
    const page = await call('POST', `/customers/search?limit=1000&fields=externalId${after ? `&after=${encodeURIComponent(after)}` : ''}`,
      { rule, ruleFormat, asOf });
    ids.push(...page.items.map((c) => c.externalId));
    after = page.nextCursor ?? null;
  } while (after);
  return ids.sort();
}

/** Every customer as GET /customers returns it. */
export async function customers() {
  const all = [];
  let after = null;
  do {
    const page = await call('GET', `/customers?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    all.push(...page.items);
    after = page.nextCursor ?? null;
  } while (after);
  return all;
}

let seq = 0;
/** Saves the rule as a new segment; returns the segment (its rule as stored, in the native language). */
export function createSegment(rule, ruleFormat, prefix = 'check') {
  seq += 1;
  return call('POST', '/segments', { key: `${prefix}-${seq}`, name: `${prefix} ${seq}`, rule, ruleFormat });
}

export const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The leaf rules of a react-querybuilder query (rules that are not groups or combinator strings). */
export function leaves(query) {
  return (query.rules ?? []).flatMap((r) => (typeof r === 'string' ? [] : r.rules ? leaves(r) : [r]));
}

/** What differs between two sorted id lists, for messages. */
export function diff(expected, actual) {
  const e = new Set(expected);
  const a = new Set(actual);
  return { missing: expected.filter((x) => !a.has(x)), extra: actual.filter((x) => !e.has(x)) };
}

/** JSON with object keys sorted (stored rules come back in JSONB key order). */
export function canon(x) {
  if (Array.isArray(x)) return `[${x.map(canon).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canon(x[k])}`).join(',')}}`;
  return JSON.stringify(x);
}

/** Runs the checks; prints failures to stderr and the summary as the last line; exits 1 when anything failed. */
export async function report(run) {
  const failures = [];
  const summary = await run((message) => failures.push(message));
  for (const f of failures) console.error(`FAIL ${f}`);
  console.log(JSON.stringify({ ...summary, failures: failures.length }));
  process.exit(failures.length ? 1 : 0);
}
