import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./cli.js";
import { type Emulator, startTestEmulator, tokenOf } from "./testing/harness.js";

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startTestEmulator();
  dir = await mkdtemp(path.join(os.tmpdir(), "dcor-cli-test-"));
});
afterAll(async () => {
  await emu?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runWith({ tty: false }, ...argv);
}

async function runWith(
  opts: { tty: boolean },
  ...argv: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: opts.tty, columns: 80 });
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => {
    out += c.toString("utf8");
  });
  stderr.on("data", (c: Buffer) => {
    err += c.toString("utf8");
  });
  const env = {
    DCOR_CONFIG_DIR: path.join(dir, "config"),
    DCOR_STATE_DIR: path.join(dir, "state"),
    HOME: dir,
  };
  const code = await main({ argv, env, out: { stdout, stderr } });
  return { code, stdout: out, stderr: err };
}

describe("dcor subcommands", () => {
  it("search --json returns what package_search sees", async () => {
    const r = await run("search", "--server", emu.url, "--json", "--circle", "figshare-import");
    expect(r.code).toBe(0);
    const datasets = JSON.parse(r.stdout) as { name: string; organization: { name: string } }[];
    const expected = emu.catalog
      .visibleDatasets(null)
      .filter(
        (d) => (d as { organization?: { name?: string } }).organization?.name === "figshare-import",
      );
    expect(datasets.map((d) => d.name).sort()).toEqual(
      expected.map((d) => (d as { name: string }).name).sort(),
    );
    expect(datasets.every((d) => d.organization.name === "figshare-import")).toBe(true);
  });

  it("search prints a table and honours --limit", async () => {
    const r = await run("search", "blood", "--server", emu.url, "--limit", "1");
    expect(r.code).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(/^NAME\s+TITLE\s+CIRCLE\s+RES\s+CREATED/);
    expect(r.stdout.trim().split("\n")).toHaveLength(2);
  });

  it("show and info describe a dataset and a resource with its features", async () => {
    const show = await run("show", "figshare-11302595-v1", "--server", emu.url);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("Whole blood measured at three flow rates");
    expect(show.stdout).toContain("blood_0.06.rtdc");
    const json = JSON.parse(
      (await run("show", "figshare-11302595-v1", "--server", emu.url, "--json")).stdout,
    );
    const rid = json.resources[0].id as string;
    const info = await run("info", rid, "--server", emu.url, "--json");
    expect(info.code).toBe(0);
    const parsed = JSON.parse(info.stdout);
    expect(parsed.resource.id).toBe(rid);
    expect(parsed.features.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(["area_um", "deform"]),
    );
    expect(parsed.events).toBeGreaterThan(0);
    const text = await run("info", rid, "--server", emu.url);
    expect(text.stdout).toContain("Deformation");
  });

  it("downloads a dataset with verified files and plain progress lines off a TTY", async () => {
    const target = path.join(dir, "dl");
    const r = await run("download", "figshare-11302595-v1", "--server", emu.url, "--dir", target);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("queued");
    expect(r.stderr).not.toContain("\r");
    const file = path.join(target, "figshare-11302595-v1", "blood_0.06.rtdc");
    expect((await stat(file)).size).toBeGreaterThan(0);
    expect(r.stdout).toContain("verified by sha256");
    const again = await run(
      "download",
      "figshare-11302595-v1",
      "--server",
      emu.url,
      "--dir",
      target,
      "--json",
    );
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { existed: boolean; state: string }[];
    expect(report).toHaveLength(3);
    expect(report.every((j) => j.state === "done" && j.existed)).toBe(true);
    const condensed = await run(
      "download",
      "figshare-11302595-v1",
      "--condensed",
      "--server",
      emu.url,
      "--dir",
      target,
      "--json",
    );
    expect(condensed.code).toBe(0);
    const names = (JSON.parse(condensed.stdout) as { destination: string }[]).map((j) =>
      path.basename(j.destination),
    );
    expect(names).toContain("blood_0.06_condensed.rtdc");
    expect(
      (await readFile(path.join(target, "figshare-11302595-v1", "blood_0.06_condensed.rtdc")))
        .length,
    ).toBeGreaterThan(0);
  });

  it("draws a progress bar on a terminal", async () => {
    const rule = emu.faults.add({ route: "object", bytesPerSecond: 200_000 });
    try {
      const r = await runWith(
        { tty: true },
        "download",
        "figshare-11302595-v1",
        "--server",
        emu.url,
        "--dir",
        path.join(dir, "tty"),
      );
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/\r\x1b\[2K[█▏▎▍▌▋▊▉·]{20}\s+\d+%/);
    } finally {
      emu.faults.remove(rule);
    }
  });

  it("lists circles and collections", async () => {
    const circles = JSON.parse((await run("circles", "--server", emu.url, "--json")).stdout) as {
      name: string;
    }[];
    expect(circles.map((c) => c.name)).toEqual(
      expect.arrayContaining(["figshare-import", "alice-lab"]),
    );
    const collections = await run("collections", "--server", emu.url);
    expect(collections.stdout).toContain("figshare-collection");
  });

  it("sees private data with a token from --api-key or DCOR_API_KEY", async () => {
    const anon = JSON.parse(
      (await run("search", "--server", emu.url, "--json", "--limit", "0")).stdout,
    ) as unknown[];
    const alice = JSON.parse(
      (
        await run(
          "search",
          "--server",
          emu.url,
          "--api-key",
          tokenOf(emu, "alice"),
          "--json",
          "--limit",
          "0",
        )
      ).stdout,
    ) as unknown[];
    expect(alice.length).toBe(emu.catalog.visibleDatasets("alice").length);
    expect(alice.length).toBeGreaterThan(anon.length);
  });

  it("distinguishes usage, not found, auth and network failures by exit code", async () => {
    expect((await run("frobnicate")).code).toBe(2);
    expect((await run("search", "--bogus")).code).toBe(2);
    expect((await run("show")).code).toBe(2);
    expect((await run("search", "--limit", "-1")).code).toBe(2);
    const missing = await run("show", "no-such-dataset", "--server", emu.url);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^dcor: Not found/);
    const privateDs = emu.catalog.datasets.find((d) => (d as { private?: boolean }).private) as {
      name: string;
    };
    const denied = await run("show", privateDs.name, "--server", emu.url);
    expect(denied.code).toBe(4); // CKAN answers 403 for a private dataset without access
    const badToken = await run(
      "search",
      "--server",
      emu.url,
      "--api-key",
      "not-a-token-at-all-123",
    );
    expect(badToken.stderr).not.toContain("not-a-token-at-all-123");
    const other = await startTestEmulator();
    const url = other.url;
    await other.close();
    const offline = await run("circles", "--server", url);
    expect(offline.code).toBe(5);
    expect(offline.stderr).not.toMatch(/\n\s+at /);
  });

  it("runs subcommands on the embedded demo emulator", async () => {
    const r = await run("search", "--demo", "--json", "--limit", "0");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(
      emu.catalog.visibleDatasets("alice").length,
    );
  });
});
