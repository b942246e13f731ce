import { createHash } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EtagHasher, isS3Etag, normalizeEtag, StreamHasher } from "./checksum.js";
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

describe("StreamHasher off-thread (worker reads the part file back)", () => {
  const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

  it("equals the in-thread hash; resumes from bytes already in the file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hash-"));
    try {
      const file = path.join(dir, "x.part");
      const bytes = seededBytes(5 * 1024 * 1024 + 77, 9);
      const have = 1_234_567;
      await writeFile(file, bytes.subarray(0, have));
      const h = new StreamHasher(undefined, file);
      expect(h.offThread).toBe(true);
      await h.updateFromFile(file, have);
      const fh = await open(file, "a");
      let off = have;
      for (let i = 0; off < bytes.length; i++) {
        const chunk = bytes.subarray(off, off + 1 + ((i * 7919) % 65536));
        h.update(chunk);
        await fh.write(chunk);
        h.wrote(chunk.length);
        off += chunk.length;
      }
      await fh.close();
      expect(h.bytes).toBe(bytes.length);
      await h.finish();
      expect(h.sha256()).toBe(sha(bytes));
      expect(h.sha256()).toBe(sha(bytes)); // stable
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("hashes an empty file; refuses to digest bytes that were never written", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "hash-"));
    try {
      const file = path.join(dir, "x.part");
      await writeFile(file, "");
      const empty = new StreamHasher(undefined, file);
      await empty.finish();
      expect(empty.sha256()).toBe(sha(Buffer.alloc(0)));
      const h = new StreamHasher(undefined, file);
      h.update(Buffer.from("abc"));
      await expect(h.finish()).rejects.toThrow(/written/);
      expect(() => h.sha256()).toThrow(/finish/);
      // the file is shorter than reported: an error, not a wrong hash
      const short = new StreamHasher(undefined, file);
      short.update(Buffer.from("abc"));
      short.wrote(3);
      await expect(short.finish()).rejects.toThrow(/shorter/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
