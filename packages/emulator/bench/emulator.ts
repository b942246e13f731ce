/**
 * Emulator speed next to a plain Node HTTP server answering the same bytes (baseline measured in
 * the same run): package_show round trips per second, a 1000-row package_search over a 10,000
 * dataset catalog, a 1 MiB Range read, and the warm start time.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startEmulator } from "../src/index.js";

async function roundTrips(url: string, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) {
    const r = await fetch(url);
    await r.arrayBuffer();
    n++;
  }
  return n / seconds;
}

async function baselineServer(body: Buffer): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      "Content-Type": "application/json;charset=utf-8",
      "Content-Length": body.length,
    });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => server.close(),
  };
}

let t = performance.now();
const warm = await startEmulator({ synthetic: 10_000 });
const startMs = performance.now() - t;
await warm.close();
t = performance.now();
const emu = await startEmulator({ synthetic: 10_000 });
const warmStartMs = performance.now() - t;

const showUrl = `${emu.apiUrl}package_show?id=figshare-7771184-v2`;
const showBody = Buffer.from(await (await fetch(showUrl)).arrayBuffer());
const base = await baselineServer(showBody);
const baseRate = await roundTrips(base.url, 2);
const emuRate = await roundTrips(showUrl, 2);

const searchUrl = `${emu.apiUrl}package_search?q=*:*&rows=1000&start=3000`;
const searchBody = Buffer.from(await (await fetch(searchUrl)).arrayBuffer());
const base2 = await baselineServer(searchBody);
const baseSearch = await roundTrips(base2.url, 2);
const emuSearch = await roundTrips(searchUrl, 2);

const res = emu.catalog.datasets.find((d) => d.name === "figshare-7771184-v2")?.resources[2];
const rangeUrl = res?.s3_url as string;
async function throughput(url: string): Promise<number> {
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < 40; i++)
    bytes += (await (await fetch(url, { headers: { Range: "bytes=0-1048575" } })).arrayBuffer())
      .byteLength;
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}
const base3 = await baselineServer(Buffer.alloc(1 << 20, 7));
const baseMBs = await throughput(base3.url);
const rangeMBs = await throughput(rangeUrl);

console.log(
  `start (10k synthetic, cache possibly cold): ${startMs.toFixed(0)} ms; warm start: ${warmStartMs.toFixed(0)} ms`,
);
console.log(
  `package_show: emulator ${emuRate.toFixed(0)}/s, plain http ${baseRate.toFixed(0)}/s, ratio ${(emuRate / baseRate).toFixed(2)}`,
);
console.log(
  `package_search rows=1000 (${(searchBody.length / 1e6).toFixed(1)} MB): emulator ${emuSearch.toFixed(1)}/s, plain http ${baseSearch.toFixed(1)}/s, ratio ${(emuSearch / baseSearch).toFixed(2)}`,
);
console.log(
  `object 1 MiB Range reads: emulator ${rangeMBs.toFixed(0)} MB/s, plain http from memory ${baseMBs.toFixed(0)} MB/s, ratio ${(rangeMBs / baseMBs).toFixed(2)}`,
);
base3.close();
base.close();
base2.close();
await emu.close();
