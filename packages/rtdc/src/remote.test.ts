// Remote reading against @dcor/emulator over real HTTP on 127.0.0.1, with files our writer makes.
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CKANAPI } from "@dcor/api";
import { type Emulator, startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDataset } from "./dataset.js";
import { RtdcRemoteChangedError, RtdcRemoteError } from "./errors.js";
import { lcg } from "./test-helpers.js";
import { writeRtdc } from "./writer.js";

const N = 100_000;
let dir: string;
let dataDir: string;
let emu: Emulator;
let deformBytes: number;
let fileBytes: number;
let bigUrl: string;
const deform = new Float32Array(N);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-remote-"));
  dataDir = join(dir, "data");
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dataDir);
  const rnd = lcg(7);
  for (let i = 0; i < N; i++) deform[i] = rnd() * 0.1;
  const scalars = {
    deform,
    area_um: Float32Array.from({ length: N }, () => 20 + 100 * rnd()),
    bright_avg: Float32Array.from({ length: N }, () => 100 + 20 * rnd()),
    pos_x: Float32Array.from({ length: N }, () => 300 * rnd()),
  };
  // A file with big, incompressible images: reading one scalar must not fetch them.
  const big = join(dataDir, "big.rtdc");
  await writeRtdc(big, {
    config: {
      experiment: { sample: "remote test", date: "2024-05-06", time: "01:02:03" },
      imaging: { "pixel size": 0.34 },
    },
    features: {
      ...scalars,
      image: {
        data: new Uint8Array(N * 8 * 10).map(() => Math.floor(256 * rnd())),
        shape: [N, 8, 10],
      },
    },
  });
  fileBytes = (await stat(big)).size;
  // The compressed size of `deform` alone (+ a few KB of HDF5 metadata): an upper bound.
  const only = join(dir, "deform-only.rtdc");
  await writeRtdc(only, { features: { deform } });
  deformBytes = (await stat(only)).size;
  emu = await startEmulator({ dataDir, sample: true });
  const res = emu.catalog.datasets
    .flatMap(
      (d) => (d as { resources?: { id: string; name: string; url: string }[] }).resources ?? [],
    )
    .find((r) => r.name === "big.rtdc");
  if (!res) throw new Error("emulator did not serve big.rtdc");
  bigUrl = res.url;
}, 180_000);

afterAll(async () => {
  await emu?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("remote files over HTTP range requests", () => {
  it("reads one scalar feature without downloading the images", async () => {
    emu.stats.reset();
    const ds = await openDataset(bigUrl);
    expect(ds.length).toBe(N);
    expect(ds.features).toContain("image");
    const got = await ds.get("deform");
    expect(got).toEqual(deform);
    const snap = emu.stats.snapshot();
    const sent = snap.byRoute.object.bytesSent;
    console.log(
      `remote scalar read: ${sent} bytes in ${snap.byRoute.object.requests} requests; deform ~${deformBytes} B compressed; file ${fileBytes} B`,
    );
    expect(sent).toBeLessThanOrEqual(1.5 * deformBytes + 1024 * 1024);
    expect(sent).toBeLessThan(fileBytes / 2);
    // One image: its chunk only.
    emu.stats.reset();
    const img = await ds.image(N - 1);
    expect([img.height, img.width]).toEqual([8, 10]);
    expect(emu.stats.snapshot().byRoute.object.bytesSent).toBeLessThan(fileBytes / 2);
    await ds.close();
  });

  it("prefetch: one extra request at open, then every read is served from memory", async () => {
    emu.stats.reset();
    const ds = await openDataset(bigUrl, { prefetch: true });
    const afterOpen = emu.stats.snapshot().byRoute.object.requests;
    expect(afterOpen).toBeLessThanOrEqual(3);
    for (const f of ds.featuresInnate.filter((x) => x !== "image"))
      expect((await ds.get(f)).length).toBe(N);
    expect((await ds.image(5)).width).toBe(10);
    expect(emu.stats.snapshot().byRoute.object.requests).toBe(afterOpen);
    await ds.close();
  });

  it("turns server failures into RtdcRemoteError and reads again once the server is back", async () => {
    const ds = await openDataset(bigUrl);
    const id = emu.faults.add({ route: "object", status: 500 });
    const err = await ds.get("bright_avg").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtdcRemoteError);
    expect((err as RtdcRemoteError).code).toBe("RTDC_REMOTE");
    expect((err as RtdcRemoteError).context.status).toBe(500);
    emu.faults.remove(id);
    const again = await ds.get("bright_avg");
    expect(again.length).toBe(N);
    // A server that ignores Range: still correct, it just costs the whole body.
    emu.faults.add({ route: "object", ignoreRange: true, times: 1 });
    expect((await ds.get("pos_x")).length).toBe(N);
    await ds.close();
  }, 120_000);

  it("keeps the caller's event loop running while a slow remote read is in progress", async () => {
    const ds = await openDataset(bigUrl);
    const id = emu.faults.add({ route: "object", latencyMs: 300 });
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
    }, 10);
    try {
      expect((await ds.get("area_um")).length).toBe(N);
    } finally {
      clearInterval(timer);
      emu.faults.remove(id);
    }
    // The read waited >= 300 ms for the server; a blocked main thread would not have ticked.
    expect(ticks).toBeGreaterThanOrEqual(3);
    await ds.close();
  }, 120_000);

  it("notices a changed remote file (ETag) instead of mixing two files", async () => {
    const ds = await openDataset(bigUrl);
    const res = emu.catalog.datasets
      .flatMap((d) => (d as { resources?: { id: string; name: string }[] }).resources ?? [])
      .find((r) => r.name === "big.rtdc");
    const { readFile } = await import("node:fs/promises");
    const other = join(dir, "other.rtdc");
    await writeRtdc(other, { features: { deform: new Float32Array(10) } });
    await emu.replaceResourceFile(res?.id as string, await readFile(other));
    const err = await ds.get("area_um").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RtdcRemoteChangedError);
    await ds.close();
  }, 120_000);
});

