import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CKANAPI } from "@dcor/api";
import { startEmulator } from "@dcor/emulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadManager } from "./index.js";
import {
  type FileServer,
  seededBytes,
  sha256,
  startFileServer,
} from "./test-helpers/file-server.js";

const here = path.dirname(fileURLToPath(import.meta.url));
let srv: FileServer;
const BYTES = seededBytes(3_000_000, 21);

beforeAll(async () => {
  srv = await startFileServer();
  srv.setFile("big.bin", BYTES);
});
afterAll(() => srv.close());

/** Requests the child reported: origin and whether Authorization was sent. */
let childSent: { origin: string; auth: boolean }[] = [];
let lastStderr = "";

/** Run the child until it reported at least `minBytes`, then SIGKILL it. */
function runAndKill(config: object, minBytes: number): Promise<number> {
  childSent = [];
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--conditions=@dcor/source",
        path.join(here, "test-helpers/child-download.ts"),
        JSON.stringify(config),
      ],
      { cwd: path.join(here, ".."), stdio: ["ignore", "pipe", "pipe"] },
    );
    let seen = 0;
    let out = "";
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      for (const l of lines) {
        const m = /^progress (\d+)$/.exec(l);
        if (m) seen = Number(m[1]);
        const sent = /^sent (\S+) auth=(true|false)$/.exec(l);
        if (sent) childSent.push({ origin: sent[1]!, auth: sent[2] === "true" });
        if (l.startsWith("done") || l.startsWith("error"))
          reject(new Error(`child finished: ${l}`));
      }
      if (seen >= minBytes && child.exitCode === null && !child.killed) child.kill("SIGKILL");
    });
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") {
        lastStderr = err;
        resolve(seen);
      } else reject(new Error(`child exited ${code}: ${err.slice(0, 2000)}`));
    });
  });
}

describe("kill -9 mid-transfer, then restore", () => {
  it("loses at most the bytes in flight and finishes with the right file; token never at the store", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "dl-kill-"));
    const stateDir = path.join(dir, "state");
    const config = {
      mode: "url",
      stateDir,
      url: srv.privateUrl("big.bin"),
      directory: dir,
      sha256: sha256(BYTES),
      token: srv.token,
      bandwidthLimit: 1_000_000,
    };
    const seen = await runAndKill(config, 1_600_000);
    expect(seen).toBeGreaterThanOrEqual(1_600_000);

    // After the kill: no file at the destination, a part file with a prefix, a valid state file.
    const dest = path.join(dir, "big.bin");
    expect(existsSync(dest)).toBe(false);
    const partSize = (await stat(`${dest}.part`)).size;
    expect(partSize).toBeGreaterThan(0);
    expect((await readFile(`${dest}.part`)).equals(BYTES.subarray(0, partSize))).toBe(true);
    const files = (await readdir(stateDir)).filter((f) => f.endsWith(".json"));
    expect(files).toEqual(["job-killed-job.json"]);
    const stateText = await readFile(path.join(stateDir, files[0]!), "utf8");
    expect(JSON.parse(stateText).state).toBe("transferring");
    expect(stateText).not.toContain(srv.token);
    expect((await stat(path.join(stateDir, files[0]!))).mode & 0o777).toBe(0o600);

    expect(childSent.length).toBeGreaterThan(0);
    const childStore = srv.log.filter((e) => e.origin === "store");
    expect(childStore.length).toBeGreaterThan(0);
    expect(childStore.every((e) => !e.authorization)).toBe(true);
    expect(srv.log.filter((e) => e.origin === "site").every((e) => e.authorization)).toBe(true);
    srv.log.length = 0;
    const dm = await DownloadManager.restore({
      stateDir,
      headersFor: () => ({ Authorization: `Bearer ${srv.token}` }),
      fsync: false,
    });
    try {
      const job = dm.get("killed-job")!;
      expect(job).toBeDefined();
      expect(job.progress.bytes).toBe(partSize);
      const result = await job.done;
      expect(result.sha256).toBe(sha256(BYTES));
      expect(sha256(await readFile(dest))).toBe(sha256(BYTES));
      // It resumed where the part file ended, not from zero.
      const ranged = srv.log.find((e) => e.origin === "store" && e.range);
      expect(ranged?.range).toBe(`bytes=${partSize}-`);
      expect(srv.log.filter((e) => e.origin === "store").every((e) => !e.authorization)).toBe(true);
    } finally {
      await dm.close();
    }
  }, 120_000);

  it("against @dcor/emulator: a private resource, killed and restored, right sha256, token never at the store", async () => {
    const emu = await startEmulator({});
    try {
      const alice = emu.users.find((u) => u.name === "alice")!;
      const ds = (
        emu.catalog.datasets as unknown as {
          name: string;
          private: boolean;
          resources: { id: string; name: string; sha256: string; size: number }[];
        }[]
      ).find((d) => d.name === "alice-private-donor-a")!;
      const res = ds.resources[0]!;
      let diag = "";
      const dir = await mkdtemp(path.join(tmpdir(), "dl-kill-emu-"));
      const stateDir = path.join(dir, "state");
      const seen = await runAndKill(
        {
          mode: "dcor",
          stateDir,
          server: emu.url,
          token: alice.token,
          resourceId: res.id,
          directory: dir,
          bandwidthLimit: 50_000,
        },
        130_000,
      );
      expect(seen).toBeGreaterThanOrEqual(130_000);
      const dest = path.join(dir, ds.name, res.name);
      expect(existsSync(dest)).toBe(false);
      const partAfterKill = (await stat(`${dest}.part`).catch(() => undefined))?.size ?? -1;
      const stateText = await readFile(path.join(stateDir, `job-${res.id}.json`), "utf8");
      expect(stateText).not.toContain(alice.token);

      const api = new CKANAPI({ server: emu.url, apiKey: alice.token });
      const dm = await DownloadManager.restore({
        stateDir,
        headersFor: (u) => api.authHeadersFor(u),
        fsync: false,
      });
      try {
        const restarts: string[] = [];
        dm.on("restart", (_j, r) => restarts.push(r.reason));
        const result = await dm.get(res.id)!.done;
        diag = `part after kill ${partAfterKill}, restarts ${restarts.join(",")}`;
        expect(result.sha256).toBe(res.sha256);
        expect(sha256(await readFile(dest))).toBe(res.sha256);
      } finally {
        await dm.close();
      }
      // What the child sent: the token to the CKAN site, never to the object store.
      const site = new URL(emu.url).origin;
      const store = new URL(emu.objectStoreUrl).origin;
      expect(childSent.filter((s) => s.origin === site).every((s) => s.auth)).toBe(true);
      expect(childSent.filter((s) => s.origin === store).length).toBeGreaterThan(0);
      expect(childSent.filter((s) => s.origin === store).some((s) => s.auth)).toBe(false);
      // The restore resumed with a byte range on the object store.
      const objectLog = emu.stats.snapshot().log.filter((e) => e.path.startsWith("/circle-"));
      expect(
        objectLog.some((e) => e.range && e.range !== "bytes=0-"),
        `${diag} ${lastStderr}`,
      ).toBe(true);
    } finally {
      await emu.close();
    }
  }, 120_000);
});
