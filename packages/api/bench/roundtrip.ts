/**
 * Round trips per second of `api.get("package_show", { id })` against the emulator, next to a plain
 * `fetch` + `JSON.parse` of the same URL as the baseline, measured in the same run.
 *
 * Run: `pnpm run bench` (env BENCH_SECONDS, default 2 per round, 3 rounds, sequential and 8 in
 * parallel).
 */
import { startEmulator } from "@dcor/emulator";
import { request } from "undici";
import { CKANAPI } from "../src/index.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = 3;

type Op = () => Promise<unknown>;

async function measure(op: Op, parallel: number, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await op();
      count++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: parallel }, worker));
  return count / ((performance.now() - start) / 1000);
}

const emu = await startEmulator({});
try {
  const dataset = emu.catalog.datasets.find((d) => !d.private && d.state === "active");
  if (!dataset) throw new Error("the emulator's sample catalog has no public dataset");
  const api = new CKANAPI({ server: emu.url });
  const url = `${api.apiUrl}package_show?id=${encodeURIComponent(dataset.id)}`;

  const viaApi: Op = () => api.get("package_show", { id: dataset.id });
  const viaFetch: Op = async () => {
    const res = await fetch(url);
    const body = (await res.json()) as { success: boolean; result: unknown };
    if (!res.ok || !body.success) throw new Error(`fetch failed: HTTP ${res.status}`);
    return body.result;
  };

  // For reference: undici's own request(), what CKANAPI is built on.
  const viaUndici: Op = async () => {
    const res = await request(url);
    const body = (await res.body.json()) as { success: boolean; result: unknown };
    if (res.statusCode !== 200 || !body.success) throw new Error(`HTTP ${res.statusCode}`);
    return body.result;
  };

  // Same answer from both, and warm up connections and JIT.
  const [a, b] = await Promise.all([viaApi(), viaFetch()]);
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("api.get and fetch disagree");
  await measure(viaApi, 4, 0.5);
  await measure(viaFetch, 4, 0.5);
  await measure(viaUndici, 4, 0.5);

  console.log(`package_show round trips against the emulator (${SECONDS} s × ${ROUNDS} rounds)`);
  for (const parallel of [1, 8]) {
    const apiRates: number[] = [];
    const fetchRates: number[] = [];
    const undiciRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate so that drift (GC, other load) hits both alike.
      fetchRates.push(await measure(viaFetch, parallel, SECONDS));
      apiRates.push(await measure(viaApi, parallel, SECONDS));
      undiciRates.push(await measure(viaUndici, parallel, SECONDS));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const apiRate = median(apiRates);
    const fetchRate = median(fetchRates);
    console.log(
      `  ${parallel} in flight: api.get ${apiRate.toFixed(0)}/s, fetch ${fetchRate.toFixed(0)}/s, ` +
        `ratio api/fetch ${(apiRate / fetchRate).toFixed(2)}` +
        ` (undici.request ${median(undiciRates).toFixed(0)}/s)`,
    );
  }
} finally {
  await emu.close();
}
