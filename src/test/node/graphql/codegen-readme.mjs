// The README's GraphQL examples, as a frontend team would use them: every operation is taken from README.md
// (the JSON of each `gql '...'` call, and the queries of the JavaScript examples), validated against the committed
// SDL by graphql-js, and typed by graphql-codegen (typescript + typescript-operations); the generated TypeScript is
// then type-checked by tsc. Prints {"operations": n, "generatedBytes": m}; exits non-zero on any error.
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildSchema, parse, validate } from 'graphql';
import { generate } from '@graphql-codegen/cli';

const root = new URL('../../../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const sdlPath = new URL('openapi/schema.graphql', root).pathname;
const schema = buildSchema(readFileSync(sdlPath, 'utf8'));

const operations = [];
for (const m of readme.matchAll(/gql '([^']*)'/g)) {
  operations.push(JSON.parse(m[1]).query);
}
for (const m of readme.matchAll(/query: '((?:query|mutation|subscription)?\s*[({][^']*)'/g)) {
  operations.push(m[1]);
}
if (operations.length < 5) {
  console.error(`only ${operations.length} GraphQL operations found in README.md`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'codegen-readme-'));
let failed = 0;
operations.forEach((op, i) => {
  // anonymous operations cannot share a document: each is named after its place in the README
  const named = op.trim().startsWith('{') ? `query ReadmeExample${i} ${op}`
    : op.replace(/^\s*(query|mutation|subscription)\s*(?=[({])/, `$1 ReadmeExample${i}`);
  const errors = validate(schema, parse(named));
  for (const e of errors) {
    failed++;
    console.error(`README operation ${i}: ${e.message}\n  ${op}`);
  }
  writeFileSync(join(dir, `op${i}.graphql`), named);
});
if (failed) process.exit(1);

const out = join(dir, 'types.ts');
await generate({
  schema: sdlPath,
  documents: join(dir, '*.graphql'),
  silent: true,
  generates: { [out]: { plugins: ['typescript', 'typescript-operations'],
    config: { scalars: { JSON: 'unknown', DateTime: 'string', BigDecimal: 'string', Date: 'string', BigInteger: 'string' } } } },
}, true);
const tsc = new URL('../node_modules/.bin/tsc', import.meta.url).pathname;
execFileSync(tsc, ['--noEmit', '--strict', '--target', 'es2022', '--skipLibCheck', out], { stdio: 'inherit' });
console.log(JSON.stringify({ operations: operations.length, generatedBytes: readFileSync(out).length }));
