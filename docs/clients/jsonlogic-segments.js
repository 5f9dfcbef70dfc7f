// JsonLogic operations of the segments service, for json-logic-js (https://github.com/jwadhams/json-logic-js) or any
// JsonLogic engine with custom operations. The service's JsonLogic export (GET /segments/{key}/rule?format=jsonlogic,
// GraphQL `rule(format: JSON_LOGIC)`) uses JsonLogic builtins only where json-logic-js evaluates them exactly like
// the service, and these operations (named after the native operators) everywhere else. With them registered, an
// exported rule without aggregates and segment references evaluates over `customerData(customer)` exactly as the
// service does (the contract and its details: docs/rule-language.md, docs/rule-semantics.md, "JsonLogic").
//
//   import jsonLogic from 'json-logic-js';
//   import { addSegmentsOperations, customerData } from './jsonlogic-segments.js';
//   addSegmentsOperations(jsonLogic);                      // or { now: '2026-12-01T00:00:00Z' } to evaluate asOf
//   const rule = await (await fetch(`${api}/segments/vip/rule?format=jsonlogic`, auth)).json();
//   const member = jsonLogic.apply(rule, customerData(customerFromTheApi));
//
// Plain ES module, no dependencies (browsers, Node 18+). Tested in the service's suite against its membership
// (src/test/node/jsonlogic). Known limits: numbers compare as JavaScript doubles (the service compares exact
// decimals: values that differ beyond ~15 significant digits may compare equal here); case-insensitive matching
// uses toLowerCase (PostgreSQL's ILIKE folds case by the database locale: the same for ASCII); averageOrderValue is
// computed as a double from totalSpend / purchaseCount.

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const DURATION = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const US_PER_DAY = 86_400_000_000n;

/** Days since 1970-01-01 of a proleptic Gregorian date (any year; H. Hinnant's days_from_civil). */
function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z) {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

const daysInMonth = (y, m) => [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];

function validDate(y, m, d) {
  return m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

/**
 * A time value as the service reads it: a date (YYYY-MM-DD) is that whole UTC day, a timestamp (with offset) the
 * instant, to the microsecond. {day, start, end}: the UTC day number and the covered range [start, end) in µs.
 * null for anything else.
 */
export function timeValue(s) {
  if (typeof s !== 'string') return null;
  let m = DATE.exec(s);
  if (m) {
    const [y, mo, d] = [+m[1], +m[2], +m[3]];
    if (!validDate(y, mo, d)) return null;
    const day = daysFromCivil(y, mo, d);
    return { date: true, day, start: BigInt(day) * US_PER_DAY, end: BigInt(day + 1) * US_PER_DAY };
  }
  m = TIMESTAMP.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, sec] = [+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0)];
  if (!validDate(y, mo, d) || h > 23 || mi > 59 || sec > 59) return null;
  const frac = (m[7] ?? '').padEnd(9, '0');
  let us = BigInt(frac.slice(0, 6)) + (+frac[6] >= 5 ? 1n : 0n); // PostgreSQL keeps microseconds
  let offsetMin = 0;
  if (m[8] !== 'Z' && m[8] !== 'z') {
    const o = m[8].replace(':', '');
    offsetMin = (o[0] === '-' ? -1 : 1) * (+o.slice(1, 3) * 60 + +o.slice(3, 5));
  }
  const seconds = BigInt(daysFromCivil(y, mo, d)) * 86400n + BigInt(h * 3600 + mi * 60 + sec - offsetMin * 60);
  const start = seconds * 1_000_000n + us;
  const day = Number(start >= 0n ? start / US_PER_DAY : (start - US_PER_DAY + 1n) / US_PER_DAY);
  return { date: false, day, start, end: start + 1n };
}

/** now as microseconds since the epoch; now: a Date, an ISO-8601 string, epoch milliseconds, or a function of none. */
function nowMicros(now) {
  const n = typeof now === 'function' ? now() : now ?? new Date();
  if (typeof n === 'string') {
    const t = timeValue(n);
    if (!t || t.date) throw new Error(`now must be a timestamp with offset, got ${n}`);
    return t.start;
  }
  return BigInt(n instanceof Date ? n.getTime() : n) * 1000n;
}

