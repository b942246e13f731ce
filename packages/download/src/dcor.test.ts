import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CKANAPI } from "@dcor/api";
import { type Emulator, startEmulator } from "@dcor/emulator";
import { Agent, type Dispatcher } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  addCircle,
  addCollection,
  addDataset,
  addResource,
  ChecksumMismatchError,
  type DownloadJob,
  DownloadManager,
  type DownloadManagerOptions,
  NotDCResourceError,
} from "./index.js";
import { seededRandom } from "./test-helpers/file-server.js";

let emu: Emulator;
interface Res {
  id: string;
  name: string;
  sha256: string;
}
interface Ds {
  id: string;
  name: string;
  resources: Res[];
  groups?: { name: string }[];
  organization?: { name: string } | null;
  state?: string;
}
const datasets = () => emu.catalog.datasets as unknown as Ds[];
const managers: DownloadManager[] = [];
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A dispatcher that records which headers went to which origin (what really hit the wire). */
function recordingAgent() {
  const sent: { origin: string; path: string; headers: Record<string, string> }[] = [];
  const agent = new Agent().compose((dispatch) => (opts: Dispatcher.DispatchOptions, handler) => {
    const h: Record<string, string> = {};
    const raw = opts.headers as Record<string, string> | string[] | undefined;
    if (Array.isArray(raw))
      for (let i = 0; i < raw.length; i += 2) h[raw[i]!.toLowerCase()] = raw[i + 1]!;
    else if (raw) for (const [k, v] of Object.entries(raw)) h[k.toLowerCase()] = String(v);
    sent.push({ origin: String(opts.origin), path: opts.path, headers: h });
    return dispatch(opts, handler);
  });
  return { agent, sent };
}

beforeAll(async () => {
  emu = await startEmulator({});
});
afterAll(async () => {
  await emu.close();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  emu.faults.clear();
});

async function setup(extra: Partial<DownloadManagerOptions> = {}, user?: string) {
  const dir = await mkdtemp(path.join(tmpdir(), "dl-dcor-"));
  const token = user ? emu.users.find((u) => u.name === user)!.token : undefined;
  const api = new CKANAPI({ server: emu.url, ...(token ? { apiKey: token } : {}) });
  const rec = recordingAgent();
  const dm = new DownloadManager({
    stateDir: path.join(dir, "state"),
    headersFor: (u) => api.authHeadersFor(u),
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    fsync: false,
    progressIntervalMs: 0,
    dispatcher: rec.agent,
    ...extra,
  });
  managers.push(dm);
  return { dm, api, dir, sent: rec.sent, token };
}

/** Every finished job holds exactly the catalog's bytes; no failed job left a file behind. */
async function checkAll(jobs: DownloadJob[]) {
  for (const job of jobs) {
    const rid = (job.meta as { dcor: { resourceId: string; condensed: boolean } }).dcor;
    const truth = emu.catalog.resource(rid.resourceId) as unknown as {
      resource: Res;
      filePath: string;
      condensedPath: string;
    };
    if (job.state === "done") {
      const expected = await readFile(rid.condensed ? truth.condensedPath : truth.filePath);
      expect(sha(await readFile(job.destination))).toBe(sha(expected));
      if (!rid.condensed) expect(job.result!.sha256).toBe(truth.resource.sha256);
    } else {
      expect(existsSync(job.destination)).toBe(false);
    }
  }
}

/**
 * Watches the destinations while jobs run: whenever a file is there, it must already be the
 * right one (the destination is never a half-written or unverified file).
 */
function watchDestinations(jobs: DownloadJob[]) {
  const wrong: string[] = [];
  let checks = 0;
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      for (const job of jobs) {
        if (!existsSync(job.destination)) continue;
        const bytes = await readFile(job.destination).catch(() => undefined);
        if (!bytes) continue;
        checks++;
        const rid = (job.meta as { dcor: { resourceId: string } }).dcor.resourceId;
        const truth = emu.catalog.resource(rid) as unknown as { resource: Res };
        if (sha(bytes) !== truth.resource.sha256) wrong.push(job.destination);
      }
    } finally {
      busy = false;
    }
  }, 3);
  return {
    stop: () => clearInterval(timer),
    wrong,
    get checks() {
      return checks;
    },
  };
}

/**
 * The emulator merges all matching rules into one request, so faults meant to hit one request
 * after another are added one at a time: the next once the previous one was used up.
 */
function faultSequence(rules: Parameters<Emulator["faults"]["add"]>[0][]) {
  let i = 0;
  let current = emu.faults.add(rules[i++]!);
  const timer = setInterval(() => {
    if (emu.faults.list().some((f) => f.id === current)) return;
    if (i >= rules.length) return clearInterval(timer);
    current = emu.faults.add(rules[i++]!);
  }, 2);
  return {
    stop: () => clearInterval(timer),
    get applied() {
      return i;
    },
  };
}

