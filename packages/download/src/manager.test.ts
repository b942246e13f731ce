import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ChecksumMismatchError, HTTPStatusError } from "./errors.js";
import { DownloadManager, type DownloadManagerOptions, type JobState } from "./index.js";
import {
  type FileServer,
  seededBytes,
  sha256,
  startFileServer,
} from "./test-helpers/file-server.js";

let srv: FileServer;
let dir: string;
const managers: DownloadManager[] = [];

const FILE = seededBytes(300_000, 7);
const FILE_SHA = sha256(FILE);

beforeAll(async () => {
  srv = await startFileServer();
  srv.setFile("a.bin", FILE);
});
afterAll(async () => {
  await srv.close();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  srv.faults.length = 0;
  srv.log.length = 0;
});

async function setup(extra: Partial<DownloadManagerOptions> = {}) {
  dir = await mkdtemp(path.join(tmpdir(), "dl-test-"));
  const dm = new DownloadManager({
    stateDir: path.join(dir, "state"),
    retry: { minDelayMs: 5, maxDelayMs: 50 },
    fsync: false,
    progressIntervalMs: 0,
    ...extra,
  });
  managers.push(dm);
  return dm;
}

function statesOf(job: { on: (e: "state", f: (c: { state: JobState }) => void) => unknown }) {
  const states: JobState[] = [];
  job.on("state", (c) => states.push(c.state));
  return states;
}

