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
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { eval: true, workerData, transferList });
}
