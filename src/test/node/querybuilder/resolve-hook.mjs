// Module resolution hook: the client modules shipped in docs/clients import their libraries by bare name
// ('react-querybuilder/formatQuery'), as an application would; here those names resolve from src/test/node, where the
// pinned packages are installed. Registered by docs-modules.mjs.
const here = new URL('../package.json', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const bare = !specifier.startsWith('.') && !specifier.startsWith('/') && !specifier.includes(':');
  if (bare && context.parentURL && context.parentURL.includes('/docs/clients/')) {
    return nextResolve(specifier, { ...context, parentURL: here });
  }
  return nextResolve(specifier, context);
}
