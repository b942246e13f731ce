import { CKANAPI } from "@dcor/api";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { InterrogatorAPI } from "./types.js";

describe("InterrogatorAPI", () => {
  it("is satisfied by CKANAPI of @dcor/api", () => {
    expectTypeOf<CKANAPI>().toExtend<InterrogatorAPI>();
    const api: InterrogatorAPI = new CKANAPI({ server: "http://127.0.0.1:9" });
    expectTypeOf(api.hasApiKey).toBeBoolean();
  });
});

describe("the main entry", () => {
  it("never loads SQLite (online search needs no native module)", async () => {
    const { readdir, readFile } = await import("node:fs/promises");
    const dir = new URL(".", import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
    expect(files).toContain("index.ts");
    for (const file of files) {
      const text = await readFile(new URL(file, dir), "utf8");
      expect(text, file).not.toMatch(/better-sqlite3|from "\.\/local/);
    }
    const main = await import("./index.js");
    expect(Object.keys(main)).not.toContain("CachedInterrogator");
  });
});