const publicDataset = () => datasets().find((d) => d.name === "figshare-7771184-v2")!;
const privateDataset = () => datasets().find((d) => d.name === "alice-private-donor-a")!;

describe("DCOR layer against @dcor/emulator", () => {
  it("addResource: <dir>/<dataset>/<resource>, verified by the resource's sha256", async () => {
    const { dm, api, dir } = await setup();
    const ds = publicDataset();
    const res = ds.resources[0]!;
    const job = await addResource(dm, api, res.id, { directory: dir });
    expect(job.id).toBe(res.id);
    expect(job.destination).toBe(path.join(dir, ds.name, res.name));
    const result = await job.done;
    expect(result.verifiedBy).toBe("sha256");
    await checkAll([job]);
    // Adding it again returns the same job.
    expect(await addResource(dm, api, res.id, { directory: dir })).toBe(job);
  });

  it("condensed: <stem>_condensed.rtdc, verified by the object store ETag", async () => {
    const { dm, api, dir } = await setup();
    const ds = publicDataset();
    const res = ds.resources[1]!;
    const job = await addResource(dm, api, res.id, { directory: dir, condensed: true });
    expect(path.basename(job.destination)).toBe(res.name.replace(/\.rtdc$/, "_condensed.rtdc"));
    expect((await job.done).verifiedBy).toBe("etag");
    await checkAll([job]);
  });

  it("condensed for a non-RT-DC resource is a typed error", async () => {
    const { dm } = await setup();
    const fake = {
      get: async (action: string) =>
        action === "resource_show"
          ? { id: "r1", package_id: "p1", name: "notes.pdf", mimetype: "application/pdf" }
          : { id: "p1", name: "ds", resources: [] },
      resourceDownloadUrl: () => "http://127.0.0.1:1/x",
      condensedDownloadUrl: () => "http://127.0.0.1:1/y",
    };
    await expect(
      addResource(dm, fake, "r1", { directory: "/tmp/x", condensed: true }),
    ).rejects.toBeInstanceOf(NotDCResourceError);
  });

  it("private resource with a token: through the 302, the token never reaches the object store", async () => {
    const { dm, api, dir, sent, token } = await setup({}, "alice");
    const ds = privateDataset();
    const jobs = await addDataset(dm, api, ds.name, { directory: dir });
    expect(jobs).toHaveLength(ds.resources.length);
    await Promise.all(jobs.map((j) => j.done));
    await checkAll(jobs);
    const site = new URL(emu.url).origin;
    const store = new URL(emu.objectStoreUrl).origin;
    const toSite = sent.filter((s) => s.origin === site);
    const toStore = sent.filter((s) => s.origin === store);
    expect(toSite.length).toBeGreaterThan(0);
    expect(toSite.every((s) => s.headers.authorization === token)).toBe(true);
    expect(toStore.length).toBeGreaterThan(0);
    expect(toStore.every((s) => s.headers.authorization === undefined)).toBe(true);
    expect(JSON.stringify(toStore)).not.toContain(token!);
  });

  it("private resource without a token fails cleanly (metadata not visible)", async () => {
    const { dm, api, dir } = await setup();
    const res = privateDataset().resources[0]!;
    await expect(addResource(dm, api, res.id, { directory: dir })).rejects.toMatchObject({
      code: expect.stringMatching(/^DCOR_/),
    });
    expect(dm.jobs).toHaveLength(0);
  });

  it("addCollection pages through package_search and includes private datasets shared with the user", async () => {
    const { dm, api, dir } = await setup({ concurrency: 4 }, "bob");
    const expected = (emu.catalog.visibleDatasets("bob") as unknown as Ds[]).filter((d) =>
      (d.groups ?? []).some((g) => g.name === "shared-collection"),
    );
    expect(expected.length).toBeGreaterThan(2);
    const jobs = await addCollection(dm, api, "shared-collection", { directory: dir, pageSize: 2 });
    const nres = expected.reduce((n, d) => n + d.resources.length, 0);
    expect(jobs).toHaveLength(nres);
    expect(
      new Set(jobs.map((j) => (j.meta as { dcor: { datasetName: string } }).dcor.datasetName)),
    ).toEqual(new Set(expected.map((d) => d.name)));
    await Promise.all(jobs.map((j) => j.done));
    await checkAll(jobs);
  });

  it("addCircle queues every (visible, active) dataset of a circle", async () => {
    const { dm, api, dir } = await setup({}, "alice");
    const expected = (emu.catalog.visibleDatasets("alice") as unknown as Ds[]).filter(
      (d) => d.organization?.name === "alice-lab" && d.state === "active",
    );
    expect(expected.length).toBeGreaterThan(1);
    const jobs = await addCircle(dm, api, "alice-lab", { directory: dir, pageSize: 3 });
    expect(jobs).toHaveLength(expected.reduce((n, d) => n + d.resources.length, 0));
    await Promise.all(jobs.map((j) => j.done));
    await checkAll(jobs);
  });

  it("survives resets at random (seeded) offsets, ignored Range, 5xx bursts and 429 on the object store", async () => {
    const { dm, api, dir } = await setup({
      concurrency: 2,
      retry: { limit: 20, minDelayMs: 5, maxDelayMs: 50 },
    });
    const rnd = seededRandom(42);
    const rules: Parameters<Emulator["faults"]["add"]>[0][] = [
      { route: "object", times: 3, status: 503 },
      { route: "download", times: 2, status: 502 },
      { route: "object", times: 1, status: 429, retryAfter: 1 },
      { route: "object", times: 1, resetAfterBytes: 30_000 },
      { route: "object", times: 1, ignoreRange: true },
    ];
    for (let i = 0; i < 6; i++) {
      rules.push({ route: "object", times: 1, resetAfterBytes: Math.floor(rnd() * 150_000) + 1 });
    }
    // A slow-ish link on top, so that the transfer lasts long enough for every fault to be hit.
    emu.faults.add({ route: "object", bytesPerSecond: 1_500_000 });
    const seq = faultSequence(rules);
    const jobs = await addDataset(dm, api, publicDataset().name, { directory: dir });
    const watch = watchDestinations(jobs);
    const retries: string[] = [];
    dm.on("retry", (_j, r) => retries.push(r.reason.code));
    await Promise.all(jobs.map((j) => j.done));
    watch.stop();
    expect(watch.wrong).toEqual([]);
    await checkAll(jobs);
    seq.stop();
    expect(seq.applied).toBe(rules.length);
    expect(retries.length).toBeGreaterThanOrEqual(5);
    expect(retries).toContain("DOWNLOAD_NETWORK");
    expect(retries).toContain("DOWNLOAD_HTTP_STATUS");
    const log = emu.stats.snapshot().log;
    expect(log.some((e) => e.range)).toBe(true);
  });

  it("corrupted bytes are caught by sha256 and downloaded again", async () => {
    const { dm, api, dir } = await setup();
    emu.faults.add({ route: "object", times: 1, corrupt: { offset: 1000, count: 4 } });
    const res = publicDataset().resources[2]!;
    const job = await addResource(dm, api, res.id, { directory: dir });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    await job.done;
    expect(restarts).toEqual(["checksum-mismatch"]);
    await checkAll([job]);
  });

  it("persistently corrupted bytes: ChecksumMismatchError, never a wrong file at the destination", async () => {
    const { dm, api, dir } = await setup();
    emu.faults.add({ route: "object", corrupt: { offset: 10, count: 1 } });
    const res = publicDataset().resources[3]!;
    const job = await addResource(dm, api, res.id, { directory: dir });
    const err = await job.done.catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(err.expected).toBe(res.sha256);
    expect(existsSync(job.destination)).toBe(false);
    expect(existsSync(job.partPath)).toBe(false);
  });

  it("slow links get there", async () => {
    const { dm, api, dir } = await setup();
    emu.faults.add({ route: "object", bytesPerSecond: 400_000 });
    const job = await addResource(dm, api, publicDataset().resources[1]!.id, { directory: dir });
    await job.done;
    await checkAll([job]);
  });

  it("a remote file replaced between attempts: restart, and the stale sha256 never lets it pass", async () => {
    const { dm, api, dir } = await setup();
    const ds = datasets().find((d) => d.name === "bob-jurkat-cells")!;
    const res = ds.resources[0]!;
    emu.faults.add({ route: "object", times: 1, resetAfterBytes: 20_000 });
    const job = await addResource(dm, api, res.id, { directory: dir });
    const replaced = Buffer.from(createHash("sha512").update("new bytes").digest())
      .toString("hex")
      .repeat(500);
    let swapped: Promise<void> | undefined;
    job.once("retry", () => {
      // Hold the job until the remote file really is replaced, then let it continue.
      dm.pause(job.id);
      swapped = emu
        .replaceResourceFile(res.id, Buffer.from(replaced))
        .then(() => dm.resume(job.id));
    });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    const err = await job.done.catch((e) => e);
    await swapped;
    // The job's sha256 came from resource_show before the swap: the new bytes must not pass.
    expect(restarts[0]).toBe("remote-changed");
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(existsSync(job.destination)).toBe(false);
    // Asking again resolves the new sha256 and succeeds.
    await dm.remove(job.id);
    const again = await addResource(dm, api, res.id, { directory: dir });
    const result = await again.done;
    expect(result.sha256).toBe(sha(Buffer.from(replaced)));
  });
});
