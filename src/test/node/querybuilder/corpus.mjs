// The rules the client checks run, as react-querybuilder queries built with the operators GET /fields/querybuilder
// hands out (standard names, plus within / notWithin / hasAny / hasAll / hasNone). `day` is the comparison date of the
// seeded tenant (ClientTenant.java puts purchases on it at different hours).

const plusDays = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const r = (field, operator, value, extra = {}) => ({ field, operator, value, ...extra });
const and = (...rules) => ({ combinator: 'and', rules });
const or = (...rules) => ({ combinator: 'or', rules });
const not = (group) => ({ ...group, not: true });

/** Rules without aggregates or segment references: every operator and type, refs, nested and / or / not. */
export function corpus(day) {
  return [
    ['string =, !=', or(r('priceTier', '=', 'vip'), and(r('city', '!=', 'Berlin'), r('country', '=', 'DE')))],
    ['string in / notIn (comma lists)', and(r('region', 'in', 'north, south'), r('lifecycleStage', 'notIn', 'churned,lead'))],
    ['contains (case-insensitive), doesNotContain', or(r('name', 'contains', 'ann'), and(r('email', 'doesNotContain', 'example'), r('email', 'notNull', '')))],
    ['beginsWith / endsWith and their negations', or(r('email', 'beginsWith', 'A'), r('email', 'endsWith', '.org'),
      and(r('name', 'doesNotBeginWith', 'b'), r('name', 'doesNotEndWith', 'son'), r('city', 'doesNotContain', 'e')))],
    ['null / notNull (empty strings are not set)', or(r('email', 'null', ''), and(r('phone', 'notNull', ''), r('region', 'null', '')))],
    ['number <, <=, >, >= (missing values are false)', or(r('attributes.score', '<', 1), and(r('totalSpend', '>', '100'), r('totalSpend', '<=', 1300)),
      r('attributes.seats', '>=', 12))],
    ['number =, != with zero', or(r('attributes.score', '=', 0), and(r('attributes.seats', '!=', 0), r('purchaseCount', '=', '2')))],
    ['between / notBetween on numbers', or(r('purchaseCount', 'between', '3,4'), and(r('totalSpend', 'notBetween', [10, 250]), r('attributes.score', 'between', [-2, 1.5])))],
    ['in / notIn on numbers', or(r('purchaseCount', 'in', '0, 3'), and(r('attributes.seats', 'notIn', [0, 1, 2, 3]), r('attributes.seats', 'notNull', '')))],
    ['averageOrderValue (exact quotient)', or(r('averageOrderValue', '>=', '150'), r('averageOrderValue', '<', 10))],
    ['age (whole years, birthdays today)', or(r('age', '<', 30), r('age', 'between', [40, 45]), r('age', '=', 50))],
    ['booleans', or(r('attributes.vip', '=', true), and(r('attributes.vip', '=', false), r('priceTier', 'notNull', '')))],
    ['boolean null, number notNull (false and 0 are set)', and(r('attributes.vip', 'notNull', ''), r('attributes.score', 'notNull', ''))],
    ['dates: birthDate <, >=, =, !=', or(r('birthDate', '<', '1975-01-01'), and(r('birthDate', '>=', '1995-06-01'), r('birthDate', '!=', '2000-01-01')))],
    [`timestamps at day precision: > ${day} (after the day ends)`, and(r('lastPurchaseAt', '>', day))],
    [`timestamps: = ${day} (same day), < ${day}`, or(r('lastPurchaseAt', '=', day), and(r('lastPurchaseAt', '<', plusDays(day, -1)), r('purchaseCount', '>', 1)))],
    ['timestamps: <=, >= (inclusive, whole day)', or(r('lastPurchaseAt', '<=', plusDays(day, -1)), r('lastPurchaseAt', '>=', plusDays(day, 1)))],
    ['timestamps: != (not that day), between dates and timestamps',
      or(and(r('lastPurchaseAt', '!=', day), r('lastPurchaseAt', 'between', [plusDays(day, -30), plusDays(day, 1)])),
        r('firstPurchaseAt', 'between', [`${plusDays(day, -200)}T12:00:00+02:00`, `${day}T08:30:00Z`]))],
    ['notBetween on timestamps', and(r('lastPurchaseAt', 'notBetween', [plusDays(day, -40), day]), r('lastPurchaseAt', 'notNull', ''))],
    ['timestamp with offset', or(r('attributes.trialEndsAt', '>', `${day}T12:00:00+02:00`), r('attributes.trialEndsAt', '<', `${day}T01:00:00-01:00`))],
    ['within / notWithin (timestamps and dates)', or(r('lastPurchaseAt', 'within', 'P30D'), and(r('lastInteractionAt', 'notWithin', 'P90D'),
      r('attributes.renewalDate', 'within', 'P1W')))],
    ['notWithin on a date field (missing is not within)', and(r('attributes.renewalDate', 'notWithin', 'P10D'), r('priceTier', '!=', 'low'))],
    ['string lists: hasAny, hasAll, hasNone', or(r('tags', 'hasAny', ['vip']), and(r('tags', 'hasAll', ['b2b', 'beta']), r('attributes.interests', 'hasNone', ['golf'])))],
    ['string lists: null / notNull (empty lists are not set)', or(r('tags', 'null', ''), and(r('attributes.interests', 'notNull', ''), r('tags', 'hasNone', ['beta'])))],
    ['refs (valueSource field)', or(r('totalSpend', '>', 'attributes.score', { valueSource: 'field' }),
      r('lastInteractionAt', '<', 'lastPurchaseAt', { valueSource: 'field' }))],
    ['refs: same day, string equality', or(r('firstPurchaseAt', '=', 'lastPurchaseAt', { valueSource: 'field' }),
      r('attributes.plan', '=', 'name', { valueSource: 'field' }), r('attributes.seats', '<=', 'purchaseCount', { valueSource: 'field' }))],
    ['nested and / or / not', and(not(or(r('priceTier', '=', 'low'), r('tags', 'hasAny', ['beta']))),
      or(r('country', 'in', ['DE', 'AT']), not(and(r('purchaseCount', '>=', 2), r('lastPurchaseAt', 'within', 'P200D')))))],
    ['independent combinators (and binds tighter)', { rules: [r('country', '=', 'DE'), 'and', r('priceTier', '=', 'vip'), 'or', r('city', '=', 'Rome'), 'and', r('purchaseCount', '>', 0)] }],
    ['a negated group with one rule, at the root', not(and(r('email', 'contains', 'example')))],
  ].map(([name, query]) => ({ name, query }));
}

