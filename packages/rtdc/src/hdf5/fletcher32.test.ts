import { describe, expect, it } from "vitest";
import { fletcher32, fletcher32Matches } from "./fletcher32.js";

/** HDF5's checksum written out the slow way: fold every 360 words, then twice at the end. */
function folding(bytes: Uint8Array): number {
  let s1 = 0;
  let s2 = 0;
  let left = bytes.length >>> 1;
  let p = 0;
  while (left > 0) {
    let t = Math.min(360, left);
    left -= t;
    while (t-- > 0) {
      s1 += ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
      s2 += s1;
      p += 2;
    }
    s1 = (s1 & 0xffff) + Math.floor(s1 / 65536);
    s2 = (s2 & 0xffff) + Math.floor(s2 / 65536);
  }
  if (bytes.length % 2) {
    s1 += (bytes[p] as number) << 8;
    s2 += s1;
    s1 = (s1 & 0xffff) + Math.floor(s1 / 65536);
    s2 = (s2 & 0xffff) + Math.floor(s2 / 65536);
  }
  s1 = (s1 & 0xffff) + Math.floor(s1 / 65536);
  s2 = (s2 & 0xffff) + Math.floor(s2 / 65536);
  return ((s2 << 16) | s1) >>> 0;
}

function bytesOf(n: number, seed: number, fill?: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = fill ?? x >>> 24;
  }
  return out;
}

describe("fletcher32", () => {
  it("equals HDF5's folding algorithm for random, constant, odd and unaligned inputs", () => {
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      new Uint8Array([0]),
      new Uint8Array([1]),
      bytesOf(1000, 0, 0),
      bytesOf(262_147, 0, 0xff),
      bytesOf(65_535 * 4 + 3, 0, 0x7f),
    ];
    for (const n of [2, 3, 719, 720, 721, 4096, 131_072, 131_073, 400_001])
      cases.push(bytesOf(n, n));
    for (const c of cases) {
      expect(fletcher32(c)).toBe(folding(c));
      const shifted = new Uint8Array(c.length + 1);
      shifted.set(c, 1);
      expect(fletcher32(shifted.subarray(1))).toBe(folding(c));
    }
  });

  it("checks the checksum a chunk carries, in both byte orders HDF5 accepts", () => {
    const data = bytesOf(10_001, 7);
    const sum = fletcher32(data);
    const chunk = new Uint8Array(data.length + 4);
    chunk.set(data);
    new DataView(chunk.buffer).setUint32(data.length, sum, true);
    expect(fletcher32Matches(chunk)).toBe(true);
    const swapped = chunk.slice();
    [swapped[data.length], swapped[data.length + 1]] = [
      chunk[data.length + 1] as number,
      chunk[data.length] as number,
    ];
    [swapped[data.length + 2], swapped[data.length + 3]] = [
      chunk[data.length + 3] as number,
      chunk[data.length + 2] as number,
    ];
    expect(fletcher32Matches(swapped)).toBe(true);
    const bad = chunk.slice();
    bad[500] = (bad[500] as number) ^ 0x01;
    expect(fletcher32Matches(bad)).toBe(false);
    expect(fletcher32Matches(new Uint8Array(3))).toBe(false);
  });
});
