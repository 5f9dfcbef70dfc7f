// Loads a client module from docs/clients (the file users copy), with its bare imports resolved from src/test/node.
import { register } from 'node:module';

register('./resolve-hook.mjs', import.meta.url);

export function docsModule(name) {
  return import(new URL(`../../../../docs/clients/${name}`, import.meta.url).href);
}
