/**
 * Benchmark of @dcor/interrogator against a 10,000-dataset emulator, in one run:
 * 1. listing every dataset with `iterateDatasets` (concurrent pages) vs a sequential DCOR-Aid-style
 *    `package_search` loop (rows=1000, start += 1000), with the emulator simulating a real server:
 *    a per-request latency (server work + round trip; an asynchronous delay, so concurrent
 *    requests overlap as on a multi-worker server) and optionally a per-connection transfer rate
 *    (a 1000-row page is ~3.7 MB), against one emulator and against several identical emulators
 *    behind a round-robin proxy;
 * 2. local-index search latency (median, p99) vs a DCOR-Aid-style `LIKE %q%` scan of the same
 *    SQLite data.
 * Each emulator runs in a child process, so its single-threaded work does not share the client's
 * thread; one emulator handles one request at a time, which a real server does not.
 *
 * Run: `pnpm --filter @dcor/interrogator bench` (env BENCH_NETWORKS="30,100:12500000" — a comma
 * list of `latencyMs[:bytesPerSecond]`, BENCH_WORKERS=1 (emulators behind the proxy),
 * BENCH_DATASETS=10000).
 */

import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CKANAPI } from "@dcor/api";
import Database from "better-sqlite3";
import { APIInterrogator } from "../src/index.js";
import { CachedInterrogator } from "../src/local/index.js";

/** Simulated networks: latency per API request, and per-connection bytes per second (0 = no cap). */
const NETWORKS = (process.env.BENCH_NETWORKS ?? process.env.BENCH_LATENCIES_MS ?? "30,100:12500000")
  .split(",")
  .map((item) => {
    const [latency = "0", bps = "0"] = item.split(":");
    return { latency: Number(latency), bytesPerSecond: Number(bps) };
  });
const describeNetwork = (n: { latency: number; bytesPerSecond: number }) =>
  `latency ${n.latency} ms per API request` +
  (n.bytesPerSecond
    ? ` + ${((n.bytesPerSecond * 8) / 1e6).toFixed(0)} Mbit/s per connection`
    : " (no transfer cap: loopback speed)");