/** Rules with what react-querybuilder has no operator for: within, list operators, segment references, aggregates. */
export function extras(day) {
  return [
    ['within and hasAny', and(r('lastPurchaseAt', 'within', 'P90D'), r('tags', 'hasAny', ['vip', 'beta']))],
    ['notWithin, hasAll, hasNone', or(r('lastInteractionAt', 'notWithin', 'P30D'), r('tags', 'hasAll', 'b2b, beta'), r('attributes.interests', 'hasNone', ['chess']))],
    ['segment references', or(r('$segment', '=', 'vips'), and(r('$segment', '!=', 'berliners'), r('priceTier', '=', 'mid')))],
    ['aggregates', and(r('$aggregate', '=', { aggregate: 'count', of: 'purchases', op: 'gte', value: 2 }),
      r('$aggregate', '=', { aggregate: 'sum', of: 'purchases', field: 'amount', within: 'P365D', op: 'gt', value: 100 }))],
    ['the canonical example', and(r('lastPurchaseAt', 'within', 'P90D'),
      r('$aggregate', '=', { aggregate: 'sum', of: 'purchases', field: 'amount', within: 'P365D', op: 'gt', value: 100 }),
      r('$aggregate', '=', { aggregate: 'count', of: 'interactions', where: { and: [
        { field: 'type', op: 'in', value: ['call', 'consultation'] },
        { field: 'occurredAt', op: 'before', value: { ref: 'lastPurchaseAt' } }] }, op: 'gte', value: 1 }))],
    ['everything nested under not', not(or(r('$segment', '=', 'berliners'),
      and(r('lastPurchaseAt', 'within', 'P60D'), r('$aggregate', '=', { aggregate: 'max', of: 'purchases', field: 'amount', op: 'gte', value: 199 })),
      r('tags', 'hasNone', ['b2b'])))],
    [`native operator names (still accepted) next to standard ones: after ${day}`, or(r('lastPurchaseAt', 'after', day), r('name', 'startsWith', 'a'),
      and(r('totalSpend', 'gte', 1000), r('email', 'isSet', '')))],
  ].map(([name, query]) => ({ name, query }));
}
