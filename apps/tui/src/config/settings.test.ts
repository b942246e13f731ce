import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configDir, resolveSettings, SettingsError, SettingsStore } from "./settings.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "dcor-settings-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("SettingsStore", () => {
  it("returns undefined on first run and round-trips with mode 0600", async () => {
    const store = new SettingsStore({ dir: path.join(dir, "sub") });
    expect(await store.load()).toBeUndefined();
    await store.save({
      scenario: "token",
      server: "dcor.mpl.mpg.de",
      apiKey: "secret-token-123456",
    });
    const mode = (await stat(store.file)).mode & 0o777;
    expect(mode).toBe(0o600);
    const dirMode = (await stat(path.dirname(store.file))).mode & 0o777;
    expect(dirMode).toBe(0o700);
    expect(await store.load()).toEqual({
      scenario: "token",
      server: "dcor.mpl.mpg.de",
      apiKey: "secret-token-123456",
    });
  });

  it("reports a corrupt file as a SettingsError", async () => {
    const store = new SettingsStore({ dir });
    await writeFile(store.file, "{not json");
    await expect(store.load()).rejects.toBeInstanceOf(SettingsError);
    await writeFile(store.file, JSON.stringify({ scenario: "anonymous" }));
    await expect(store.load()).rejects.toThrow(/no server/);
  });

  it("overwrites atomically", async () => {
    const store = new SettingsStore({ dir });
    await store.save({ scenario: "anonymous", server: "a.example" });
    await store.save({ scenario: "custom", server: "b.example" });
    expect(JSON.parse(await readFile(store.file, "utf8")).server).toBe("b.example");
  });
});

describe("resolveSettings", () => {
  it("needs the wizard when nothing is configured", () => {
    expect(resolveSettings(undefined, { env: {} })).toBeUndefined();
  });
  it("lets flags beat DCOR_API_KEY beat the file", () => {
    const stored = { scenario: "token" as const, server: "dcor.mpl.mpg.de", apiKey: "file-key" };
    expect(resolveSettings(stored, { env: {} })?.apiKey).toBe("file-key");
    expect(resolveSettings(stored, { env: { DCOR_API_KEY: "env-key" } })?.apiKey).toBe("env-key");
    expect(
      resolveSettings(stored, { apiKey: "flag-key", env: { DCOR_API_KEY: "env-key" } })?.apiKey,
    ).toBe("flag-key");
    const anon = resolveSettings(undefined, { env: { DCOR_API_KEY: "env-key" } });
    expect(anon?.server).toBe("dcor.mpl.mpg.de");
    expect(anon?.source).toBe("override");
  });
  it("does not send a stored token to an overriding server", () => {
    const stored = { scenario: "token" as const, server: "dcor.mpl.mpg.de", apiKey: "file-key" };
    const out = resolveSettings(stored, { server: "http://127.0.0.1:1", env: {} });
    expect(out?.server).toBe("http://127.0.0.1:1");
    expect(out?.apiKey).toBeUndefined();
  });
  it("follows XDG", () => {
    expect(configDir({ XDG_CONFIG_HOME: "/x" })).toBe(path.join("/x", "dcor"));
    expect(configDir({ DCOR_CONFIG_DIR: "/y" })).toBe("/y");
  });
});