const WORKERS = Number(process.env.BENCH_WORKERS ?? 1);
const SYNTHETIC = Number(process.env.BENCH_DATASETS ?? 10_000);
const ROUNDS = 5;
const QUERIES = 2000;

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}
const fmt = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(2)} ms`);

/** DCOR-Aid's `search_dataset_via_api(limit=0)` loop: one page of 1000 after the other. */
async function dcoraidStyleListing(api: CKANAPI): Promise<number> {
  const seen = new Set<string>();
  let start = 0;
  let total = Number.POSITIVE_INFINITY;
  while (start < total) {
    const page = await api.get<{ count: number; results: { id: string }[] }>("package_search", {
      q: "*:*",
      rows: 1000,
      start,
      sort: "metadata_created desc",
      include_private: api.hasApiKey,
    });
    total = page.count;
    if (page.results.length === 0) break;
    for (const ds of page.results) seen.add(ds.id);
    start += page.results.length;
  }
  return seen.size;
}

/** Starts the emulator in a child process; resolves with its URL and a control handle. */
async function startEmulatorProcess(user: { name: string; token: string }) {
  const child = fork(
    fileURLToPath(new URL("./emulator-process.ts", import.meta.url)),
    [String(SYNTHETIC), user.name, user.token],
    { execArgv: ["--import", "tsx", "--conditions=@dcor/source"], stdio: "inherit" },
  );
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (msg: T & { type: string }) => {
        if (msg.type !== type) return;
        child.off("message", onMessage);
        resolve(msg);
      };
      child.on("message", onMessage);
      child.once("exit", (code) => reject(new Error(`emulator process exited (${code})`)));
    });
  const ready = await next<{ url: string; visible: number }>("ready");
  return {
    url: ready.url,
    visible: ready.visible,
    setLatency: async (ms: number, bytesPerSecond = 0) => {
      const done = next("latency-set");
      child.send({ type: "latency", ms, bytesPerSecond });
      await done;
    },
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "close" });
      await exited;
    },
  };
}

/**
 * A round-robin HTTP proxy in front of several emulator processes with the same catalog (same
 * seed): one origin served by several workers, as CKAN is served by several uWSGI workers.
 */
async function startProxy(targets: string[]): Promise<{ url: string; close: () => Promise<void> }> {
  let next = 0;
  const server = createServer((req, res) => {
    const target = new URL(targets[next++ % targets.length]!);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  const user = { name: "bench-admin", token: "bench-sysadmin-token-000000" };
  const emus = await Promise.all(
    Array.from({ length: Math.max(1, WORKERS) }, () => startEmulatorProcess(user)),
  );
  const emu = emus[0]!;
  const proxy = await startProxy(emus.map((e) => e.url));
  const dir = await mkdtemp(join(tmpdir(), "dcor-bench-"));
  try {
    const client = (server: string) =>
      new CKANAPI({ server, apiKey: user.token, retry: false, timeout: 120_000 });
    const api = client(emu.url);
    const expected = emu.visible;
    if (emus.some((e) => e.visible !== expected)) throw new Error("emulator catalogs differ");
    console.log(
      `emulator: ${SYNTHETIC} synthetic + sample datasets, ${expected} visible to a sysadmin; ` +
        `each emulator is one single-threaded child process`,
    );
    // Warm every emulator once so neither contender pays for first-request work.
    let t = performance.now();
    for (const e of emus) await dcoraidStyleListing(client(e.url));
    console.log(`warm-up listing without latency: ${fmt((performance.now() - t) / emus.length)}`);
    // What one 1000-row page costs without simulated latency: the emulator plus loopback transfer
    // (raw bytes), and the same with the client's JSON parsing (api.get).
    const rawTimes: number[] = [];
    const pageTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      const params = { q: "*:*", rows: 1000, start: i * 1000, include_private: true };
      const url = `${emu.url}/api/3/action/package_search?${new URLSearchParams(
        Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]),
      )}`;
      t = performance.now();
      await (await fetch(url, { headers: { Authorization: user.token } })).arrayBuffer();
      rawTimes.push(performance.now() - t);
      t = performance.now();
      await api.get("package_search", params);
      pageTimes.push(performance.now() - t);
    }
    const pages = Math.ceil(expected / 1000);
    console.log(
      `one 1000-row page without latency (median of 5): ${fmt(median(rawTimes))} emulator + ` +
        `transfer + fetch reading the body, ${fmt(median(pageTimes))} with the client's JSON ` +
        `parsing (api.get); ${pages} pages. Concurrent pages overlap the server's latency, not the ` +
        `client's parsing (~${fmt(median(pageTimes) - median(rawTimes))} per page on one thread).`,
    );

    const scenarios = [
      ...NETWORKS.map((network) => ({ network, servers: 1 })),
      ...(emus.length > 1 ? NETWORKS.map((network) => ({ network, servers: emus.length })) : []),
    ];
    const ratios: string[] = [];
    for (const { network, servers } of scenarios) {
      for (const e of emus) await e.setLatency(network.latency, network.bytesPerSecond);
      const target = servers === 1 ? api : client(proxy.url);
      const air = new APIInterrogator(target); // concurrency 4, pages of 1000
      const seqTimes: number[] = [];
      const iterTimes: number[] = [];
      const runSequential = async () => {
        const t0 = performance.now();
        const n = await dcoraidStyleListing(target);
        seqTimes.push(performance.now() - t0);
        return n;
      };
      const runIterate = async () => {
        const t0 = performance.now();
        let n = 0;
        for await (const _ of air.iterateDatasets()) n++;
        iterTimes.push(performance.now() - t0);
        return n;
      };
      for (let round = 0; round < ROUNDS; round++) {
        // alternate who goes first, so drift in machine load hits both alike
        for (const run of round % 2 === 0
          ? [runSequential, runIterate]
          : [runIterate, runSequential]) {
          const n = await run();
          if (n !== expected) throw new Error(`listing gave ${n} datasets, truth ${expected}`);
        }
      }
      const seq = median(seqTimes);
      const iter = median(iterTimes);
      const model =
        servers === 1
          ? "1 emulator"
          : `${servers} emulators behind a round-robin proxy (like CKAN workers)`;
      console.log(
        `\nlist all ${expected} datasets: ${model}, simulated ${describeNetwork(network)} ` +
          `(median of ${ROUNDS}):`,
      );
      console.log(`  DCOR-Aid-style sequential loop : ${fmt(seq)}`);
      console.log(`  iterateDatasets (concurrency 4): ${fmt(iter)}`);
      console.log(`  ratio sequential / iterate     : ${(seq / iter).toFixed(2)}x faster`);
      ratios.push(`${(seq / iter).toFixed(2)}x with ${describeNetwork(network)}, ${model}`);
    }
    console.log(`\nsummary, iterateDatasets vs sequential loop: ${ratios.join("; ")}`);
    for (const e of emus) await e.setLatency(0);

    // Local index
    t = performance.now();
    const local = await CachedInterrogator.open({ api, cacheDir: dir });
    const first = await local.update();
    const updateMs = performance.now() - t;
    t = performance.now();
    const again = await local.update();
    const incrementalMs = performance.now() - t;
    console.log(`\nlocal index (${local.size} datasets, ${first.circles} circles):`);
    console.log(`  first update      : ${fmt(updateMs)} (${first.fetched} fetched)`);
    console.log(`  incremental update: ${fmt(incrementalMs)} (${again.fetched} fetched)`);

    // Queries: words and as-you-type prefixes from real titles, some with filters, some empty.
    const all = local.search({ limit: 0 }).datasets;
    const words = [
      ...new Set(all.flatMap((d) => (d.title ?? "").split(/\W+/)).filter((w) => w.length > 2)),
    ];
    const circles = local.getCircles().map((c) => c.name);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const queries = Array.from({ length: QUERIES }, (_, i) => {
      const w = words[rand(words.length)]!;
      const kind = i % 5;
      if (kind === 0) return { query: w.slice(0, 3) }; // typing
      if (kind === 1) return { query: `${w} ${words[rand(words.length)]}` };
      if (kind === 2) return { query: w, circles: [circles[rand(circles.length)]!] };
      if (kind === 3) return { query: "" }; // list newest
      return { query: w.toLowerCase() };
    });

    const ftsTimes: number[] = [];
    let hits = 0;
    for (const q of queries) {
      const s = performance.now();
      hits += local.search({ ...q, limit: 100 }).count;
      ftsTimes.push(performance.now() - s);
    }

    // Baseline: DCOR-Aid's Find Data, a case-insensitive LIKE over a blob of every dataset.
    const db = new Database(local.path, { readonly: true });
    const like = db.prepare(
      `SELECT j.json FROM datasets d JOIN dataset_docs j ON j.rowid = d.rowid
       WHERE lower(j.json) LIKE ? ORDER BY d.metadata_created DESC LIMIT 100`,
    );
    const likeTimes: number[] = [];
    for (const q of queries.slice(0, 400)) {
      const s = performance.now();
      const rows = like.all(`%${(q.query ?? "").toLowerCase()}%`) as { json: string }[];
      for (const r of rows) JSON.parse(r.json);
      likeTimes.push(performance.now() - s);
    }
    db.close();
    local.close();

    const ftsMedian = median(ftsTimes);
    const likeMedian = median(likeTimes);
    console.log(
      `\nlocal search, ${QUERIES} queries (${(hits / QUERIES).toFixed(0)} hits on average, first 100 parsed):`,
    );
    console.log(
      `  FTS5 index        : median ${fmt(ftsMedian)}, p99 ${fmt(quantile(ftsTimes, 0.99))}`,
    );
    console.log(
      `  LIKE scan baseline: median ${fmt(likeMedian)}, p99 ${fmt(quantile(likeTimes, 0.99))} (400 queries)`,
    );
    console.log(`  ratio LIKE / FTS5 (median): ${(likeMedian / ftsMedian).toFixed(1)}x faster`);
  } finally {
    await proxy.close();
    await Promise.all(emus.map((e) => e.close()));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
