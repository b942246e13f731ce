import { execFileSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DownloadManager, statfsFreeSpace } from "./index.js";
import {
  type FileServer,
  seededBytes,
  sha256,
  startFileServer,
} from "./test-helpers/file-server.js";

// A real full disk needs a tiny tmpfs, which needs root (mount). Elsewhere this test skips.
async function tryMount(): Promise<string | undefined> {
  const dir = await mkdtemp(path.join(tmpdir(), "dl-enospc-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { stdio: "ignore" });
    return dir;
  } catch {
    console.log("enospc.test: cannot mount a tmpfs (needs root) — skipping the real ENOSPC test");
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
}
const mountDir = await tryMount();
let srv: FileServer;
const BYTES = seededBytes(3_000_000, 31);

beforeAll(async () => {
  srv = await startFileServer();
  srv.setFile("big.bin", BYTES);
});

afterAll(async () => {
  await srv.close();
  if (mountDir) {
    execFileSync("umount", [mountDir]);
    await rm(mountDir, { recursive: true, force: true });
  }
});

describe.skipIf(!mountDir)("a disk that really runs full (ENOSPC)", () => {
  it("waits, keeps state and part intact, and continues when space frees up", async () => {
    const dir = mountDir!;
    let lying = true; // pretend there is space so that the write really hits ENOSPC
    const dm = new DownloadManager({
      stateDir: path.join(dir, "state"),
      freeSpace: async (d) => (lying ? 10 ** 12 : statfsFreeSpace(d)),
      reserveBytes: 0,
      diskPollIntervalMs: 20,
      fsync: false,
    });
    try {
      const job = dm.add({ url: srv.fileUrl("big.bin"), directory: dir, sha256: sha256(BYTES) });
      let grew = false;
      job.on("state", (c) => {
        if (c.state === "waiting-for-disk" && !grew) {
          grew = true;
          execFileSync("mount", ["-o", "remount,size=16m", dir]);
          lying = false;
        }
      });
      const result = await job.done;
      expect(grew).toBe(true);
      expect(result.sha256).toBe(sha256(BYTES));
      expect(sha256(await readFile(path.join(dir, "big.bin")))).toBe(sha256(BYTES));
      // The transfer after ENOSPC resumed from the bytes on disk (a Range request).
      expect(srv.log.some((e) => e.range && e.range !== "bytes=0-")).toBe(true);
      const stateFiles = await readdir(path.join(dir, "state"));
      expect(stateFiles.filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
      await dm.close();
    }
  });
});
