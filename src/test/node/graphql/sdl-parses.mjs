// The committed SDL must build a schema on its own with graphql-js (the parser graphql-codegen, Apollo and
// graphql-inspector use). Prints the number of types and each custom scalar's specifiedByURL; exits non-zero with every error otherwise.
import { readFileSync } from 'node:fs';
import { buildSchema, validateSchema, isScalarType, isSpecifiedScalarType } from 'graphql';

const sdl = readFileSync(new URL('../../../../openapi/schema.graphql', import.meta.url), 'utf8');
const schema = buildSchema(sdl);
const errors = validateSchema(schema);
if (errors.length) {
  for (const e of errors) console.error(e.message);
  process.exit(1);
}
const named = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__'));
const scalars = Object.fromEntries(Object.values(schema.getTypeMap())
  .filter((t) => isScalarType(t) && !isSpecifiedScalarType(t))
  .map((t) => [t.name, t.specifiedByURL ?? null]));
console.log(JSON.stringify({ types: named.length, scalars, query: schema.getQueryType()?.name,
  mutation: schema.getMutationType()?.name, subscription: schema.getSubscriptionType()?.name }));
