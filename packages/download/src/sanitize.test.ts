import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidDestinationError } from "./errors.js";
import { safeJoin, sanitizeFileName, uniquePath } from "./sanitize.js";

describe("sanitizeFileName", () => {
  it.each([
    ["normal_name-1.rtdc", "normal_name-1.rtdc"],
    ["a/b", "a_b"],
    ["a\\b", "a_b"],
    ["..", "_"],
    [".", "_"],
    ["", "_"],
    ["bad\u0000name\u001f.txt", "bad_name_.txt"],
    ['w<i>n:d*o?w"s|.txt', "w_i_n_d_o_w_s_.txt"],
    ["CON", "_CON"],
    ["nul.txt", "_nul.txt"],
    ["com1.rtdc", "_com1.rtdc"],
    ["LPT9", "_LPT9"],
    ["console.txt", "console.txt"],
    ["trailing dots...", "trailing dots"],
    ["  spaced  ", "spaced"],
  ])("%j → %j", (input, out) => {
    expect(sanitizeFileName(input)).toBe(out);
  });

  it("cuts long names to 255 bytes and keeps the extension", () => {
    const s = sanitizeFileName(`${"ä".repeat(300)}.rtdc`);
    expect(Buffer.byteLength(s)).toBeLessThanOrEqual(255);
    expect(s.endsWith(".rtdc")).toBe(true);
  });
});

describe("safeJoin", () => {
  const root = path.resolve("/tmp/root");
  it("never escapes the directory", () => {
    expect(safeJoin(root, "../../etc/passwd")).toBe(path.join(root, "etc", "passwd"));
    expect(safeJoin(root, "/abs/path")).toBe(path.join(root, "abs", "path"));
    expect(safeJoin(root, "ds", "..", "x.rtdc")).toBe(path.join(root, "ds", "x.rtdc"));
    expect(safeJoin(root, "C:\\Windows\\x")).toBe(path.join(root, "C_", "Windows", "x"));
  });
  it("throws a typed error when nothing usable remains", () => {
    expect(() => safeJoin(root, "..", "/")).toThrow(InvalidDestinationError);
  });
});

describe("uniquePath", () => {
  it("numbers collisions", () => {
    const taken = new Set([path.resolve("/tmp/x/a.rtdc").toLowerCase()]);
    expect(uniquePath("/tmp/x/a.rtdc", taken, false)).toBe("/tmp/x/a (1).rtdc");
    taken.add(path.resolve("/tmp/x/a (1).rtdc").toLowerCase());
    expect(uniquePath("/tmp/x/A.rtdc", taken, false)).toBe("/tmp/x/A (2).rtdc");
  });
});
