/**
 * Throughput of a verified 1 GiB download on loopback vs `curl -o` of the same URL, measured
 * in the same run, plus the downloader's peak RSS (measured in its own child process).
 * Goals: ratio ≥ 0.9, peak RSS < 150 MB. `curl -o` neither hashes nor fsyncs, so three ratios
 * are printed side by side: (1) our defaults vs `curl -o`; (2) ours with curl's durability
 * (`fsync: false`) vs `curl -o`; (3) our defaults vs `curl -o` followed by an fsync of its file
 * (both pay for the disk). CPU seconds per GiB (all threads) show where the time goes on a
 * machine whose cores the server, the client and the hashing share.
 * BENCH_SIZE (bytes) and BENCH_ROUNDS shorten a run while iterating.
 */
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZE = Number(process.env.BENCH_SIZE ?? 1024 ** 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const run = promisify(execFile);
const tsxArgs = ["--import", "tsx", "--conditions=@dcor/source"];

async function makeFile(file: string): Promise<string> {
  const block = Buffer.allocUnsafe(1024 * 1024);
  let x = 12345;
  for (let i = 0; i < block.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    block[i] = x >>> 24;
  }
  const hash = createHash("sha256");
  const fh = await open(file, "w");
  for (let off = 0; off < SIZE; off += block.length) {
    block.writeUInt32LE(off / block.length, 0); // every MiB differs
    const part = block.subarray(0, Math.min(block.length, SIZE - off));
    hash.update(part);
    await fh.write(part);
  }
  await fh.close();
  return hash.digest("hex");
}

function startServer(file: string): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...tsxArgs, path.join(here, "static-server.ts"), file], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: path.join(here, ".."),
    });
    child.stdout.once("data", (d: Buffer) =>
      resolve({ url: d.toString().trim(), stop: () => child.kill() }),
    );
    child.once("error", reject);
  });
}

/** curl's own transfer time and, when bash is there to report it, curl's CPU seconds. */
async function curl(url: string, dest: string): Promise<{ seconds: number; cpu?: number }> {
  const args = ["-s", "-S", "-o", dest, "-w", "%{time_total}\\n", url];
  try {
    // bash's `times` prints the CPU time of the shell's children (here: curl) on its last line.
    const { stdout } = await run("bash", ["-c", 'curl "$@" && times', "bench", ...args]);
    const lines = stdout.trim().split("\n");
    const cpu = lines
      .at(-1)!
      .split(/\s+/)
      .map((t) => /^(\d+)m([\d.]+)s$/.exec(t))
      .reduce((sum, m) => sum + (m ? Number(m[1]) * 60 + Number(m[2]) : 0), 0);
    return { seconds: Number(lines[0]), cpu };
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") throw err;
    const { stdout } = await run("curl", args);
    return { seconds: Number(stdout.trim()) };
  }
}

/** Seconds for `cmd args` (the fsync of curl's file). */
async function timed(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  await run(cmd, args, { maxBuffer: 1 << 20 });
  return (performance.now() - t0) / 1000;
}

interface OursRun {
  seconds: number;
  bytes: number;
  maxRSSBytes: number;
  cpuSeconds: number;
}

async function ours(url: string, dir: string, sha256: string, fsync: boolean, hashWorker: boolean) {
  const runDir = await mkdtemp(path.join(dir, "ours-"));
  try {
    const { stdout } = await run(
      process.execPath,
      [path.join(here, "download-child.mjs"), url, runDir, sha256],
      {
        cwd: path.join(here, ".."),
        maxBuffer: 1 << 20,
        env: {
          ...process.env,
          BENCH_FSYNC: fsync ? "1" : "0",
          BENCH_HASH_WORKER: hashWorker ? "1" : "0",
        },
      },
    );
    const o = JSON.parse(stdout.trim().split("\n").pop()!) as OursRun;
    if (o.bytes !== SIZE) throw new Error(`downloaded ${o.bytes} bytes, expected ${SIZE}`);
    return o;
  } finally {
    await rm(runDir, { recursive: true, force: true });
  }
}

/** Best (shortest) time of a variant over the rounds, its CPU in that round, peak RSS of all. */
class Best {
  seconds = Number.POSITIVE_INFINITY;
  cpu: number | undefined;
  peakRss = 0;
  add(seconds: number, cpu?: number, rss = 0): void {
    if (seconds < this.seconds) {
      this.seconds = seconds;
      this.cpu = cpu;
    }
    this.peakRss = Math.max(this.peakRss, rss);
  }
}

