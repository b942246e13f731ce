import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, EmulatorError, SAMPLE_USERS, startEmulator } from "./index.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON payloads
type Json = any;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.close();
});

async function api(action: string, query = "", token?: string) {
  const r = await fetch(`${emu.apiUrl}${action}${query ? `?${query}` : ""}`, {
    headers: token ? { Authorization: token } : {},
  });
  return { status: r.status, body: (await r.json()) as Json };
}

describe("startEmulator", () => {
  it("answers status_show with a CKAN envelope", async () => {
    const { status, body } = await api("status_show");
    expect(status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.help).toBe(`${emu.url}/api/3/action/help_show?name=status_show`);
    expect(body.result.ckan_version).toBe("2.11.3");
  });

  it("exports the sample users with fixed tokens", () => {
    expect(SAMPLE_USERS.map((u) => u.name)).toEqual(["alice", "bob", "eve"]);
    expect(emu.users.find((u) => u.name === "alice")?.token).toBe(SAMPLE_USERS[0]?.token);
  });

  it("hides private datasets from anonymous users", async () => {
    const anon = await api("package_search", "q=*:*&rows=1000&include_private=true");
    const alice = await api(
      "package_search",
      "q=*:*&rows=1000&include_private=true",
      SAMPLE_USERS[0]?.token,
    );
    expect(anon.body.result.results.every((d: Json) => d.private === false)).toBe(true);
    expect(alice.body.result.count).toBeGreaterThan(anon.body.result.count);
    expect(alice.body.result.count).toBe(emu.catalog.visibleDatasets("alice").length);
  });

  it("serves object ranges with 206", async () => {
    const ds = emu.catalog.datasets.find((d) => d.name === "figshare-7771184-v2") as Json;
    const r = await fetch(ds.resources[0].s3_url, { headers: { Range: "bytes=0-7" } });
    expect(r.status).toBe(206);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect(Array.from(bytes)).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe("options and errors", () => {
  it("rejects invalid options with EmulatorError codes", async () => {
    await expect(startEmulator({ synthetic: -1 })).rejects.toMatchObject({
      code: "EMULATOR_BAD_OPTIONS",
    });
    await expect(startEmulator({ presignedLifetime: 0 })).rejects.toMatchObject({
      code: "EMULATOR_BAD_OPTIONS",
    });
    await expect(startEmulator({ users: [{ name: "", token: "x" }] })).rejects.toMatchObject({
      code: "EMULATOR_BAD_OPTIONS",
    });
    await expect(startEmulator({ faults: [{ errorRate: 3 }] })).rejects.toThrow(/errorRate/);
    await expect(startEmulator({ dataDir: "/nonexistent/folder" })).rejects.toMatchObject({
      code: "EMULATOR_BAD_OPTIONS",
    });
  });

  it("touchDataset validates its arguments and sets an explicit date", async () => {
    expect(() => emu.touchDataset("nope")).toThrow(EmulatorError);
    expect(() => emu.touchDataset("bob-jurkat-cells", "not a date")).toThrow(EmulatorError);
    emu.touchDataset("bob-jurkat-cells", "2030-01-02T03:04:05Z");
    const { body } = await api("package_show", "id=bob-jurkat-cells");
    expect(body.result.metadata_modified).toBe("2030-01-02T03:04:05.000000");
    expect(
      emu.catalog.visibleDatasets(null).find((d) => d.name === "bob-jurkat-cells")
        ?.metadata_modified,
    ).toBe("2030-01-02T03:04:05.000000");
    expect(() => emu.catalog.visibleDatasets("mallory")).toThrow(EmulatorError);
  });

  it("gives extra users their tokens and sysadmins everything", async () => {
    const e2 = await startEmulator({
      sample: true,
      users: [
        { name: "root", token: "root-secret", sysadmin: true },
        { name: "alice", token: "alice-new", fullname: "A. L." },
      ],
    });
    try {
      expect(e2.users.find((u) => u.name === "alice")?.token).toBe("alice-new");
      const r = await fetch(`${e2.apiUrl}package_search?q=*:*&rows=1000&include_private=true`, {
        headers: { Authorization: "root-secret" },
      });
      const body = (await r.json()) as Json;
      expect(body.result.count).toBe(
        e2.catalog.datasets.filter((d) => d.state === "active").length,
      );
      const old = await fetch(`${e2.apiUrl}user_show`, {
        headers: { Authorization: SAMPLE_USERS[0]?.token as string },
      });
      expect(old.status).toBe(403);
      await old.arrayBuffer();
    } finally {
      await e2.close();
    }
  });
});
