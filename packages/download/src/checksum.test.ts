import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { EtagHasher, isS3Etag, normalizeEtag } from "./checksum.js";
import { seededBytes } from "./test-helpers/file-server.js";

const md5 = (b: Buffer) => createHash("md5").update(b);

function multipartEtag(bytes: Buffer, partSize: number): string {
  const digests: Buffer[] = [];
  for (let off = 0; off < bytes.length; off += partSize) {
    digests.push(md5(bytes.subarray(off, off + partSize)).digest());
  }
  return `${createHash("md5").update(Buffer.concat(digests)).digest("hex")}-${digests.length}`;
}

function feed(h: EtagHasher, bytes: Buffer, chunk: number) {
  for (let off = 0; off < bytes.length; off += chunk) h.update(bytes.subarray(off, off + chunk));
}

describe("S3 ETags", () => {
  it("normalizes and recognises ETags", () => {
    expect(normalizeEtag('"ABCDEF0123456789abcdef0123456789"')).toBe(
      "abcdef0123456789abcdef0123456789",
    );
    expect(normalizeEtag('W/"abc"')).toBeUndefined();
    expect(isS3Etag("108d47e80f3e5f35110493b1fdcd30d5")).toBe(true);
    expect(isS3Etag("108d47e80f3e5f35110493b1fdcd30d5-3")).toBe(true);
    expect(isS3Etag("abc")).toBe(false);
  });

  it("single part: plain MD5", () => {
    const bytes = seededBytes(10_000, 3);
    const h = new EtagHasher(md5(bytes).digest("hex"), bytes.length);
    feed(h, bytes, 777);
    expect(h.result().matches).toBe(true);
  });

  it("multipart with fixed parts (the 1 GiB rule, scaled down)", () => {
    const bytes = seededBytes(25_000, 4);
    const etag = multipartEtag(bytes, 10_000);
    const h = new EtagHasher(etag, bytes.length, 10_000);
    feed(h, bytes, 333);
    expect(h.result()).toEqual({ actual: etag, matches: true });
  });

  it("multipart with N equal parts (DCOR-Aid's uploader layout)", () => {
    const bytes = seededBytes(25_001, 5);
    const etag = multipartEtag(bytes, Math.ceil(25_001 / 3));
    const h = new EtagHasher(etag, bytes.length, 10_000);
    feed(h, bytes, 4096);
    expect(h.result().matches).toBe(true);
  });

  it("a wrong byte does not match", () => {
    const bytes = seededBytes(25_000, 6);
    const etag = multipartEtag(bytes, 10_000);
    bytes[12_000] = bytes[12_000]! ^ 1;
    const h = new EtagHasher(etag, bytes.length, 10_000);
    feed(h, bytes, 1000);
    const r = h.result();
    expect(r.matches).toBe(false);
    expect(r.actual).toMatch(/^[0-9a-f]{32}-3$/);
  });
});