// The downloader child runs the built package with plain node (no tsx), so build it first.
console.log("building @dcor/download …");
await run("pnpm", ["run", "build"], { cwd: path.join(here, "..") });

const dir = await mkdtemp(path.join(tmpdir(), "dl-bench-"));
try {
  const source = path.join(dir, "source.bin");
  console.log(`generating ${(SIZE / 1024 ** 2).toFixed(0)} MiB test file in ${dir} …`);
  const sha256 = await makeFile(source);
  const server = await startServer(source);
  try {
    // Best of ROUNDS for each, interleaved, so background load hits all of them alike.
    const curlNull = new Best();
    const curlPlain = new Best();
    const curlSynced = new Best();
    const variants = [
      { label: "sha256 + fsync (defaults)", fsync: true, hashWorker: true, best: new Best() },
      { label: "sha256, fsync: false", fsync: false, hashWorker: true, best: new Best() },
      {
        label: "sha256, fsync: false, hashWorker: false",
        fsync: false,
        hashWorker: false,
        best: new Best(),
      },
    ];
    for (let i = 0; i < ROUNDS; i++) {
      const curlFile = path.join(dir, "curl.bin");
      const c = await curl(server.url, curlFile);
      curlPlain.add(c.seconds, c.cpu);
      // The same durability as the downloader's default: fsync curl's file (coreutils
      // `sync FILE` is an fsync of that file) and count it in.
      curlSynced.add(c.seconds + (await timed("sync", [curlFile])));
      await rm(curlFile, { force: true });
      const n = await curl(server.url, "/dev/null");
      curlNull.add(n.seconds, n.cpu);
      const times: string[] = [];
      for (const v of variants) {
        const o = await ours(server.url, dir, sha256, v.fsync, v.hashWorker);
        v.best.add(o.seconds, o.cpuSeconds, o.maxRSSBytes);
        times.push(`${o.seconds.toFixed(2)} s (${v.label})`);
      }
      console.log(`round ${i + 1}: curl -o ${c.seconds.toFixed(2)} s; ours ${times.join(", ")}`);
    }
    const gib = SIZE / 1024 ** 3;
    const mbps = (b: Best) => `${(SIZE / 1e6 / b.seconds).toFixed(0)} MB/s`;
    const cpu = (b: Best) => (b.cpu === undefined ? "" : `, ${(b.cpu / gib).toFixed(2)} CPU-s/GiB`);
    const ratio = (ours: Best, base: Best) => (base.seconds / ours.seconds).toFixed(2);
    const [defaults, noSync, worker] = variants.map((v) => v.best) as [Best, Best, Best];
    console.log(`\nbest of ${ROUNDS} rounds, ${(SIZE / 1024 ** 2).toFixed(0)} MiB on loopback:`);
    console.log(`  curl -o /dev/null (network only, context): ${mbps(curlNull)}${cpu(curlNull)}`);
    console.log(`  curl -o file (no hash, no fsync):          ${mbps(curlPlain)}${cpu(curlPlain)}`);
    console.log(`  curl -o file, then fsync of the file:      ${mbps(curlSynced)}`);
    for (const v of variants) {
      console.log(`  @dcor/download, ${`${v.label}:`.padEnd(40)} ${mbps(v.best)}${cpu(v.best)}`);
    }
    console.log("ratios (goal >= 0.9):");
    console.log(
      `  (1) defaults vs curl -o:                               ${ratio(defaults, curlPlain)}`,
    );
    console.log(
      `  (2) fsync: false (curl's durability) vs curl -o:        ${ratio(noSync, curlPlain)}`,
    );
    console.log(
      `      fsync: false, hashWorker: false vs curl -o:         ${ratio(worker, curlPlain)}`,
    );
    console.log(
      `  (3) defaults (fsync) vs curl -o + fsync (both durable): ${ratio(defaults, curlSynced)}`,
    );
    const rss = (b: Best) => `${(b.peakRss / 1e6).toFixed(0)} MB`;
    console.log(
      `peak RSS of the downloader process (goal < 150 MB): ${rss(defaults)} (defaults), ${rss(noSync)} (fsync: false), ${rss(worker)} (hashWorker: false)`,
    );
  } finally {
    server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
