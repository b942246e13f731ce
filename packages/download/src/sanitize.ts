import { existsSync } from "node:fs";
import path from "node:path";
import { InvalidDestinationError } from "./errors.js";

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
// Characters that are invalid or dangerous on at least one common file system.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/g;
const MAX_NAME_BYTES = 255;

/**
 * Make one file-name segment safe on Linux, macOS and Windows: control characters and
 * `/ \ : * ? " < > |` become `_`, leading/trailing spaces and trailing dots are dropped,
 * `.`/`..`/empty become `_`, Windows device names (`CON`, `NUL`, `COM1`, … also with an
 * extension) get a `_` prefix, and the name is cut to 255 UTF-8 bytes keeping its extension.
 */
export function sanitizeFileName(name: string): string {
  let s = name.normalize("NFC").replace(UNSAFE_CHARS, "_");
  s = s.replace(/^[\s]+/, "").replace(/[\s.]+$/, "");
  if (s === "" || s === "." || s === "..") s = "_";
  const dot = s.indexOf(".");
  const base = dot === -1 ? s : s.slice(0, dot);
  if (WINDOWS_RESERVED.test(base)) s = `_${s}`;
  if (Buffer.byteLength(s) > MAX_NAME_BYTES) {
    const ext = path.extname(s);
    const keepExt = Buffer.byteLength(ext) < 32 ? ext : "";
    let stem = keepExt ? s.slice(0, -keepExt.length) : s;
    while (Buffer.byteLength(stem) + Buffer.byteLength(keepExt) > MAX_NAME_BYTES) {
      stem = Array.from(stem).slice(0, -1).join("");
    }
    s = stem + keepExt;
  }
  return s;
}

/**
 * Join sanitized name segments below `directory`. Each segment may itself contain `/` or `\`
 * (it is split and every part sanitized); `..` can never climb out and absolute names stay
 * inside. Throws {@link InvalidDestinationError} if no usable segment remains.
 */
export function safeJoin(directory: string, ...segments: string[]): string {
  const root = path.resolve(directory);
  const parts: string[] = [];
  for (const seg of segments) {
    for (const p of seg.split(/[/\\]+/)) {
      if (p === "" || p === "." || p === "..") continue;
      parts.push(sanitizeFileName(p));
    }
  }
  if (parts.length === 0) throw new InvalidDestinationError("empty destination name");
  const full = path.join(root, ...parts);
  const rel = path.relative(root, full);
  if (rel.startsWith("..") || path.isAbsolute(rel)) {
    throw new InvalidDestinationError(`destination escapes ${root}`);
  }
  return full;
}

/** Case-insensitive key so that `A.rtdc` and `a.rtdc` collide (as on macOS/Windows). */
export function pathKey(p: string): string {
  return path.resolve(p).normalize("NFC").toLowerCase();
}

/**
 * First of `p`, `stem (1).ext`, `stem (2).ext`, … whose key (see {@link pathKey}) is not in
 * `taken` and, if `skipExisting`, that exists neither on disk nor as a `.part` file.
 */
export function uniquePath(
  p: string,
  taken: { has(key: string): boolean },
  skipExisting: boolean,
  partSuffix = ".part",
): string {
  const ext = path.extname(p);
  const stem = p.slice(0, p.length - ext.length);
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? p : `${stem} (${i})${ext}`;
    if (taken.has(pathKey(candidate))) continue;
    if (skipExisting && (existsSync(candidate) || existsSync(candidate + partSuffix))) continue;
    return candidate;
  }
}
