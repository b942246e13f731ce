/**
 * Runs the README's examples as written (only file names and the package import are replaced),
 * against a file our writer makes, so that the documentation cannot rot.
 */
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openDataset } from "./dataset.js";
import { PolygonFilter } from "./filter/index.js";
import { writeSynthetic } from "./test-helpers.js";

const here = fileURLToPath(new URL(".", import.meta.url));
let dir: string;
let readme: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "rtdc-readme-"));
  readme = await readFile(join(here, "..", "README.md"), "utf8");
  await writeSynthetic(join(dir, "measurement.rtdc"), 300, { seed: 5 });
  // A gate around most events (area_um ≈ 11.6–17.3 µm², deform ≈ 0.01–0.2).
  const gate = new PolygonFilter({
    axes: ["area_um", "deform"],
    points: [
      [11, 0],
      [18, 0],
      [18, 0.15],
      [11, 0.15],
    ],
  });
  await writeFile(join(dir, "gates.poly"), PolygonFilter.format([gate]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Run the README block marked `<!-- readme-example:<name> ... -->`; returns what it logged. */
async function runExample(name: string): Promise<string[]> {
  const match = new RegExp(
    `<!-- readme-example:${name}\\b[^>]*-->\\s*\`\`\`ts\\n([\\s\\S]*?)\`\`\``,
  ).exec(readme);
  expect(match, `README has the marked example "${name}"`).not.toBeNull();
  let code = match![1]!.replace(
    '"@dcor/rtdc"',
    JSON.stringify(pathToFileURL(join(here, "index.ts")).href),
  );
  for (const file of ["measurement.rtdc", "out.rtdc", "gates.poly", "out.poly"])
    code = code.replaceAll(`"${file}"`, JSON.stringify(join(dir, file)));
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  });
  const file = join(dir, `example-${name}.ts`);
  await writeFile(file, code);
  await import(/* @vite-ignore */ pathToFileURL(file).href);
  return lines;
}

describe("README examples", () => {
  it("Usage: reads the file, writes out.rtdc", async () => {
    const lines = await runExample("local");
    expect(lines[0]).toBe("300 synthetic blood 0.34");
    expect(lines).toContain("Area [µm²]");
    expect(existsSync(join(dir, "out.rtdc"))).toBe(true);
    const out = await openDataset(join(dir, "out.rtdc"));
    try {
      expect(out.length).toBe(2);
      expect(out.config.experiment.sample).toBe("blood");
      expect(Array.from(await out.get("circ"))).toEqual([Math.fround(0.9), Math.fround(0.95)]);
      expect((await out.logs()).notes).toEqual(["made with @dcor/rtdc"]);
    } finally {
      await out.close();
    }
  });

  it("Filters and density estimates: filters, KDE, .poly round trip", async () => {
    const lines = await runExample("kde");
    const kept = /^(\d+) of 300 events kept$/.exec(lines[0] ?? "");
    expect(kept, lines[0]).not.toBeNull();
    const count = Number(kept![1]);
    expect(count).toBeGreaterThan(100);
    expect(count).toBeLessThan(290); // the polygon (deform ≤ 0.15) was applied, not ignored
    expect(lines[1]).toBe(`${count} true`);
    expect(lines[2]).toBe("true 1 true");
    const poly = PolygonFilter.parse(await readFile(join(dir, "out.poly"), "utf8"));
    expect(poly.map((p) => p.axes)).toEqual([["area_um", "deform"]]);
  });
});
