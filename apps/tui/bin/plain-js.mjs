// Module load hook, registered after tsx so it runs first: h5wasm's generated JS (4 MB, plain
// ESM) is loaded as it is. tsx would transform it, which costs 2-3 s at every start.
import { readFile } from "node:fs/promises";

export async function load(url, context, nextLoad) {
  if (url.startsWith("file:") && /\/node_modules\/h5wasm\/dist\/.*\.js$/.test(url)) {
    return { format: "module", source: await readFile(new URL(url)), shortCircuit: true };
  }
  return nextLoad(url, context);
}
