/**
 * Generated and condensed files live in a content-addressed cache folder. A folder is built under
 * a temporary name and renamed into place in one step, so concurrent processes never see (or
 * corrupt) a half-written cache: the first rename wins, the others drop their copy.
 */

import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  condenseData,
  infoFromData,
  type RtdcInfo,
  readRtdcInfo,
  writeCondensed,
  writeRtdc,
} from "./hdf5.js";
import { generateRtdcData, type SampleFileSpec } from "./synth-data.js";

/** Bump when generated content changes, so stale caches are not reused. */
export const GENERATOR_VERSION = 7;
/** Bump when reading or condensing real files changes (only data-folder caches are rebuilt). */
export const DATA_VERSION = 4;

/** Size and checksums of one stored object. */
export interface StoredFile {
  path: string;
  size: number;
  md5: string;
  sha256: string;
}

/** A measurement file with its condensed copy and metadata. */
export interface CachedRtdc {
  file: StoredFile;
  condensed: StoredFile;
  info: RtdcInfo;
  condensedInfo: RtdcInfo;
}

/** Default cache root: `<os tmpdir>/dcor-emulator-v1`. */
export function defaultCacheRoot(): string {
  return path.join(os.tmpdir(), "dcor-emulator-v1");
}

/** MD5 and SHA-256 of a file, streamed. */
export async function hashFile(
  filePath: string,
): Promise<{ size: number; md5: string; sha256: string }> {
  const md5 = createHash("md5");
  const sha = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) {
    const buf = chunk as Buffer;
    md5.update(buf);
    sha.update(buf);
    size += buf.length;
  }
  return { size, md5: md5.digest("hex"), sha256: sha.digest("hex") };
}

/** One file's entry in a cache folder's manifest. */
export type ManifestEntry = Manifest["entries"][string];

interface Manifest {
  version: number;
  entries: Record<
    string,
    {
      file: Omit<StoredFile, "path"> & { name: string };
      condensed: Omit<StoredFile, "path"> & { name: string };
      info: RtdcInfo;
      condensedInfo: RtdcInfo;
    }
  >;
}

async function readManifest(dir: string): Promise<Manifest | undefined> {
  try {
    const m = JSON.parse(await fs.readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    return m.version === GENERATOR_VERSION ? m : undefined;
  } catch {
    return undefined;
  }
}

function fromManifest(dir: string, m: Manifest): Map<string, CachedRtdc> {
  const out = new Map<string, CachedRtdc>();
  for (const [key, e] of Object.entries(m.entries)) {
    const { name: fname, ...f } = e.file;
    const { name: cname, ...c } = e.condensed;
    out.set(key, {
      file: { ...f, path: path.join(dir, fname) },
      condensed: { ...c, path: path.join(dir, cname) },
      info: e.info,
      condensedInfo: e.condensedInfo,
    });
  }
  return out;
}

/**
 * Returns the cache folder `<root>/<id>`, building it with `build(tmpDir)` if absent. `build`
 * writes its files into `tmpDir` and returns the manifest entries.
 */
async function ensureFolder(
  root: string,
  id: string,
  build: (tmpDir: string) => Promise<Manifest["entries"]>,
): Promise<Map<string, CachedRtdc>> {
  const dir = path.join(root, id);
  const existing = await readManifest(dir);
  if (existing) return fromManifest(dir, existing);
  await fs.mkdir(root, { recursive: true });
  // One process builds, the others wait for its folder (instead of all building at once).
  const release = await acquireLock(
    path.join(root, `${id}.lock`),
    async () => !!(await readManifest(dir)),
  );
  try {
    const ready = await readManifest(dir);
    if (ready) return fromManifest(dir, ready);
    const tmp = path.join(root, `.tmp-${id}-${process.pid}-${randomBytes(4).toString("hex")}`);
    await fs.mkdir(tmp, { recursive: true });
    try {
      const entries = await build(tmp);
      const manifest: Manifest = { version: GENERATOR_VERSION, entries };
      await fs.writeFile(path.join(tmp, "manifest.json"), JSON.stringify(manifest));
      try {
        await fs.rename(tmp, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM" && code !== "EACCES")
          throw err;
        // Another process finished first; if its folder is somehow broken, replace it.
        if (!(await readManifest(dir))) {
          await fs.rm(dir, { recursive: true, force: true });
          await fs.rename(tmp, dir);
        }
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
    }
  } finally {
    await release();
  }
  const m = await readManifest(dir);
  if (!m) throw new Error(`emulator cache folder ${dir} is unreadable`);
  return fromManifest(dir, m);
}

/** Locks older than this (or held by a dead process) are taken over. */
const STALE_LOCK_MS = 180_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes an exclusive lock file (O_EXCL). While another live process holds it, polls until
 * `done()` says the work is finished (then returns a no-op release) or the lock is free.
 */
async function acquireLock(
  lockPath: string,
  done: () => Promise<boolean>,
): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const fh = await fs.open(lockPath, "wx");
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => fs.rm(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (await done()) return async () => {};
    try {
      const [text, st] = await Promise.all([fs.readFile(lockPath, "utf8"), fs.stat(lockPath)]);
      const pid = Number(text);
      const stale =
        Date.now() - st.mtimeMs > STALE_LOCK_MS ||
        (Number.isInteger(pid) && pid > 0 && !processAlive(pid));
      if (stale && text.length > 0) await fs.rm(lockPath, { force: true });
    } catch {
      // the lock vanished meanwhile: try again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function storeEntry(
  dir: string,
  name: string,
  condensedName: string,
  source: string,
): Promise<Manifest["entries"][string]> {
  const condensedPath = path.join(dir, condensedName);
  await writeCondensed(source, condensedPath);
  const [fh, ch, info, condensedInfo] = [
    await hashFile(source),
    await hashFile(condensedPath),
    await readRtdcInfo(source),
    await readRtdcInfo(condensedPath),
  ];
  return { file: { name, ...fh }, condensed: { name: condensedName, ...ch }, info, condensedInfo };
}

/** Generates (or reuses) the `.rtdc` files for `specs`; keyed by `spec.key`. */
/** Writes one generated file and its condensed copy into `dir`; returns its manifest entry. */
export async function generateEntry(
  spec: SampleFileSpec,
  seed: number,
  dir: string,
): Promise<ManifestEntry> {
  const name = `${spec.key}.rtdc`;
  const filePath = path.join(dir, name);
  const condensedName = `${spec.key}_condensed.rtdc`;
  const data = generateRtdcData(spec, seed);
  const condensed = condenseData(data, name);
  await writeRtdc(filePath, data);
  await writeRtdc(path.join(dir, condensedName), condensed);
  return {
    file: { name, ...(await hashFile(filePath)) },
    condensed: { name: condensedName, ...(await hashFile(path.join(dir, condensedName))) },
    info: infoFromData(data),
    condensedInfo: infoFromData(condensed),
  };
}

/** Rough cost of generating a file, to balance the work between generator processes. */
function cost(spec: SampleFileSpec): number {
  return spec.events * (1 + (spec.images ? 40 : 0) + (spec.fluorescence ? 6 : 0)) + 2000;
}

/** Splits specs into `n` parts of similar cost (greedy, largest first). */
function splitSpecs(specs: SampleFileSpec[], n: number): SampleFileSpec[][] {
  const parts = Array.from({ length: n }, () => ({ cost: 0, specs: [] as SampleFileSpec[] }));
  for (const spec of [...specs].sort((x, y) => cost(y) - cost(x))) {
    const part = parts.reduce((lo, p) => (p.cost < lo.cost ? p : lo));
    part.specs.push(spec);
    part.cost += cost(spec);
  }
  return parts.map((p) => p.specs).filter((p) => p.length);
}

/**
 * Generates files in a child process: the HDF5 work runs in parallel on several cores, and the
 * wasm heap it grows (it never shrinks) is not left behind in the caller's process.
 */
function generateInChild(
  specs: SampleFileSpec[],
  seed: number,
  dir: string,
): Promise<Manifest["entries"]> {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith(".ts");
  const script = path.join(path.dirname(here), fromSource ? "gen-worker.ts" : "gen-worker.js");
  const args = [...(fromSource ? ["--import", "tsx"] : []), script];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 300_000);
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`generator exited with ${code}: ${err.slice(-500)}`));
      try {
        resolve(JSON.parse(out) as Manifest["entries"]);
      } catch (e) {
        reject(e);
      }
    });
    child.stdin.end(JSON.stringify({ specs, seed, dir }));
  });
}

