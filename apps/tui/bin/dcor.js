#!/usr/bin/env node
// Launcher for the `dcor` command. The app is not built: src/cli.tsx runs through tsx, with the
// "@dcor/source" export condition so sibling packages resolve to their sources. Both are module
// hooks registered in this process (no second Node process, so the UI starts sooner).
import { register } from "node:module";
import { fileURLToPath } from "node:url";
import { register as registerTsx } from "tsx/esm/api";

register("./source-condition.mjs", import.meta.url);
// Our tsconfig (JSX settings) wherever `dcor` is started from.
registerTsx({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) });
// After tsx, so that it runs before tsx: loads h5wasm's large generated JS untransformed.
register("./plain-js.mjs", import.meta.url);

// Ink draws only a final frame when it believes it runs in CI (CI or CONTINUOUS_INTEGRATION set);
// on a real terminal the user wants the live UI, e.g. a test driving dcor in tmux on a CI machine.
if (process.stdout.isTTY) {
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
}

// React's production build: much less work per render than the development build.
process.env.NODE_ENV ??= "production";

const { main, exitWhenFlushed } = await import("../src/cli.tsx");
exitWhenFlushed(await main({ argv: process.argv.slice(2) }));