describe("DownloadManager (generic core)", () => {
  it("downloads, verifies by sha256 and renames atomically", async () => {
    const dm = await setup();
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const states = statesOf(job);
    const progress: number[] = [];
    job.on("progress", (p) => progress.push(p.bytes));
    const result = await job.done;
    expect(result.verifiedBy).toBe("sha256");
    expect(result.sha256).toBe(FILE_SHA);
    expect(result.destination).toBe(path.join(dir, "a.bin"));
    expect(sha256(await readFile(result.destination))).toBe(FILE_SHA);
    expect(existsSync(job.partPath)).toBe(false);
    expect(states).toEqual(["transferring", "verifying", "done"]);
    expect(progress.at(-1)).toBe(FILE.length);
    await dm.close();
    expect(await readdir(path.join(dir, "state"))).toEqual([]); // finished jobs leave no state
  });

  it("sends auth headers to their own origin only, never after a redirect to another host", async () => {
    // A naive headersFor that would hand the token to anyone: the manager must still not leak it.
    const dm = await setup({ headersFor: () => ({ Authorization: `Bearer ${srv.token}` }) });
    const job = dm.add({ url: srv.privateUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    await job.done;
    const site = srv.log.filter((e) => e.origin === "site");
    const store = srv.log.filter((e) => e.origin === "store");
    expect(site.length).toBeGreaterThan(0);
    expect(site.every((e) => e.authorization === `Bearer ${srv.token}`)).toBe(true);
    expect(store.length).toBeGreaterThan(0);
    expect(store.every((e) => e.authorization === undefined)).toBe(true);
  });

  it("without the token a private URL is a 404 error, not retried, token-free", async () => {
    const dm = await setup();
    const job = dm.add({ url: `${srv.privateUrl("a.bin")}?apikey=SECRETKEY123`, directory: dir });
    const err = await job.done.catch((e) => e);
    expect(err).toBeInstanceOf(HTTPStatusError);
    expect(err.status).toBe(404);
    expect(job.state).toBe("error");
    expect(job.reason?.code).toBe("DOWNLOAD_HTTP_STATUS");
    expect(JSON.stringify(job.reason)).not.toContain("SECRETKEY123");
    expect(err.message).not.toContain("SECRETKEY123");
    expect(srv.log.filter((e) => e.origin === "site")).toHaveLength(1);
  });

  it("resumes after connection resets with Range + If-Range from the last byte", async () => {
    const dm = await setup();
    srv.faults.push({ resetAfterBytes: 70_000 }, { resetAfterBytes: 50_000 });
    const job = dm.add({ url: srv.redirectUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const retries: string[] = [];
    job.on("retry", (r) => retries.push(r.reason.code));
    const result = await job.done;
    expect(result.sha256).toBe(FILE_SHA);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    const ranged = srv.log.filter((e) => e.origin === "store" && e.range);
    expect(ranged.length).toBeGreaterThanOrEqual(2);
    for (const e of ranged) {
      expect(e.range).toMatch(/^bytes=\d+-$/);
      expect(e.ifRange).toMatch(/^"[0-9a-f]{32}"$/);
    }
    // Never back to zero: each resume starts at or after where the previous one did (bytes
    // still in flight when the socket was reset may be lost, so "at" is possible).
    const starts = ranged.map((e) => Number(/\d+/.exec(e.range!)![0]));
    expect(starts[0]).toBeGreaterThan(0);
    expect(starts.every((s, i) => i === 0 || s >= starts[i - 1]!)).toBe(true);
  });

  it("restarts from zero when the server ignores Range (200 instead of 206)", async () => {
    const dm = await setup();
    srv.faults.push({ resetAfterBytes: 100_000 }, { ignoreRange: true });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    const result = await job.done;
    expect(result.sha256).toBe(FILE_SHA);
    expect(restarts.length).toBe(1);
  });

  it("restarts when a 206 has a Content-Range that does not match the request", async () => {
    const dm = await setup();
    srv.faults.push({ resetAfterBytes: 100_000 }, { wrongRangeStart: true });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(restarts).toEqual(["content-range-mismatch"]);
  });

  it("corrupted bytes once: mismatch detected, downloaded again, right file", async () => {
    const dm = await setup();
    srv.faults.push({ corruptAt: 12_345 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(restarts).toEqual(["checksum-mismatch"]);
  });

  it("corrupted bytes every time: typed error with both hashes, no file at the destination", async () => {
    const dm = await setup();
    srv.faults.push({ corruptAt: 1 }, { corruptAt: 2 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const err = await job.done.catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(err.expected).toBe(FILE_SHA);
    expect(err.actual).toMatch(/^[0-9a-f]{64}$/);
    expect(err.actual).not.toBe(FILE_SHA);
    expect(job.reason).toMatchObject({ code: "DOWNLOAD_CHECKSUM_MISMATCH", expected: FILE_SHA });
    expect(existsSync(job.destination)).toBe(false);
    expect(existsSync(job.partPath)).toBe(false);
    // retry() works and the job then succeeds
    dm.retry(job.id);
    expect((await job.done).sha256).toBe(FILE_SHA);
  });

  it("retries 5xx bursts, but not 404", async () => {
    const dm = await setup();
    srv.faults.push({ status: 503 }, { status: 502 }, { status: 500 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const retries: number[] = [];
    job.on("retry", (r) => retries.push(r.reason.status ?? 0));
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(retries).toEqual([503, 502, 500]);

    const missing = dm.add({ url: srv.fileUrl("nope.bin"), directory: dir });
    const err = await missing.done.catch((e) => e);
    expect(err.status).toBe(404);
  });

  it("a server that drops every connection after a few bytes runs out of retries", async () => {
    const dm = await setup({ retry: { limit: 3, minDelayMs: 1, maxDelayMs: 2 } });
    for (let i = 0; i < 10; i++) srv.faults.push({ resetAfterBytes: 1000 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const err = await job.done.catch((e) => e);
    expect(err.code).toBe("DOWNLOAD_NETWORK");
    expect(err.attempts).toBe(4);
    expect(existsSync(job.destination)).toBe(false);
    srv.faults.length = 0;
    dm.retry(job.id); // the bytes so far are kept: the retry resumes
    expect((await job.done).sha256).toBe(FILE_SHA);
  });

  it("gives up after retry.limit failures without progress", async () => {
    const dm = await setup({ retry: { limit: 2, minDelayMs: 1, maxDelayMs: 2 } });
    for (let i = 0; i < 5; i++) srv.faults.push({ status: 500 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir });
    const err = await job.done.catch((e) => e);
    expect(err.status).toBe(500);
    expect(err.attempts).toBe(3);
    expect(job.reason?.attempts).toBe(3);
  });

  it("honours Retry-After on 429", async () => {
    const dm = await setup();
    srv.faults.push({ status: 429, retryAfter: 1 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const delays: number[] = [];
    job.on("retry", (r) => delays.push(r.delayMs));
    await job.done;
    expect(delays).toEqual([1000]);
  });

  it("detects a stalled transfer and continues from the last byte", async () => {
    const dm = await setup({ stallTimeout: 300 });
    srv.faults.push({ stallAfterBytes: 80_000 });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const codes: string[] = [];
    job.on("retry", (r) => codes.push(r.reason.code));
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(codes).toEqual(["DOWNLOAD_STALLED"]);
  });

  it("a remote file that changed between attempts restarts (If-Range) and is verified by ETag", async () => {
    const dm = await setup();
    srv.setFile("c.bin", seededBytes(200_000, 1));
    const next = seededBytes(210_000, 2);
    srv.faults.push({ resetAfterBytes: 60_000, pathIncludes: "c.bin" });
    const job = dm.add({ url: srv.fileUrl("c.bin"), directory: dir });
    job.once("retry", () => srv.setFile("c.bin", next));
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    const result = await job.done;
    expect(result.verifiedBy).toBe("etag");
    expect(result.sha256).toBe(sha256(next));
    expect(restarts).toEqual(["remote-changed"]);
  });

  it("a changed remote file with a stale expected sha256 never appears at the destination", async () => {
    const dm = await setup();
    const old = seededBytes(100_000, 3);
    srv.setFile("d.bin", seededBytes(100_000, 4));
    const job = dm.add({ url: srv.fileUrl("d.bin"), directory: dir, sha256: sha256(old) });
    const err = await job.done.catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect(existsSync(job.destination)).toBe(false);
  });

  it("verifies by S3 multipart ETag when no sha256 is known", async () => {
    const dm = await setup({ etagPartSize: 64 * 1024 });
    const bytes = seededBytes(200_000, 9);
    const { createHash } = await import("node:crypto");
    const parts: Buffer[] = [];
    for (let off = 0; off < bytes.length; off += 64 * 1024) {
      parts.push(
        createHash("md5")
          .update(bytes.subarray(off, off + 64 * 1024))
          .digest(),
      );
    }
    const etag = `${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}`;
    srv.setFile("mp.bin", bytes, { etag });
    srv.faults.push({ resetAfterBytes: 100_000, pathIncludes: "mp.bin" });
    const job = dm.add({ url: srv.fileUrl("mp.bin"), directory: dir });
    const result = await job.done;
    expect(result.verifiedBy).toBe("etag");
    expect(result.sha256).toBe(sha256(bytes));
  });

  it("a server without ETag or checksum: verified by Content-Length, resumed via Last-Modified", async () => {
    const dm = await setup();
    const bytes = seededBytes(150_000, 5);
    srv.setFile("plain.bin", bytes, { etag: null });
    srv.faults.push({ resetAfterBytes: 40_000, pathIncludes: "plain.bin" });
    const job = dm.add({ url: srv.fileUrl("plain.bin"), directory: dir });
    const result = await job.done;
    expect(result.verifiedBy).toBe("size");
    expect(result.sha256).toBe(sha256(bytes));
    const resumed = srv.log.find((e) => e.range);
    expect(resumed?.ifRange).toMatch(/GMT$/);
  });

  it("an existing correct destination is verified and reported, not downloaded", async () => {
    const dm = await setup();
    await writeFile(path.join(dir, "a.bin"), FILE);
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const result = await job.done;
    expect(result).toMatchObject({ existed: true, verifiedBy: "sha256", sha256: FILE_SHA });
    expect(srv.log).toHaveLength(0);
  });

  it("an existing different file is kept; the download goes to 'name (1).ext'", async () => {
    const dm = await setup();
    await writeFile(path.join(dir, "a.bin"), "someone else's file");
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const result = await job.done;
    expect(result.destination).toBe(path.join(dir, "a (1).bin"));
    expect(await readFile(path.join(dir, "a.bin"), "utf8")).toBe("someone else's file");
    expect(sha256(await readFile(result.destination))).toBe(FILE_SHA);
  });

  it("an existing file without any known checksum is checked against the remote ETag", async () => {
    const dm = await setup();
    await writeFile(path.join(dir, "a.bin"), FILE);
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir });
    const result = await job.done;
    expect(result).toMatchObject({ existed: true, verifiedBy: "etag" });
  });

  it("a file that appears at the destination during the transfer is not clobbered", async () => {
    const dm = await setup();
    srv.faults.push({ slow: true });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    job.once("progress", () => {
      void writeFile(path.join(dir, "a.bin"), "written by someone else meanwhile");
    });
    const result = await job.done;
    expect(result.destination).toBe(path.join(dir, "a (1).bin"));
    expect(await readFile(path.join(dir, "a.bin"), "utf8")).toBe(
      "written by someone else meanwhile",
    );
    expect(sha256(await readFile(result.destination))).toBe(FILE_SHA);
  });

  it("two jobs for the same destination get distinct names", async () => {
    const dm = await setup();
    const a = dm.add({ url: srv.fileUrl("a.bin"), directory: dir });
    const b = dm.add({ url: srv.redirectUrl("a.bin"), directory: dir });
    expect(a.destination).not.toBe(b.destination);
    await Promise.all([a.done, b.done]);
  });

  it("handles 416 when the part file is already complete", async () => {
    const dm = await setup();
    await writeFile(path.join(dir, "a.bin.part"), FILE);
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const result = await job.done;
    expect(result.sha256).toBe(FILE_SHA);
    expect(srv.log.map((e) => e.status)).toEqual([416]);
  });

  it("a part file larger than the remote file is discarded", async () => {
    const dm = await setup();
    await writeFile(path.join(dir, "a.bin.part"), Buffer.concat([FILE, Buffer.from("junk")]));
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    expect((await job.done).sha256).toBe(FILE_SHA);
  });

  it("waits for disk space and continues by itself", async () => {
    let free = 1000;
    const dm = await setup({
      freeSpace: async () => free,
      diskPollIntervalMs: 10,
      reserveBytes: 0,
    });
    const job = dm.add({
      url: srv.fileUrl("a.bin"),
      directory: dir,
      sha256: FILE_SHA,
      size: FILE.length,
    });
    const changes: { state: JobState; disk?: { free: number; needed: number } }[] = [];
    job.on("state", (c) => {
      changes.push(c);
      if (c.state === "waiting-for-disk") setTimeout(() => (free = 10 ** 12), 50);
    });
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(changes[0]).toMatchObject({
      state: "waiting-for-disk",
      disk: { free: 1000, needed: FILE.length },
    });
    expect(changes.map((c) => c.state)).toEqual([
      "waiting-for-disk",
      "transferring",
      "verifying",
      "done",
    ]);
  });

  it("pauses when the disk fills during a transfer and resumes from the part file", async () => {
    let calls = 0;
    let free = 10 ** 12;
    const dm = await setup({
      freeSpace: async () => {
        calls++;
        if (calls === 3) {
          free = 0;
          setTimeout(() => (free = 10 ** 12), 50);
        }
        return free;
      },
      diskPollIntervalMs: 10,
      diskCheckIntervalBytes: 50_000,
      reserveBytes: 1,
    });
    srv.faults.push({ slow: true });
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    const states = statesOf(job);
    expect((await job.done).sha256).toBe(FILE_SHA);
    expect(states).toContain("waiting-for-disk");
    expect(srv.log.some((e) => e.range)).toBe(true);
  });

  it("pause keeps the bytes, resume continues, cancel removes everything", async () => {
    const dm = await setup();
    srv.setFile("slow.bin", seededBytes(400_000, 11));
    srv.faults.push({ slow: true, pathIncludes: "slow.bin" });
    const job = dm.add({ url: srv.fileUrl("slow.bin"), directory: dir });
    await new Promise<void>((r) => job.on("progress", (p) => p.bytes > 50_000 && r()));
    dm.pause(job.id);
    expect(job.state).toBe("paused");
    await new Promise((r) => setTimeout(r, 50));
    const kept = (await stat(job.partPath)).size;
    expect(kept).toBeGreaterThan(0);
    dm.resume(job.id);
    const result = await job.done;
    expect(result.sha256).toBe(sha256(seededBytes(400_000, 11)));
    expect(srv.log.some((e) => e.range === `bytes=${kept}-`)).toBe(true);

    srv.faults.push({ slow: true, pathIncludes: "slow.bin" });
    const job2 = dm.add({ url: srv.fileUrl("slow.bin"), directory: path.join(dir, "two") });
    await new Promise<void>((r) => job2.on("progress", (p) => p.bytes > 20_000 && r()));
    dm.cancel(job2.id);
    await expect(job2.done).rejects.toMatchObject({ code: "DOWNLOAD_CANCELLED" });
    await dm.onIdle();
    await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(job2.partPath)).toBe(false);
    expect(existsSync(job2.destination)).toBe(false);
    expect((await readdir(path.join(dir, "state"))).filter((f) => f.startsWith("job-"))).toEqual(
      [],
    );
  });

  it("rapid pause/resume cycles never run two transfers of one job at once", async () => {
    const dm = await setup({ bandwidthLimit: 150_000 });
    const bytes = seededBytes(500_000, 23);
    srv.setFile("pr.bin", bytes);
    const job = dm.add({ url: srv.fileUrl("pr.bin"), directory: dir });
    await new Promise<void>((r) => job.on("progress", (p) => p.bytes > 30_000 && r()));
    for (let i = 0; i < 3; i++) {
      dm.pause(job.id);
      dm.resume(job.id);
      await new Promise((r) => setTimeout(r, 30)); // let the stopped run wind down meanwhile
    }
    dm.pause(job.id);
    await new Promise((r) => setTimeout(r, 300));
    // A paused job writes nothing: no run may be left going in the background.
    const sizeA = (await stat(job.partPath)).size;
    await new Promise((r) => setTimeout(r, 400));
    expect((await stat(job.partPath)).size).toBe(sizeA);
    expect(job.state).toBe("paused");
    dm.resume(job.id);
    expect((await job.done).sha256).toBe(sha256(bytes));
  });

  it("respects the concurrency limit", async () => {
    const dm = await setup({ concurrency: 2 });
    let active = 0;
    let maxActive = 0;
    dm.on("state", (_j, c) => {
      const was = c.previous === "transferring" || c.previous === "verifying";
      const is = c.state === "transferring" || c.state === "verifying";
      if (is && !was) active++;
      if (was && !is) active--;
      maxActive = Math.max(maxActive, active);
    });
    const jobs = Array.from({ length: 5 }, (_, i) =>
      dm.add({ url: srv.fileUrl("a.bin"), directory: path.join(dir, `c${i}`), sha256: FILE_SHA }),
    );
    await Promise.all(jobs.map((j) => j.done));
    expect(maxActive).toBe(2);
    expect(dm.summary().counts.done).toBe(5);
  });

  it("a bandwidth limit below one chunk per stall timeout is not mistaken for a stall", async () => {
    // 40 kB/s: one 64 KiB chunk takes longer than the 700 ms stall timeout to be let through.
    const dm = await setup({ bandwidthLimit: 40_000, stallTimeout: 700 });
    const bytes = seededBytes(120_000, 17);
    srv.setFile("lim.bin", bytes);
    const job = dm.add({ url: srv.fileUrl("lim.bin"), directory: dir });
    const retries: string[] = [];
    job.on("retry", (r) => retries.push(r.reason.code));
    expect((await job.done).sha256).toBe(sha256(bytes));
    expect(retries).toEqual([]);
  });

  it("persists state with mode 0600 and no headers; close + restore continues", async () => {
    const dm = await setup({ headersFor: () => ({ Authorization: `Bearer ${srv.token}` }) });
    srv.setFile("r.bin", seededBytes(400_000, 13));
    srv.faults.push({ slow: true, pathIncludes: "r.bin" });
    const job = dm.add({ url: srv.privateUrl("r.bin"), directory: dir, meta: { note: "x" } });
    await new Promise<void>((r) => job.on("progress", (p) => p.bytes > 50_000 && r()));
    await dm.close();
    const stateDir = path.join(dir, "state");
    const files = await readdir(stateDir);
    expect(files).toEqual([`job-${job.id}.json`]); // and no lock: close() released it
    const st = await stat(path.join(stateDir, files[0]!));
    expect(st.mode & 0o777).toBe(0o600);
    const text = await readFile(path.join(stateDir, files[0]!), "utf8");
    expect(text).not.toContain(srv.token);
    expect(text.toLowerCase()).not.toContain("authorization");
    expect(JSON.parse(text).state).toBe("transferring");

    const dm2 = await DownloadManager.restore({
      stateDir,
      headersFor: () => ({ Authorization: `Bearer ${srv.token}` }),
      fsync: false,
      progressIntervalMs: 0,
    });
    managers.push(dm2);
    const again = dm2.get(job.id)!;
    expect(again.meta).toEqual({ note: "x" });
    const result = await again.done;
    expect(result.sha256).toBe(sha256(seededBytes(400_000, 13)));
    expect(srv.log.filter((e) => e.origin === "store").every((e) => !e.authorization)).toBe(true);
  });

  it("locks its state folder: a second manager on it fails with DOWNLOAD_STATE", async () => {
    const dm = await setup();
    const stateDir = path.join(dir, "state");
    const first = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    await first.done;
    await expect(DownloadManager.restore({ stateDir })).rejects.toMatchObject({
      code: "DOWNLOAD_STATE",
    });
    const second = new DownloadManager({ stateDir });
    managers.push(second);
    const job = second.add({ url: srv.fileUrl("a.bin"), directory: path.join(dir, "other") });
    await expect(job.done).rejects.toMatchObject({ code: "DOWNLOAD_STATE" });
    expect(existsSync(path.join(dir, "other", "a.bin"))).toBe(false);
    await dm.close(); // releases the lock
    const third = await DownloadManager.restore({ stateDir });
    managers.push(third);
    expect(third.jobs).toHaveLength(0);
  });

  it("redirect loops and redirects to other protocols are typed errors", async () => {
    const dm = await setup({ maxRedirects: 3 });
    const loop = dm.add({ url: `${srv.siteUrl}/loop/x`, directory: dir, name: "loop.bin" });
    await expect(loop.done).rejects.toMatchObject({ code: "DOWNLOAD_REDIRECT" });
    const ftp = dm.add({
      url: `${srv.siteUrl}/to/x?u=ftp://127.0.0.1/x`,
      directory: dir,
      name: "ftp.bin",
    });
    await expect(ftp.done).rejects.toMatchObject({ code: "DOWNLOAD_REDIRECT" });
    expect(srv.log.filter((e) => e.path.startsWith("/loop"))).toHaveLength(4);
  });

  it("onConflict 'error' and 'overwrite'", async () => {
    const dm = await setup({ onConflict: "error" });
    await writeFile(path.join(dir, "a.bin"), "mine");
    const job = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    await expect(job.done).rejects.toMatchObject({ code: "DOWNLOAD_DESTINATION_EXISTS" });
    expect(await readFile(path.join(dir, "a.bin"), "utf8")).toBe("mine");
    await dm.close();

    const dm2 = new DownloadManager({
      stateDir: path.join(dir, "state2"),
      onConflict: "overwrite",
      fsync: false,
    });
    managers.push(dm2);
    const job2 = dm2.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: FILE_SHA });
    expect((await job2.done).destination).toBe(path.join(dir, "a.bin"));
    expect(sha256(await readFile(path.join(dir, "a.bin")))).toBe(FILE_SHA);
  });

  it("restore skips an unreadable state file (reported) and restores the rest", async () => {
    const dm = await setup();
    srv.faults.push({ status: 404 });
    const failed = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, id: "will-fail" });
    await failed.done.catch(() => {});
    dm.pause(
      dm.add({ url: srv.fileUrl("a.bin"), directory: path.join(dir, "p"), id: "paused" }).id,
    );
    await dm.close();
    const stateDir = path.join(dir, "state");
    await writeFile(path.join(stateDir, "job-broken.json"), "{ not json");
    const dm2 = await DownloadManager.restore({ stateDir, fsync: false });
    managers.push(dm2);
    expect(dm2.restoreErrors).toHaveLength(1);
    expect(dm2.restoreErrors[0]!.code).toBe("DOWNLOAD_STATE");
    expect(dm2.get("will-fail")!.state).toBe("error");
    expect(dm2.get("will-fail")!.reason).toMatchObject({
      code: "DOWNLOAD_HTTP_STATUS",
      status: 404,
    });
    await expect(dm2.get("will-fail")!.done).rejects.toMatchObject({ status: 404 });
    expect(dm2.get("paused")!.state).toBe("paused");
    dm2.retry("will-fail");
    expect((await dm2.get("will-fail")!.done).sha256).toBe(FILE_SHA);
  });

  it("rejects bad input with typed errors", async () => {
    const dm = await setup();
    expect(() => dm.add({ url: "ftp://x/y", directory: dir })).toThrow(/protocol/);
    expect(() => dm.add({ url: "not a url", directory: dir })).toThrow(/URL/);
    expect(() => dm.add({ url: srv.fileUrl("a.bin"), directory: dir, sha256: "abc" })).toThrow(
      /sha256/,
    );
    expect(() => dm.add({ url: srv.fileUrl("a.bin") })).toThrow(/destination/);
    expect(() => dm.add({ url: srv.fileUrl("a.bin"), directory: dir, id: "../x" })).toThrow(/id/);
    expect(() => dm.add({ url: "http://u:p@127.0.0.1/x", directory: dir })).toThrow(/credentials/);
    const j = dm.add({ url: srv.fileUrl("a.bin"), directory: dir, name: "../../etc/passwd" });
    expect(j.destination).toBe(path.join(dir, "etc", "passwd"));
    await j.done.catch(() => {});
    await rm(path.join(dir, "etc"), { recursive: true, force: true });
  });
});

// ≥ 32 MiB with hashWorker: SHA-256 runs on a worker thread that reads the part file back.
describe("big files (off-thread SHA-256)", () => {
  const BIG = seededBytes(40 * 1024 * 1024 + 123, 11);
  const BIG_SHA = sha256(BIG);
  beforeAll(() => {
    srv.setFile("big.bin", BIG);
  });

  it("resumes after resets (size known up front: the resume re-hash is off-thread too)", async () => {
    const dm = await setup({ hashWorker: true });
    srv.faults.push(
      { resetAfterBytes: 5_000_000, pathIncludes: "big.bin" },
      { resetAfterBytes: 17_000_000, pathIncludes: "big.bin" },
    );
    const job = dm.add({
      url: srv.fileUrl("big.bin"),
      directory: dir,
      sha256: BIG_SHA,
      size: BIG.length,
    });
    const result = await job.done;
    expect(result).toMatchObject({ sha256: BIG_SHA, verifiedBy: "sha256", size: BIG.length });
    expect(sha256(await readFile(result.destination))).toBe(BIG_SHA);
    expect(srv.log.filter((e) => e.range).length).toBeGreaterThanOrEqual(2);
  });

  it("a corrupted byte is caught, re-downloaded from zero; ignored Range restarts", async () => {
    const dm = await setup({ hashWorker: true });
    srv.faults.push(
      { corruptAt: 33_000_000, pathIncludes: "big.bin" },
      { resetAfterBytes: 9_000_000, pathIncludes: "big.bin" },
      { ignoreRange: true, pathIncludes: "big.bin" },
    );
    const job = dm.add({ url: srv.fileUrl("big.bin"), directory: dir, sha256: BIG_SHA });
    const restarts: string[] = [];
    job.on("restart", (r) => restarts.push(r.reason));
    const result = await job.done;
    expect(result.sha256).toBe(BIG_SHA);
    // a 200 to a Range with If-Range means the file changed (as far as the client can tell)
    expect(restarts).toEqual(["checksum-mismatch", "remote-changed"]);
    expect(sha256(await readFile(result.destination))).toBe(BIG_SHA);
  });

  it("hashWorker: false (the default) hashes in the main thread, same result", async () => {
    const dm = await setup();
    srv.faults.push({ resetAfterBytes: 7_000_000, pathIncludes: "big.bin" });
    const job = dm.add({ url: srv.fileUrl("big.bin"), directory: dir, sha256: BIG_SHA });
    const result = await job.done;
    expect(result.sha256).toBe(BIG_SHA);
    expect(sha256(await readFile(result.destination))).toBe(BIG_SHA);
  });

  it("a wrong sha256 is an error and leaves no file", async () => {
    const dm = await setup({ checksumRetries: 0, hashWorker: true });
    const job = dm.add({ url: srv.fileUrl("big.bin"), directory: dir, sha256: "0".repeat(64) });
    const err = await job.done.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChecksumMismatchError);
    expect((err as ChecksumMismatchError).actual).toBe(BIG_SHA);
    expect(existsSync(path.join(dir, "big.bin"))).toBe(false);
    expect(existsSync(path.join(dir, "big.bin.part"))).toBe(false);
  });
});
