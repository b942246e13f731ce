// Downloads one URL with the BUILT @dcor/download (plain node, no loader, so the RSS is the
// library's own) and prints JSON {seconds, bytes, verifiedBy, maxRSSBytes, cpuSeconds}.
import { mkdtemp } from "node:fs/promises";
import path from "node:path";
import { DownloadManager } from "../dist/index.js";

const [url, directory, sha256] = process.argv.slice(2);
const dm = new DownloadManager({
  stateDir: await mkdtemp(path.join(directory, "state-")),
  fsync: process.env.BENCH_FSYNC !== "0",
  hashWorker: process.env.BENCH_HASH_WORKER === "1",
});
const t0 = performance.now();
const job = dm.add({ url, destination: path.join(directory, "ours.bin"), sha256 });
const result = await job.done;
const seconds = (performance.now() - t0) / 1000;
await dm.close();
// CPU of the whole process (all threads: main, hash worker, V8's GC and compiler helpers).
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({ seconds, bytes: result.size, verifiedBy: result.verifiedBy, maxRSSBytes: process.resourceUsage().maxRSS * 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`,
);
