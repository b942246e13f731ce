/** Runs the README's offline example as written, so that the documentation cannot rot. */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, expect, it, vi } from "vitest";

const here = fileURLToPath(new URL(".", import.meta.url));

afterEach(() => {
  vi.restoreAllMocks();
});

it("the README's offline example runs and prints what it says", async () => {
  const readme = await readFile(join(here, "..", "README.md"), "utf8");
  const match = /<!-- readme-example:offline -->\s*```ts\n([\s\S]*?)```/.exec(readme);
  expect(match, "README has the marked offline example").not.toBeNull();
  // Point the package imports at the sources (the temp file has no node_modules around it).
  const code = match![1]!
    .replace('"@dcor/api"', JSON.stringify(pathToFileURL(join(here, "index.ts")).href))
    .replace(
      '"@dcor/emulator"',
      JSON.stringify(pathToFileURL(join(here, "..", "..", "emulator", "src", "index.ts")).href),
    );
  const dir = await mkdtemp(join(tmpdir(), "dcor-api-readme-"));
  const lines: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => {
    lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  });
  try {
    const file = join(dir, "example.ts");
    await writeFile(file, code);
    await import(/* @vite-ignore */ pathToFileURL(file).href);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  expect(lines[0]).toBe("Alice Liddell");
  expect(lines.join("\n")).toContain("figshare-7771184-v2");
  expect(lines.at(-1)).toBe("DCOR_AUTHORIZATION 403");
});
