/**
 * DCOR layer: turns DCOR resources, datasets, collections and circles into download jobs.
 * It only needs the small {@link DcorApiLike} interface (which `CKANAPI` from `@dcor/api`
 * satisfies), so the generic core stays free of DCOR knowledge.
 */
import type { Dataset, PackageSearchResult, Resource } from "@dcor/api";
import { InvalidInputError, NotDCResourceError } from "./errors.js";
import type { DownloadJob } from "./job.js";
import type { DownloadManager } from "./manager.js";
import { safeJoin } from "./sanitize.js";

/** What the DCOR layer needs from an API client (`CKANAPI` from `@dcor/api` fits). */
export interface DcorApiLike {
  get(
    action: string,
    params?: Record<string, unknown>,
    options?: { signal?: AbortSignal },
  ): Promise<unknown>;
  resourceDownloadUrl(datasetId: string, resourceId: string, name: string): string;
  condensedDownloadUrl(datasetId: string, resourceId: string): string;
}

/** Options of {@link addResource}, {@link addDataset}, {@link addCollection}, {@link addCircle}. */
export interface DcorAddOptions {
  /** Base folder; files go to `<directory>/<dataset name>/<resource name>`. */
  directory: string;
  /**
   * Download the condensed file (`<stem>_condensed.rtdc`, scalar features only) instead of the
   * original. DCOR publishes no checksum for condensed files, so they are verified by the object
   * store's ETag (MD5) if it sends one, else by size only. Non-RT-DC resources: the original is
   * downloaded ({@link addDataset}/{@link addCollection}) or {@link NotDCResourceError} is thrown
   * ({@link addResource}).
   * @default false
   */
  condensed?: boolean;
  /** Abort the metadata requests. */
  signal?: AbortSignal;
  /** Rows per `package_search` page in {@link addCollection}/{@link addCircle}. @default 100 */
  pageSize?: number;
}

const SHA256 = /^[0-9a-f]{64}$/i;
const S3_ETAG = /^[0-9a-f]{32}(-[1-9][0-9]*)?$/i;

/** Whether a resource is an RT-DC file (mimetype `RT-DC`/`DC` or suffix `.rtdc`/`.dc`). */
export function isDCResource(res: Pick<Resource, "name" | "mimetype">): boolean {
  return res.mimetype === "RT-DC" || res.mimetype === "DC" || /\.(rtdc|dc)$/i.test(res.name ?? "");
}

/** `M001_data.rtdc` → `M001_data_condensed.rtdc`. */
export function condensedFileName(name: string): string {
  const dot = name.lastIndexOf(".");
  const stem = dot > 0 ? name.slice(0, dot) : name;
  return `${stem}_condensed.rtdc`;
}

function queueResource(
  dm: DownloadManager,
  api: DcorApiLike,
  dataset: Dataset,
  res: Resource,
  opts: DcorAddOptions,
  strict: boolean,
): DownloadJob {
  const dc = isDCResource(res);
  if (opts.condensed && !dc && strict) throw new NotDCResourceError(res.id);
  const condensed = Boolean(opts.condensed && dc);
  const name = condensed ? condensedFileName(res.name) : res.name;
  const destination = safeJoin(opts.directory, dataset.name, name);
  const meta = {
    dcor: { resourceId: res.id, datasetId: dataset.id, datasetName: dataset.name, condensed },
  };
  if (condensed) {
    return dm.add({
      id: `${res.id}_condensed`,
      url: api.condensedDownloadUrl(dataset.id, res.id),
      destination,
      meta,
    });
  }
  return dm.add({
    id: res.id,
    url: api.resourceDownloadUrl(dataset.id, res.id, res.name),
    destination,
    ...(typeof res.sha256 === "string" && SHA256.test(res.sha256) ? { sha256: res.sha256 } : {}),
    ...(typeof res.etag === "string" && S3_ETAG.test(res.etag) ? { etag: res.etag } : {}),
    ...(typeof res.size === "number" && Number.isSafeInteger(res.size) && res.size >= 0
      ? { size: res.size }
      : {}),
    meta,
  });
}

function checkId(kind: string, v: unknown): string {
  if (typeof v !== "string" || v.trim() === "")
    throw new InvalidInputError(`${kind} must be a non-empty string`);
  return v.trim();
}

function callOpts(opts: DcorAddOptions): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

/**
 * Queue one resource: resolves URL, name, sha256, ETag and size via `resource_show` and the
 * dataset name via `package_show`. The job id is the resource id (`<id>_condensed` for the
 * condensed file), so adding the same resource twice returns the existing job.
 */
export async function addResource(
  dm: DownloadManager,
  api: DcorApiLike,
  resourceId: string,
  opts: DcorAddOptions,
): Promise<DownloadJob> {
  const rid = checkId("resourceId", resourceId);
  const res = (await api.get("resource_show", { id: rid }, callOpts(opts))) as Resource;
  const dataset = (await api.get(
    "package_show",
    { id: res.package_id },
    callOpts(opts),
  )) as Dataset;
  return queueResource(dm, api, dataset, res, opts, true);
}

/** Queue every resource of a dataset (by id or name). */
export async function addDataset(
  dm: DownloadManager,
  api: DcorApiLike,
  idOrName: string,
  opts: DcorAddOptions,
): Promise<DownloadJob[]> {
  const id = checkId("dataset id or name", idOrName);
  const dataset = (await api.get("package_show", { id }, callOpts(opts))) as Dataset;
  return queueDataset(dm, api, dataset, opts);
}

function queueDataset(
  dm: DownloadManager,
  api: DcorApiLike,
  dataset: Dataset,
  opts: DcorAddOptions,
) {
  return (dataset.resources ?? [])
    .filter((r) => r.state === undefined || r.state === "active")
    .map((r) => queueResource(dm, api, dataset, r, opts, false));
}

async function addSearch(
  dm: DownloadManager,
  api: DcorApiLike,
  fq: string,
  opts: DcorAddOptions,
): Promise<DownloadJob[]> {
  const rows = Math.max(1, Math.min(1000, Math.floor(opts.pageSize ?? 100)));
  const jobs: DownloadJob[] = [];
  const seen = new Set<string>();
  for (let start = 0; ; start += rows) {
    const page = (await api.get(
      "package_search",
      { fq, include_private: true, rows, start, sort: "metadata_created asc" },
      callOpts(opts),
    )) as PackageSearchResult;
    for (const ds of page.results) {
      if (seen.has(ds.id)) continue; // a dataset added meanwhile may shift pages
      seen.add(ds.id);
      jobs.push(...queueDataset(dm, api, ds, opts));
    }
    if (page.results.length < rows || start + rows >= page.count) break;
  }
  return jobs;
}

/** Queue every resource of every dataset in a collection (CKAN group), paging through all of them. */
export function addCollection(
  dm: DownloadManager,
  api: DcorApiLike,
  name: string,
  opts: DcorAddOptions,
): Promise<DownloadJob[]> {
  const n = checkId("collection name", name);
  return addSearch(dm, api, `+groups:${JSON.stringify(n)}`, opts);
}

/** Queue every resource of every dataset in a circle (CKAN organization), paging through all. */
export function addCircle(
  dm: DownloadManager,
  api: DcorApiLike,
  name: string,
  opts: DcorAddOptions,
): Promise<DownloadJob[]> {
  const n = checkId("circle name", name);
  return addSearch(dm, api, `+organization:${JSON.stringify(n)}`, opts);
}
