/**
 * Example 3: download every file of a dataset with a progress line. Each file is checked
 * against the SHA-256 that DCOR publishes before it appears under its final name; run the
 * command again after an interruption and it continues where it stopped.
 *
 *   tsx --conditions=@dcor/source src/03-download-dataset.ts [--dataset NAME] [--condensed] [--demo]
 */
import { join } from "node:path";
import type { CKANAPI } from "@dcor/api";
import { addDataset, DownloadManager, type DownloadResult } from "@dcor/download";
import { connect } from "./connect.js";
import { isMain, parseArgs, runCli } from "./util.js";

export interface DownloadDatasetOptions {
  /** A client of the DCOR server. */
  api: CKANAPI;
  /** Dataset name or id. @default "figshare-7771184-v2" */
  dataset?: string;
  /** Files go to `<directory>/<dataset name>/<resource name>`. @default "output/downloads" */
  directory?: string;
  /** Download the condensed files (scalar features only, much smaller). @default false */
  condensed?: boolean;
  /** Called with the totals of all files whenever bytes arrive. @default undefined */
  onProgress?: (progress: DownloadProgressLine) => void;
  signal?: AbortSignal;
}

/** Totals over all files of the dataset, for a progress line. */
export interface DownloadProgressLine {
  /** Bytes present locally. */
  bytes: number;
  /** Total bytes (0 while sizes are unknown, e.g. for condensed files). */
  total: number;
  /** Bytes per second. */
  rate: number;
  files: number;
  /** True for the last call, after every file was verified. */
  done: boolean;
}

export interface DownloadDatasetResult {
  /** One entry per file: final path, size, SHA-256 and what it was verified against. */
  files: DownloadResult[];
}

export async function main(options: DownloadDatasetOptions): Promise<DownloadDatasetResult> {
  const { api, dataset = "figshare-7771184-v2", condensed = false, signal } = options;
  const directory = options.directory ?? join("output", "downloads");

  // The queue's state lives next to the files, so a second run resumes unfinished downloads.
  // The token is added per request (and only for the DCOR server), never stored.
  const manager = await DownloadManager.restore({
    stateDir: join(directory, ".download-state"),
    headersFor: (url) => api.authHeadersFor(url),
  });
  try {
    const jobs = await addDataset(manager, api, dataset, { directory, condensed, signal });
    const report = (done: boolean) => {
      const { bytes, total, rate } = manager.summary();
      options.onProgress?.({ bytes, total, rate, files: jobs.length, done });
    };
    if (options.onProgress) manager.on("progress", () => report(false));
    const files = await untilAborted(Promise.all(jobs.map((job) => job.done)), signal);
    report(true);
    return { files };
  } finally {
    // Stops transfers still running (after an abort) and keeps their state for the next run.
    await manager.close();
  }
}

/** Resolves like `promise`, or rejects with the signal's reason as soon as it is aborted. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

if (isMain(import.meta.url)) {
  await runCli(async () => {
    const args = parseArgs({
      extra: {
        dataset: {
          type: "string",
          description: "dataset name or id (default figshare-7771184-v2)",
        },
        condensed: { type: "boolean", description: "download the condensed files" },
      },
      synopsis: "usage: tsx src/03-download-dataset.ts [--dataset NAME] [--condensed] [options]",
    });
    if (args.help) return console.log(args.usage);
    const { api, close } = await connect(args);
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort(new Error("interrupted; run again to resume")));
    try {
      const tty = process.stdout.isTTY;
      let lastLine = 0;
      const started = Date.now();
      const result = await main({
        api,
        dataset: args.extra.dataset as string | undefined,
        condensed: args.extra.condensed === true,
        directory: join(args.out, "downloads"),
        signal: controller.signal,
        onProgress: ({ bytes, total, rate, files, done }) => {
          const now = Date.now();
          // A terminal gets a line redrawn 10 times a second, a log file one line every 2 s.
          if (!done && now - lastLine < (tty ? 100 : 2000)) return;
          lastLine = now;
          const percent = total > 0 ? ((100 * bytes) / total).toFixed(1).padStart(5) : "  ?  ";
          const speed = done
            ? `done in ${((now - started) / 1000).toFixed(1)} s`
            : `${formatBytes(rate)}/s`;
          const line = `${percent} %  ${formatBytes(bytes)} / ${formatBytes(total)}  ${speed}  (${files} files)`;
          process.stdout.write(tty ? `\r${line.padEnd(70)}` : `${line}\n`);
        },
      });
      if (tty) process.stdout.write("\n");
      for (const f of result.files) {
        const how = f.existed ? "already there, verified" : `verified by ${f.verifiedBy}`;
        console.log(
          `${f.destination}  ${formatBytes(f.size)}  sha256 ${f.sha256.slice(0, 16)}…  (${how})`,
        );
      }
    } finally {
      await close();
    }
  });
}