/**
 * now minus an ISO-8601 duration, as the service computes it: years and months are calendar months in UTC (the day
 * clamped to the month's length, as java.time does), then weeks and days, then hours, minutes and seconds. µs.
 */
export function minusDuration(nowUs, duration) {
  const m = DURATION.exec(duration);
  if (!m || duration === 'P' || duration.endsWith('T')) throw new Error(`not an ISO-8601 duration: ${duration}`);
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((g) => (g === undefined ? 0 : Number(g)));
  const day = Number(nowUs >= 0n ? nowUs / US_PER_DAY : (nowUs - US_PER_DAY + 1n) / US_PER_DAY);
  const timeOfDay = nowUs - BigInt(day) * US_PER_DAY;
  let [yy, mm, dd] = civilFromDays(day);
  const months = yy * 12 + (mm - 1) - (y * 12 + mo);
  yy = Math.floor(months / 12);
  mm = months - yy * 12 + 1;
  dd = Math.min(dd, daysInMonth(yy, mm));
  const shifted = daysFromCivil(yy, mm, dd) - (w * 7 + d);
  return BigInt(shifted) * US_PER_DAY + timeOfDay - (BigInt(h) * 3600n + BigInt(mi) * 60n + BigInt(s)) * 1_000_000n;
}

const missing = (v) => v === null || v === undefined;
const num = (v) => (typeof v === 'number' ? v : typeof v === 'string' && DECIMAL.test(v) ? Number(v) : NaN);

/** Equality of two present scalars: numerically where one is a number, else exactly (strings are case-sensitive). */
function same(a, b) {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = num(a);
    const y = num(b);
    return !Number.isNaN(x) && x === y;
  }
  return a === b;
}

function numeric(a, b, test) {
  if (missing(a) || missing(b)) return false;
  const x = num(a);
  const y = num(b);
  return !Number.isNaN(x) && !Number.isNaN(y) && test(x, y);
}

function text(a, b, test) {
  return typeof a === 'string' && typeof b === 'string' && test(a.toLowerCase(), b.toLowerCase());
}

const isSet = (a) => !missing(a) && a !== '' && !(Array.isArray(a) && a.length === 0);

/**
 * The operations, by name, for a given clock (options.now, default the current time; the service's `asOf`).
 * Each takes the evaluated arguments of `{"op": [{"var": field}, value]}`; conditions on a missing value are
 * false, and the negating ones (neq, notIn, notContains, hasNone, notWithin, isNotSet) are their exact negations.
 */
export function segmentsOperations(options = {}) {
  const eq = (a, b) => {
    if (missing(a) || missing(b)) return false;
    const ta = timeValue(a);
    const tb = timeValue(b);
    if (ta && tb) return ta.day === tb.day; // time values: the same UTC calendar day
    return same(a, b);
  };
  const within = (a, duration) => {
    const t = timeValue(a);
    if (!t) return false;
    const bound = minusDuration(nowMicros(options.now), duration);
    if (t.date) return t.day >= Number(bound >= 0n ? bound / US_PER_DAY : (bound - US_PER_DAY + 1n) / US_PER_DAY);
    return t.start >= bound;
  };
  const contains = (a, b) => text(a, b, (x, y) => x.includes(y));
  const hasAny = (a, list) => Array.isArray(a) && Array.isArray(list) && list.some((v) => a.includes(v));
  const serviceOnly = (what) => () => {
    throw new Error(`${what} is evaluated by the service only (it needs other segments or the activity streams): `
      + 'ask the service (GET /customers/{id}/segments, POST /customers/search)');
  };
  return {
    isSet: (a) => isSet(a),
    isNotSet: (a) => !isSet(a),
    eq,
    neq: (a, b) => !eq(a, b),
    lt: (a, b) => numeric(a, b, (x, y) => x < y),
    lte: (a, b) => numeric(a, b, (x, y) => x <= y),
    gt: (a, b) => numeric(a, b, (x, y) => x > y),
    gte: (a, b) => numeric(a, b, (x, y) => x >= y),
    between: (a, range) => {
      if (missing(a) || !Array.isArray(range) || range.length !== 2) return false;
      const t = timeValue(a);
      if (t) {
        const lo = timeValue(range[0]);
        const hi = timeValue(range[1]);
        return !!lo && !!hi && t.start >= lo.start && t.end <= hi.end; // a date bound: the whole day
      }
      return numeric(a, range[0], (x, y) => x >= y) && numeric(a, range[1], (x, y) => x <= y);
    },
    notIn: (a, list) => missing(a) || !Array.isArray(list) || !list.some((v) => same(a, v)),
    contains,
    notContains: (a, b) => !contains(a, b),
    startsWith: (a, b) => text(a, b, (x, y) => x.startsWith(y)),
    endsWith: (a, b) => text(a, b, (x, y) => x.endsWith(y)),
    before: (a, b) => {
      const ta = timeValue(a);
      const tb = timeValue(b);
      return !!ta && !!tb && ta.end <= tb.start; // strict; a date: before that day starts
    },
    after: (a, b) => {
      const ta = timeValue(a);
      const tb = timeValue(b);
      return !!ta && !!tb && ta.start >= tb.end; // strict; a date: after that day ends
    },
    within,
    notWithin: (a, duration) => !within(a, duration),
    hasAny,
    hasAll: (a, list) => Array.isArray(a) && Array.isArray(list) && list.every((v) => a.includes(v)),
    hasNone: (a, list) => !hasAny(a, list),
    segment: serviceOnly('a segment reference'),
    aggregate: serviceOnly('an aggregate'),
  };
}

