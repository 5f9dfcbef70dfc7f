// The committed SDL must build a schema on its own with graphql-js (the parser graphql-codegen, Apollo and
// graphql-inspector use). Prints the number of types; exits non-zero with every error otherwise.
import { readFileSync } from 'node:fs';
import { buildSchema, validateSchema } from 'graphql';

const sdl = readFileSync(new URL('../../../../openapi/schema.graphql', import.meta.url), 'utf8');
const schema = buildSchema(sdl);
const errors = validateSchema(schema);
if (errors.length) {
  for (const e of errors) console.error(e.message);
  process.exit(1);
}
const named = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith('__'));
console.log(JSON.stringify({ types: named.length, query: schema.getQueryType()?.name,
  mutation: schema.getMutationType()?.name, subscription: schema.getSubscriptionType()?.name }));