/** Generates (or reuses) the `.rtdc` files for `specs`; keyed by `spec.key`. */
export async function ensureSampleFiles(
  specs: SampleFileSpec[],
  seed: number,
  root = defaultCacheRoot(),
): Promise<Map<string, CachedRtdc>> {
  const id = `sample-${createHash("sha256")
    .update(JSON.stringify({ v: GENERATOR_VERSION, seed, specs }))
    .digest("hex")
    .slice(0, 16)}`;
  return ensureFolder(root, id, async (tmp) => {
    const workers = Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length));
    try {
      const parts = await Promise.all(
        splitSpecs(specs, workers).map((part) => generateInChild(part, seed, tmp)),
      );
      const entries: Manifest["entries"] = Object.assign({}, ...parts);
      if (specs.every((s) => entries[s.key])) return entries;
    } catch {
      // no child process possible here (or it failed): generate in this process instead
    }
    const entries: Manifest["entries"] = {};
    for (const spec of specs) entries[spec.key] = await generateEntry(spec, seed, tmp);
    return entries;
  });
}

/** Lists `.rtdc` files below `dir` (recursive, sorted, condensed copies skipped). */
export async function listRtdcFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    const items = await fs.readdir(d, { withFileTypes: true });
    for (const it of items.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, it.name);
      if (it.isDirectory()) await walk(p);
      else if (it.isFile() && it.name.toLowerCase().endsWith(".rtdc")) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

/**
 * Reads the metadata of the real files below `dataDir` and makes condensed copies, cached by
 * path, size and mtime. Keys are paths relative to `dataDir`. The originals are served in place.
 */
export async function ensureDataDirFiles(
  dataDir: string,
  root = defaultCacheRoot(),
): Promise<Map<string, CachedRtdc>> {
  const abs = path.resolve(dataDir);
  const files = await listRtdcFiles(abs);
  const stats = await Promise.all(files.map(async (f) => ({ f, s: await fs.stat(f) })));
  const id = `data-${createHash("sha256")
    .update(
      JSON.stringify({
        v: GENERATOR_VERSION,
        data: DATA_VERSION,
        abs,
        files: stats.map(({ f, s }) => [f, s.size, s.mtimeMs]),
      }),
    )
    .digest("hex")
    .slice(0, 16)}`;
  const result = await ensureFolder(root, id, async (tmp) => {
    const entries: Manifest["entries"] = {};
    let i = 0;
    for (const f of files) {
      const rel = path.relative(abs, f);
      const condensedName = `${i++}_${path.basename(f, ".rtdc")}_condensed.rtdc`;
      try {
        const e = await storeEntry(tmp, f, condensedName, f);
        entries[rel] = e;
      } catch {
        // A file h5wasm cannot read (broken, or an unknown filter) is not served.
      }
    }
    return entries;
  });
  // originals are served in place: fix up their paths
  for (const [rel, e] of result) e.file.path = path.join(abs, rel);
  return result;
}
