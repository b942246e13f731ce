import { describe, expect, it } from "vitest";
import { helpSections, KEYMAP, keyLabel, resolveAction, type Scope } from "./keymap.js";

const SCREEN_SCOPES: Scope[] = ["find", "dataset", "mydata", "downloads", "preview"];

describe("key map", () => {
  it("has no key bound twice where global and a screen are active together", () => {
    for (const scope of SCREEN_SCOPES) {
      const seen = new Map<string, string>();
      for (const b of KEYMAP.filter(
        (k) => k.scopes.includes(scope) || k.scopes.includes("global"),
      )) {
        for (const spec of b.keys) {
          const label = keyLabel(spec);
          const prev = seen.get(label);
          expect(
            prev === undefined || prev === b.action,
            `${scope}: ${label} → ${prev} and ${b.action}`,
          ).toBe(true);
          seen.set(label, b.action);
        }
      }
    }
  });

  it("resolves keys per scope", () => {
    expect(resolveAction("global", "q", {})).toBe("quit");
    expect(resolveAction("global", "c", { ctrl: true })).toBe("quit");
    expect(resolveAction("global", "", { tab: true })).toBe("nextTab");
    expect(resolveAction("global", "", { tab: true, shift: true })).toBe("prevTab");
    expect(resolveAction("find", "j", {})).toBe("down");
    expect(resolveAction("find", "", { downArrow: true })).toBe("down");
    expect(resolveAction("dataset", "d", {})).toBe("download");
    expect(resolveAction("dataset", "D", {})).toBe("downloadCondensed");
    expect(resolveAction("input", "q", {})).toBeUndefined();
    expect(resolveAction("find", "c", { ctrl: true })).toBeUndefined();
  });

  it("generates help sections that list every binding", () => {
    const sections = helpSections();
    const rows = sections.flatMap((s) => s.rows.map((r) => r.description));
    for (const b of KEYMAP) expect(rows).toContain(b.description);
    expect(sections.find((s) => s.scope === "global")?.rows.map((r) => r.keys)).toContain(
      "Shift-Tab",
    );
  });
});
