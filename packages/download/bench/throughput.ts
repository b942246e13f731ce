/**
 * Throughput of a verified 1 GiB download on loopback vs `curl -o` of the same URL, measured
 * in the same run, plus the downloader's peak RSS (measured in its own child process).
 * Goals: ratio ≥ 0.9, peak RSS < 150 MB.
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
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

async function curl(url: string, dest: string): Promise<number> {
  const { stdout } = await run("curl", ["-s", "-S", "-o", dest, "-w", "%{time_total}", url]);
  return Number(stdout.trim());
}

/** Seconds for `cmd args` (context baselines: fsync / sha256sum after curl). */
async function timed(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  await run(cmd, args, { maxBuffer: 1 << 20 });
  return (performance.now() - t0) / 1000;
}

async function ours(url: string, dir: string, sha256: string, fsync: boolean, hashWorker = false) {
  const { stdout } = await run(
    process.execPath,
    [path.join(here, "download-child.mjs"), url, dir, sha256],
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
  return JSON.parse(stdout.trim().split("\n").pop()!) as {
    seconds: number;
    bytes: number;
    maxRSSBytes: number;
  };
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
    let bestCurl = Number.POSITIVE_INFINITY;
    let bestCurlNull = Number.POSITIVE_INFINITY;
    let bestOurs = Number.POSITIVE_INFINITY;
    let bestNoSync = Number.POSITIVE_INFINITY;
    let bestCurlSync = Number.POSITIVE_INFINITY;
    let bestCurlSha = Number.POSITIVE_INFINITY;
    let peakRss = 0;
    let bestWorker = Number.POSITIVE_INFINITY;
    let peakRssWorker = 0;
    for (let i = 0; i < ROUNDS; i++) {
      const curlFile = path.join(dir, "curl.bin");
      const c = await curl(server.url, curlFile);
      // Context: what curl would cost with the work the downloader does on top (run after it,
      // on the same file: `sync FILE` is an fsync; sha256sum is coreutils').
      const cSync = c + (await timed("sync", [curlFile]));
      const cSha = c + (await timed("sha256sum", [curlFile]));
      await rm(curlFile, { force: true });
      bestCurlNull = Math.min(bestCurlNull, await curl(server.url, "/dev/null"));
      const times: number[] = [];
      for (const fsync of [true, false]) {
        const runDir = await mkdtemp(path.join(dir, "ours-"));
        const o = await ours(server.url, runDir, sha256, fsync);
        await rm(runDir, { recursive: true, force: true });
        if (o.bytes !== SIZE) throw new Error(`downloaded ${o.bytes} bytes, expected ${SIZE}`);
        peakRss = Math.max(peakRss, o.maxRSSBytes);
        times.push(o.seconds);
      }
      {
        const runDir = await mkdtemp(path.join(dir, "ours-"));
        const o = await ours(server.url, runDir, sha256, false, true);
        await rm(runDir, { recursive: true, force: true });
        if (o.bytes !== SIZE) throw new Error(`downloaded ${o.bytes} bytes, expected ${SIZE}`);
        peakRssWorker = Math.max(peakRssWorker, o.maxRSSBytes);
        bestWorker = Math.min(bestWorker, o.seconds);
        times.push(o.seconds);
      }
      bestCurl = Math.min(bestCurl, c);
      bestCurlSync = Math.min(bestCurlSync, cSync);
      bestCurlSha = Math.min(bestCurlSha, cSha);
      bestOurs = Math.min(bestOurs, times[0]!);
      bestNoSync = Math.min(bestNoSync, times[1]!);
      console.log(
        `round ${i + 1}: curl ${c.toFixed(2)} s, @dcor/download ${times[0]!.toFixed(2)} s (fsync), ${times[1]!.toFixed(2)} s (no fsync), ${times[2]!.toFixed(2)} s (no fsync, hashWorker: true)`,
      );
    }
    const mbps = (s: number) => SIZE / 1e6 / s;
    console.log(`curl -o /dev/null (network only, context): ${mbps(bestCurlNull).toFixed(0)} MB/s`);
    console.log(`curl -o (no verification, no fsync):      ${mbps(bestCurl).toFixed(0)} MB/s`);
    console.log(`curl -o, then fsync (context):            ${mbps(bestCurlSync).toFixed(0)} MB/s`);
    console.log(`curl -o, then sha256sum (context):        ${mbps(bestCurlSha).toFixed(0)} MB/s`);
    console.log(`@dcor/download (sha256, fsync; default):  ${mbps(bestOurs).toFixed(0)} MB/s`);
    console.log(`@dcor/download (sha256, fsync: false):    ${mbps(bestNoSync).toFixed(0)} MB/s`);
    console.log(
      `@dcor/download (fsync: false, hashWorker: true): ${mbps(bestWorker).toFixed(0)} MB/s`,
    );
    console.log(`ratio default / curl: ${(bestCurl / bestOurs).toFixed(2)} (goal >= 0.9)`);
    console.log(`ratio fsync:false / curl: ${(bestCurl / bestNoSync).toFixed(2)}`);
    console.log(`ratio fsync:false + hashWorker / curl: ${(bestCurl / bestWorker).toFixed(2)}`);
    console.log(
      `ratio default / (curl + fsync): ${(bestCurlSync / bestOurs).toFixed(2)}, fsync:false / (curl + sha256sum): ${(bestCurlSha / bestNoSync).toFixed(2)}`,
    );
    console.log(
      `peak RSS of the downloader process: ${(peakRss / 1e6).toFixed(0)} MB (goal < 150 MB); with hashWorker: true ${(peakRssWorker / 1e6).toFixed(0)} MB`,
    );
  } finally {
    server.stop();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
