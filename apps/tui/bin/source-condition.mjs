// Module resolve hook: resolve workspace packages through the "@dcor/source" export condition
// (their src/index.ts), as `node --conditions=@dcor/source` would, for the unbuilt app.
export async function resolve(specifier, context, nextResolve) {
  const conditions = context.conditions.includes("@dcor/source")
    ? context.conditions
    : [...context.conditions, "@dcor/source"];
  return nextResolve(specifier, { ...context, conditions });
}
