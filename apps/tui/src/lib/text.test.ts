import { describe, expect, it } from "vitest";
import { elideMiddle, fit, formatBytes, formatDuration, maskSecret, progressBar } from "./text.js";

describe("elideMiddle", () => {
  it("keeps short text and elides long text in the middle", () => {
    expect(elideMiddle("short.rtdc", 20)).toBe("short.rtdc");
    const out = elideMiddle("M001_data_very_long_measurement_name.rtdc", 15);
    expect(Array.from(out)).toHaveLength(15);
    expect(out.startsWith("M001_da")).toBe(true);
    expect(out.endsWith("e.rtdc")).toBe(true);
    expect(out).toContain("…");
  });
  it("handles tiny widths", () => {
    expect(elideMiddle("abcdef", 1)).toBe("…");
    expect(elideMiddle("abcdef", 0)).toBe("");
    expect(elideMiddle("abcdef", 2)).toBe("a…");
  });
  it("fit pads to the width", () => {
    expect(fit("ab", 4)).toBe("ab  ");
    expect(fit("ab", 4, "right")).toBe("  ab");
    expect(fit("abcdefgh", 5)).toHaveLength(5);
  });
});

describe("formatting", () => {
  it("formats sizes and durations", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1_500_000)).toBe("1.5 MB");
    expect(formatBytes(undefined)).toBe("–");
    expect(formatDuration(5)).toBe("5s");
    expect(formatDuration(125)).toBe("2m05s");
    expect(formatDuration(3725)).toBe("1h02m");
  });
  it("draws progress bars of fixed width", () => {
    expect(progressBar(0, 10)).toBe("··········");
    expect(progressBar(1, 10)).toBe("██████████");
    expect(progressBar(0.5, 10)).toBe("█████·····");
    expect(progressBar(Number.NaN, 4)).toHaveLength(4);
  });
  it("never shows a secret in full", () => {
    const token = "eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop";
    expect(maskSecret(token)).not.toContain(token.slice(4));
    expect(maskSecret("short")).toBe("••••");
  });
});
