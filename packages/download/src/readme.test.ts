// The README's two examples, run against local servers (plain URL: our test file server;
// DCOR: @dcor/emulator, whose sample catalog has the same dataset and collection names).
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { CKANAPI } from "@dcor/api";
import { startEmulator } from "@dcor/emulator";
import { expect, it } from "vitest";
import { addCollection, addDataset, addResource, DownloadManager } from "./index.js";
import { seededBytes, sha256, startFileServer } from "./test-helpers/file-server.js";

it("README: any URL", async () => {
  const srv = await startFileServer();
  const bytes = seededBytes(100_000, 5);
  srv.setFile("big.bin", bytes);
  const cwd = await mkdtemp(path.join(tmpdir(), "dl-readme-"));
  try {
    const dm = new DownloadManager({ stateDir: path.join(cwd, ".download-state"), concurrency: 3 });
    const job = dm.add({
      url: srv.fileUrl("big.bin"),
      destination: path.join(cwd, "data/big.bin"),
      sha256: sha256(bytes),
      size: bytes.length,
    });
    const states: string[] = [];
    job.on("state", ({ state }) => states.push(state));
    const result = await job.done;
    expect(result).toMatchObject({
      destination: path.join(cwd, "data/big.bin"),
      verifiedBy: "sha256",
    });
    expect(states.at(-1)).toBe("done");
    await dm.close();
    const again = await DownloadManager.restore({ stateDir: path.join(cwd, ".download-state") });
    await again.onIdle();
    await again.close();
  } finally {
    await srv.close();
  }
});

it("README: DCOR", async () => {
  const emu = await startEmulator({});
  const cwd = await mkdtemp(path.join(tmpdir(), "dl-readme-"));
  try {
    const api = new CKANAPI({
      server: emu.url,
      apiKey: emu.users.find((u) => u.name === "alice")!.token,
    });
    const dm = new DownloadManager({
      stateDir: path.join(cwd, ".dcor-downloads"),
      headersFor: (url) => api.authHeadersFor(url),
    });
    const ds = (
      emu.catalog.datasets as unknown as { name: string; resources: { id: string }[] }[]
    ).find((d) => d.name === "figshare-7771184-v2")!;
    const job = await addResource(dm, api, ds.resources[0]!.id, {
      directory: path.join(cwd, "dcor"),
    });
    expect((await job.done).verifiedBy).toBe("sha256");
    const jobs = await addDataset(dm, api, "figshare-7771184-v2", {
      directory: path.join(cwd, "dcor"),
      condensed: true,
    });
    await Promise.all(jobs.map((j) => j.done));
    const all = await addCollection(dm, api, "figshare-collection", {
      directory: path.join(cwd, "dcor"),
    });
    expect(all.length).toBeGreaterThan(4);
    await dm.onIdle();
    expect(dm.summary().counts.error).toBe(0);
    await dm.close();
  } finally {
    await emu.close();
  }
});
