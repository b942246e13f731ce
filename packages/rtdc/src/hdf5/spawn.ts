import { type TransferListItem, Worker } from "node:worker_threads";

/**
 * Start a worker thread on `entry`. A `.ts` entry (source mode: vitest, tsx) is loaded through
 * tsx's ESM hooks registered inside the new thread (worker `execArgv: ["--import", "tsx"]` is
 * not honoured by Node 20's worker threads).
 */
export function spawnWorker(
  entry: URL,
  workerData: unknown,
  transferList: TransferListItem[] = [],
): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, { workerData, transferList });
  let api = "tsx/esm/api";
  try {
    api = import.meta.resolve?.("tsx/esm/api") ?? api;
  } catch {
    // Fall back to bare resolution from the working directory.
  }
  // h5wasm (4 MB of generated JS) is loaded before tsx's hooks: tsx would transform it on every
  // start, which takes 2-3 s; plain JS needs no transform, and the module cache serves it later.
  let preload = "";
  try {
    preload = import.meta.resolve?.("h5wasm/node") ?? "";
  } catch {
    // Not resolvable from here: tsx loads it, only slower.
  }
  const first = preload ? `import(${JSON.stringify(preload)})` : "Promise.resolve()";
  const code = `${first}.then(() => import(${JSON.stringify(api)})).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData, transferList });
}
