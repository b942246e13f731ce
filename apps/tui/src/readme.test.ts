import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { USAGE } from "./cli/args.js";
import { keymapMarkdown } from "./ui/keys/keymap.js";
import { makeTheme } from "./ui/theme.js";

describe("README", () => {
  it("lists exactly the keys of the key map", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.split("<!-- keys:start -->")[1]?.split("<!-- keys:end -->")[0]?.trim();
    // Compare modulo table alignment (the formatter pads the columns).
    const normalize = (md: string) =>
      md
        .replace(/-{3,}/g, "---")
        .replace(/[ \t]+/g, " ")
        .trim();
    expect(normalize(section ?? "")).toBe(normalize(keymapMarkdown()));
  });
  it("documents every subcommand of the usage text", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    for (const line of USAGE.split("\n").filter((l) => l.startsWith("  dcor "))) {
      expect(readme).toContain(line.trim());
    }
  });
});

describe("NO_COLOR", () => {
  it("drops every colour when set, keeps them otherwise", () => {
    const plain = makeTheme({ NO_COLOR: "1" });
    expect(plain.color).toBe(false);
    expect(
      [plain.accent, plain.error, plain.ok, ...plain.density].every((c) => c === undefined),
    ).toBe(true);
    expect(makeTheme({}).density.every((c) => typeof c === "string")).toBe(true);
  });
});
