import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type ErrorReason, StateFileError } from "./errors.js";
import type { DownloadResult, JobState } from "./types.js";

/** What is persisted per job. Deliberately no headers: auth comes from `headersFor` at runtime. */
export interface PersistedJob {
  version: 1;
  id: string;
  url: string;
  destination: string;
  sha256?: string;
  etag?: string;
  size?: number;
  state: JobState;
  error?: ErrorReason;
  /** Validators of the remote file the `.part` bytes came from (for If-Range on resume). */
  remote?: { etag?: string; lastModified?: string; size?: number };
  meta?: Record<string, unknown>;
  /** The result, for finished jobs kept with `keepFinished`. */
  result?: DownloadResult;
  createdAt: string;
  updatedAt: string;
}

const JOB_FILE = /^job-([A-Za-z0-9._-]+)\.json$/;
const LOCK_FILE = "lock";
/** State folders locked by managers of this process. */
const lockedHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/**
 * One JSON file per job in `<stateDir>/`, each written atomically (temp file, rename;
 * mode 0600), so a crash at any moment leaves either the old or the new content, never a mix.
 * Writes for one job are serialized and coalesced: only the newest snapshot is written.
 */
export class StateStore {
  private readonly queues = new Map<string, { running: Promise<void>; next?: PersistedJob }>();

  constructor(
    readonly dir: string,
    private readonly onError: (err: StateFileError) => void = () => {},
  ) {}

  private initialized: Promise<void> | undefined;
  private locked = false;

  /**
   * Create the folder and take its lock file (`lock`, holding our pid), so two managers —
   * in this or another live process — never drive the same part files. A lock left by a dead
   * process (e.g. after `kill -9`) is taken over.
   */
  init(): Promise<void> {
    this.initialized ??= this.lock();
    return this.initialized;
  }

  private async lock(): Promise<void> {
    const dir = path.resolve(this.dir);
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new StateFileError(`cannot create state folder ${dir}`, err);
    }
    if (lockedHere.has(dir)) {
      throw new StateFileError(
        `state folder ${dir} is used by another DownloadManager (close it first)`,
      );
    }
    const file = path.join(dir, LOCK_FILE);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(file, "wx", 0o600);
        try {
          await fh.writeFile(String(process.pid));
        } finally {
          await fh.close();
        }
        lockedHere.add(dir);
        this.locked = true;
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") {
          throw new StateFileError(`cannot lock state folder ${dir}`, err);
        }
      }
      const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new StateFileError(`state folder ${dir} is in use by process ${pid}`);
      }
      await rm(file, { force: true }); // stale: its process is gone
    }
    throw new StateFileError(`cannot lock state folder ${dir}`);
  }

  /** Give the folder's lock back (after pending writes). */
  async release(): Promise<void> {
    await this.flush();
    if (!this.locked) return;
    this.locked = false;
    const dir = path.resolve(this.dir);
    lockedHere.delete(dir);
    await rm(path.join(dir, LOCK_FILE), { force: true });
  }

  private file(id: string): string {
    return path.join(this.dir, `job-${id}.json`);
  }

  /** Persist `record` (the newest call wins); resolves once it (or a newer one) is on disk. */
  save(record: PersistedJob): Promise<void> {
    const q = this.queues.get(record.id);
    if (q) {
      q.next = record;
      return q.running;
    }
    const entry: { running: Promise<void>; next?: PersistedJob } = { running: Promise.resolve() };
    this.queues.set(record.id, entry);
    entry.running = (async () => {
      let current: PersistedJob | undefined = record;
      while (current) {
        entry.next = undefined;
        await this.write(current);
        current = entry.next;
      }
      this.queues.delete(record.id);
    })();
    return entry.running;
  }

  private async write(record: PersistedJob): Promise<void> {
    if (
      !(await this.init().then(
        () => this.locked,
        () => false,
      ))
    )
      return; // not ours to write
    const final = this.file(record.id);
    const tmp = `${final}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      // No fsync: write + rename is atomic against process crashes (kill -9), and a state file
      // lost to a power cut only loses queue entries — data files are re-verified anyway.
      // Thousands of fsyncs would make queueing a big collection take minutes.
      const fh = await open(tmp, "w", 0o600);
      try {
        await fh.writeFile(`${JSON.stringify(record, null, 1)}\n`);
      } finally {
        await fh.close();
      }
      await chmod(tmp, 0o600);
      await rename(tmp, final);
    } catch (err) {
      // e.g. ENOSPC: the previous state file stays intact; the job itself carries on.
      await rm(tmp, { force: true }).catch(() => {});
      this.onError(new StateFileError(`could not write state of job ${record.id}`, err));
    }
  }

  /** Delete a job's state file (after pending writes of it). */
  async remove(id: string): Promise<void> {
    if (
      !(await this.init().then(
        () => this.locked,
        () => false,
      ))
    )
      return;
    const q = this.queues.get(id);
    if (q) {
      q.next = undefined;
      await q.running;
    }
    await rm(this.file(id), { force: true });
  }

  /** Wait for all pending writes. */
  async flush(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.running));
  }

  /** Read every job file; unreadable ones are reported in `errors` (and left in place). */
  async loadAll(): Promise<{ jobs: PersistedJob[]; errors: StateFileError[] }> {
    await this.init();
    const jobs: PersistedJob[] = [];
    const errors: StateFileError[] = [];
    const names = (await readdir(this.dir)).sort();
    for (const name of names) {
      if (name.endsWith(".tmp")) {
        // Left over from a crash between write and rename: the real file is intact.
        await rm(path.join(this.dir, name), { force: true }).catch(() => {});
        continue;
      }
      if (!JOB_FILE.test(name)) continue;
      try {
        const parsed = JSON.parse(await readFile(path.join(this.dir, name), "utf8")) as unknown;
        jobs.push(validateRecord(parsed));
      } catch (err) {
        errors.push(new StateFileError(`unreadable state file ${name}`, err));
      }
    }
    jobs.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return { jobs, errors };
  }
}

function validateRecord(x: unknown): PersistedJob {
  const r = x as Partial<PersistedJob> | null;
  if (
    r?.version !== 1 ||
    typeof r.id !== "string" ||
    typeof r.url !== "string" ||
    typeof r.destination !== "string" ||
    typeof r.state !== "string"
  ) {
    throw new Error("not a download job record");
  }
  return r as PersistedJob;
}
