import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_SERVER,
  isMain,
  parseArgs,
  parseIndex,
  parseNumber,
  parseRange,
  UsageError,
} from "./util.js";

describe("parseArgs", () => {
  it("defaults to the production server, ./output and no token", () => {
    const args = parseArgs({ argv: [], env: {} });
    expect(args).toMatchObject({ server: DEFAULT_SERVER, demo: false, help: false });
    expect(args.server).toBe("dcor.mpl.mpg.de");
    expect(args.out).toBe(resolve("output"));
    expect(args).not.toHaveProperty("apiKey");
  });

  it("reads the common options, the example's own and positionals", () => {
    const args = parseArgs({
      argv: ["--server", "http://127.0.0.1:9", "--demo", "--out", "/tmp/x", "--circle", "c1", "3"],
      extra: { circle: { type: "string", description: "circle name" } },
      env: {},
    });
    expect(args).toMatchObject({
      server: "http://127.0.0.1:9",
      demo: true,
      out: "/tmp/x",
      extra: { circle: "c1" },
      positionals: ["3"],
    });
    expect(args.usage).toContain("--circle <value>");
  });

  it("takes the token from --api-key, else from DCOR_API_KEY", () => {
    expect(parseArgs({ argv: ["--api-key", "k1"], env: { DCOR_API_KEY: "k2" } }).apiKey).toBe("k1");
    expect(parseArgs({ argv: [], env: { DCOR_API_KEY: "k2" } }).apiKey).toBe("k2");
    expect(parseArgs({ argv: [], env: { DCOR_API_KEY: "" } })).not.toHaveProperty("apiKey");
  });

  it("rejects unknown options and missing values with a UsageError that shows the usage", () => {
    expect(() => parseArgs({ argv: ["--nope"], env: {} })).toThrow(UsageError);
    expect(() => parseArgs({ argv: ["--server"], env: {} })).toThrow(/--server <value>/);
  });
});

describe("parseIndex / parseNumber", () => {
  it("parses good input and falls back when absent", () => {
    expect(parseIndex("12", "index", 0)).toBe(12);
    expect(parseIndex(undefined, "index", 4)).toBe(4);
    expect(parseNumber("-1.5e1", "min")).toBe(-15);
    expect(parseNumber(undefined, "min")).toBeUndefined();
  });
  it("rejects bad input with a UsageError naming the argument", () => {
    expect(() => parseIndex("-1", "index", 0)).toThrow(/index must be/);
    expect(() => parseIndex("1.5", "index", 0)).toThrow(UsageError);
    expect(() => parseIndex("abc", "index", 0)).toThrow(UsageError);
    expect(() => parseNumber("abc", "--min")).toThrow(/--min must be a number/);
    expect(() => parseNumber("", "--min")).toThrow(UsageError);
  });
});

describe("parseRange", () => {
  it("parses MIN,MAX and rejects anything else", () => {
    expect(parseRange("0,150", "--xlim")).toEqual([0, 150]);
    expect(parseRange(" 0.01 , 0.12", "--ylim")).toEqual([0.01, 0.12]);
    expect(parseRange(undefined, "--xlim")).toBeUndefined();
    for (const bad of ["1", "1,2,3", "2,1", "a,b", ",", "1,1"]) {
      expect(() => parseRange(bad, "--xlim"), bad).toThrow(UsageError);
    }
  });
});

describe("isMain", () => {
  it("is false for a module that is imported, not started", async () => {
    expect(isMain(import.meta.url)).toBe(false);
    // Importing every example through the entry runs none of them.
    const entry = await import("./index.js");
    expect(typeof entry.kdeScatterExample).toBe("function");
    expect(typeof entry.searchAndExportExample).toBe("function");
  });
});