describe("DCOR resources", () => {
  it("follows a 'dcor' basin of a local file through the API", async () => {
    const res = emu.catalog.datasets
      .flatMap((d) => (d as { resources?: { id: string; name: string }[] }).resources ?? [])
      .find((r) => r.name === "big.rtdc");
    const api = new CKANAPI({ server: emu.url });
    // (An earlier test replaced big.rtdc: take the resource's current event count.)
    const current = await openDataset(res?.id as string, { api });
    const n = current.length;
    const feat = current.featuresScalar.includes("area_um") ? "area_um" : "deform";
    await current.close();
    const local = join(dir, "refers-to-dcor.rtdc");
    await writeRtdc(local, {
      features: { userdef1: new Float32Array(n) },
      basins: [
        {
          name: "on DCOR",
          type: "remote",
          format: "dcor",
          urls: [api.dcservUrl(res?.id as string)],
          features: [feat],
        },
      ],
    });
    const ds = await openDataset(local, { api });
    expect(ds.basins[0]?.format).toBe("dcor");
    const area = await ds.get(feat);
    expect(area.length).toBe(n);
    expect(ds.basins[0]?.available).toBe(true);
    await ds.close();
    // Without an API client the basin is skipped, not fatal.
    const ds2 = await openDataset(local);
    await expect(ds2.get(feat)).rejects.toThrow(/not available/);
    await ds2.close();
  }, 120_000);

  it("opens a private resource through presigned basins and refreshes them before expiry", async () => {
    const alice = emu.users.find((u) => u.name === "alice");
    const api = new CKANAPI({ server: emu.url, apiKey: alice?.token as string });
    const priv = emu.catalog.datasets.find(
      (d) =>
        (d as { private?: boolean }).private &&
        ((d as { resources?: unknown[] }).resources?.length ?? 0) > 0,
    ) as { resources: { id: string }[] } | undefined;
    const rid = priv?.resources[0]?.id as string;
    const ds = await openDataset(`${api.dcservUrl(rid)}`, { api });
    expect(ds.basins.map((b) => b.name)).toEqual([
      expect.stringMatching(/^condensed-/),
      expect.stringMatching(/^resource-/),
    ]);
    expect(ds.length).toBeGreaterThan(0);
    const first = await ds.get("deform");
    expect(first.length).toBe(ds.length);
    // Two hours later the presigned URLs have expired: the next read refreshes them first.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * 3600_000 });
    try {
      emu.stats.reset();
      const names = ds.featuresScalar.filter((f) => f !== "deform");
      for (const f of names.slice(0, 3)) expect((await ds.get(f)).length).toBe(ds.length);
      const log = emu.stats.snapshot().log;
      expect(log.some((e) => e.path.includes("dcserv"))).toBe(true);
      expect(log.filter((e) => e.status === 403)).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
    // Without a token the private resource is not accessible.
    const anon = new CKANAPI({ server: emu.url });
    await expect(openDataset(rid, { api: anon })).rejects.toThrow();
    await ds.close();
  }, 120_000);
});
