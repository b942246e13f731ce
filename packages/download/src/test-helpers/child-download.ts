/**
 * Child process for the SIGKILL test: downloads one URL with a bandwidth limit and prints
 * `progress <bytes>` lines until it is killed. Config comes as JSON in argv[2].
 */
import { DownloadManager } from "../index.js";

const cfg = JSON.parse(process.argv[2] ?? "{}") as {
  stateDir: string;
  url: string;
  directory: string;
  sha256: string;
  token?: string;
  bandwidthLimit: number;
};
const dm = new DownloadManager({
  stateDir: cfg.stateDir,
  bandwidthLimit: cfg.bandwidthLimit,
  progressIntervalMs: 0,
  ...(cfg.token ? { headersFor: () => ({ Authorization: `Bearer ${cfg.token}` }) } : {}),
});
const job = dm.add({
  id: "killed-job",
  url: cfg.url,
  directory: cfg.directory,
  sha256: cfg.sha256,
});
job.on("progress", (p) => process.stdout.write(`progress ${p.bytes}\n`));
job.done.then(
  () => process.stdout.write("done\n"),
  (e) => process.stdout.write(`error ${e.code}\n`),
);
