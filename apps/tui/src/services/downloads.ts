import type { CKANAPI } from "@dcor/api";
import type { DownloadJob, DownloadManager } from "@dcor/download";
import type { DownloadState, DownloadsService, DownloadView } from "./types.js";

export interface DownloadsServiceOptions {
  api: CKANAPI;
  directory: string;
  stateDir: string;
  /** Parallel transfers. @default 3 */
  concurrency?: number;
  /** Wait for this before restoring the queue (the previous owner of `stateDir` closing). */
  after?: Promise<unknown>;
}

function stateOf(job: DownloadJob): DownloadState {
  return job.state === "waiting-for-disk" ? "waiting-disk" : job.state;
}

function labelOf(job: DownloadJob): string {
  const meta = job.meta ?? {};
  const name =
    typeof meta.name === "string" ? meta.name : (job.destination.split(/[\\/]/).pop() ?? job.id);
  // The file name matters most in a narrow column; the dataset shows in the destination path.
  return name;
}

export function viewOf(job: DownloadJob): DownloadView {
  const p = job.progress;
  const view: DownloadView = {
    id: job.id,
    label: labelOf(job),
    destination: job.destination,
    state: stateOf(job),
    bytes: p.bytes,
    total: p.total ?? job.size,
    rate: p.rate,
    eta: p.eta,
  };
  if (job.state === "done" && view.total !== undefined) view.bytes = view.total;
  const reason = job.reason;
  if (reason && (job.state === "error" || job.state === "cancelled")) view.error = reason.message;
  return view;
}

/**
 * The download queue of the app: a `DownloadManager` restored from `stateDir` (so the queue
 * survives restarts), with DCOR auth headers supplied per request and never persisted.
 */
export function createDownloadsService(
  opts: DownloadsServiceOptions,
): DownloadsService & { close(): Promise<void> } {
  const { api } = opts;
  const listeners = new Set<() => void>();
  const emit = () => {
    for (const l of listeners) l();
  };
  let restoreError: unknown;
  // Loaded after the first frame: the queue is restored in the background.
  const lib = import("@dcor/download");
  const ready: Promise<DownloadManager | undefined> = Promise.all([
    lib,
    opts.after?.catch(() => {}),
  ])
    .then(([dl]) =>
      dl.DownloadManager.restore({
        stateDir: opts.stateDir,
        concurrency: opts.concurrency ?? 3,
        headersFor: (url: URL) => api.authHeadersFor(url),
      }),
    )
    .then(
      (dm) => {
        for (const event of ["added", "state", "progress", "done"] as const) dm.on(event, emit);
        manager = dm;
        emit();
        return dm;
      },
      (err: unknown) => {
        restoreError = err;
        return undefined;
      },
    );
  let manager: DownloadManager | undefined;
  const need = async (): Promise<DownloadManager> => {
    const dm = await ready;
    if (!dm)
      throw restoreError instanceof Error
        ? restoreError
        : new Error("the download queue could not be loaded");
    return dm;
  };
  const withJob = (id: string, fn: (dm: DownloadManager) => void) => {
    if (manager?.get(id)) fn(manager);
  };
  return {
    directory: opts.directory,
    list: () => (manager ? manager.jobs.map(viewOf) : []),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async addResource(resourceId, o = {}) {
      const dm = await need();
      const { addResource } = await lib;
      const job = await addResource(dm, api, resourceId, {
        directory: opts.directory,
        condensed: o.condensed,
      });
      return [viewOf(job)];
    },
    async addDataset(idOrName, o = {}) {
      const dm = await need();
      const { addDataset } = await lib;
      const jobs = await addDataset(dm, api, idOrName, {
        directory: opts.directory,
        condensed: o.condensed,
      });
      return jobs.map(viewOf);
    },
    pause: (id) => withJob(id, (dm) => dm.pause(id)),
    resume: (id) => withJob(id, (dm) => dm.resume(id)),
    cancel: (id) => withJob(id, (dm) => dm.cancel(id)),
    retry: (id) => withJob(id, (dm) => dm.retry(id)),
    async close() {
      listeners.clear();
      const dm = await ready;
      await dm?.close();
    },
  };
}