/** Registers every operation on a JsonLogic engine (json-logic-js's default export); returns the engine. */
export function addSegmentsOperations(jsonLogic, options = {}) {
  for (const [name, fn] of Object.entries(segmentsOperations(options))) jsonLogic.add_operation(name, fn);
  return jsonLogic;
}

/** Whole years from a birth date (YYYY-MM-DD) to today (UTC): age >= n exactly when birthDate <= today - n years. */
export function age(birthDate, options = {}) {
  const b = timeValue(birthDate);
  if (!b || !b.date) return null;
  const nowUs = nowMicros(options.now);
  const [ty, tm, td] = civilFromDays(Number(nowUs / US_PER_DAY));
  const [by] = civilFromDays(b.day);
  let n = ty - by;
  const shifted = (k) => daysFromCivil(ty - k, tm, Math.min(td, daysInMonth(ty - k, tm)));
  while (b.day > shifted(n)) n--;
  while (b.day <= shifted(n + 1)) n++;
  return n;
}

const toNumber = (v) => (missing(v) ? null : typeof v === 'number' ? v : Number(v));

/**
 * A customer as the REST API returns it (GET /customers, /customers/{id}) as the data a rule's `var`s read: the
 * rule language's field names (rollups flattened, `age` from birthDate, `averageOrderValue` = totalSpend /
 * purchaseCount, missing without purchases), `attributes.<key>` as they are. options.now: as for the operations.
 */
export function customerData(customer, options = {}) {
  const r = customer.rollups ?? {};
  const purchaseCount = toNumber(r.purchaseCount);
  const totalSpend = toNumber(r.totalSpend);
  return {
    externalId: customer.externalId ?? null,
    name: customer.name ?? null,
    email: customer.email ?? null,
    phone: customer.phone ?? null,
    gender: customer.gender ?? null,
    birthDate: customer.birthDate ?? null,
    age: age(customer.birthDate, options),
    country: customer.country ?? null,
    region: customer.region ?? null,
    city: customer.city ?? null,
    lifecycleStage: customer.lifecycleStage ?? null,
    source: customer.source ?? null,
    channel: customer.channel ?? null,
    priceTier: customer.priceTier ?? null,
    paymentTerms: customer.paymentTerms ?? null,
    tags: customer.tags ?? [],
    createdAt: customer.createdAt ?? null,
    updatedAt: customer.updatedAt ?? null,
    purchaseCount,
    totalSpend,
    averageOrderValue: purchaseCount > 0 && totalSpend !== null ? totalSpend / purchaseCount : null,
    firstPurchaseAt: r.firstPurchaseAt ?? null,
    lastPurchaseAt: r.lastPurchaseAt ?? null,
    lastInteractionAt: r.lastInteractionAt ?? null,
    lastSeenAt: r.lastSeenAt ?? null,
    attributes: customer.attributes ?? {},
  };
}
