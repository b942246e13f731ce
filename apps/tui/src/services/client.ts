import { CKANAPI } from "@dcor/api";
import { APIInterrogator } from "@dcor/interrogator";
import type { Settings } from "../config/settings.js";
import { errorCode } from "../lib/errors.js";
import { createDownloadsService } from "./downloads.js";
import { openPreviewSession } from "./preview.js";
import type {
  ConnectionState,
  ConnectionStatus,
  DatasetInfo,
  DcorClient,
  DownloadsService,
  MyDataKind,
  NamedEntity,
  PreviewSession,
  ResourceInfo,
  SearchParams,
  SearchResult,
} from "./types.js";

export interface ClientOptions {
  settings: Settings;
  /** Where new downloads go. */
  downloadDir: string;
  /** Where the download queue is persisted (survives restarts). */
  stateDir: string;
  /** Per-request timeout in ms. @default 30000 */
  timeout?: number;
  /**
   * Settles when the previous client of this session has released the download queue (one
   * queue, one state directory: never two managers on it at once).
   */
  after?: Promise<unknown>;
}

/** Connection checks must not hang the status line. */
const CHECK_TIMEOUT_MS = 10_000;

/** Map an error of `@dcor/api` to a connection state (by its stable code). */
export function connectionStateOf(err: unknown): ConnectionState {
  switch (errorCode(err)) {
    case "DCOR_CONNECTION":
      return "no-connection";
    case "DCOR_TIMEOUT":
      return "timeout";
    case "DCOR_MAINTENANCE":
      return "maintenance";
    case "DCOR_AUTHORIZATION":
      return "bad-token";
    default:
      return "error";
  }
}

/** Check a server (and token, with user_show) without keeping a client around. */
export async function checkConnection(
  api: CKANAPI,
  signal?: AbortSignal,
): Promise<ConnectionStatus> {
  const call = {
    signal,
    timeout: CHECK_TIMEOUT_MS,
    totalTimeout: CHECK_TIMEOUT_MS,
    retry: false as const,
    cache: false,
  };
  try {
    if (api.hasApiKey) {
      const user = await api.getUserDict(call);
      return {
        state: "ok",
        user: { id: user.id, name: user.name, fullname: user.fullname ?? undefined },
      };
    }
    await api.get("status_show", {}, call);
    return { state: "ok" };
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    return { state: connectionStateOf(err), detail: message };
  }
}

/** The wizard's check of not-yet-saved settings. */
export function verifySettings(
  settings: Settings,
  opts: { signal: AbortSignal },
): Promise<ConnectionStatus> {
  let api: CKANAPI;
  try {
    api = new CKANAPI({ server: settings.server, apiKey: settings.apiKey });
  } catch (err) {
    return Promise.resolve({
      state: "error",
      detail: err instanceof Error ? err.message : String(err),
    });
  }
  return checkConnection(api, opts.signal);
}

/** The {@link DcorClient} on top of `@dcor/api`, `@dcor/interrogator`, `@dcor/download`, `@dcor/rtdc`. */
export class Client implements DcorClient {
  readonly api: CKANAPI;
  readonly interrogator: APIInterrogator;
  readonly #downloadOptions: { directory: string; stateDir: string; after?: Promise<unknown> };
  #downloads: (DownloadsService & { close(): Promise<void> }) | undefined;

  constructor(opts: ClientOptions) {
    this.api = new CKANAPI({
      server: opts.settings.server,
      apiKey: opts.settings.apiKey,
      timeout: opts.timeout ?? 30_000,
    });
    this.interrogator = new APIInterrogator(this.api);
    this.#downloadOptions = {
      directory: opts.downloadDir,
      stateDir: opts.stateDir,
      after: opts.after,
    };
  }

  /** The download queue, restored from its state directory on first use. */
  get downloads(): DownloadsService {
    this.#downloads ??= createDownloadsService({ api: this.api, ...this.#downloadOptions });
    return this.#downloads;
  }

  get server(): string {
    return this.api.server;
  }

  get hasApiKey(): boolean {
    return this.api.hasApiKey;
  }

  checkConnection(opts: { signal?: AbortSignal } = {}): Promise<ConnectionStatus> {
    return checkConnection(this.api, opts.signal);
  }

  async search(params: SearchParams): Promise<SearchResult> {
    const limit = params.limit ?? 100;
    const filters = {
      query: params.query.trim(),
      circles: params.circles?.length ? params.circles : undefined,
      collections: params.collections?.length ? params.collections : undefined,
      signal: params.signal,
    };
    const datasets = (await this.interrogator.searchDatasets({
      ...filters,
      limit,
    })) as DatasetInfo[];
    // Only ask for the total when the page is full (one cheap rows=0 request).
    const count =
      limit > 0 && datasets.length >= limit
        ? await this.interrogator.countDatasets(filters)
        : datasets.length;
    return { datasets, count };
  }

  async circles(opts: { signal?: AbortSignal } = {}): Promise<NamedEntity[]> {
    return (await this.interrogator.getCircles(opts)) as NamedEntity[];
  }

  async collections(opts: { signal?: AbortSignal } = {}): Promise<NamedEntity[]> {
    return (await this.interrogator.getCollections(opts)) as NamedEntity[];
  }

  async dataset(idOrName: string, opts: { signal?: AbortSignal } = {}): Promise<DatasetInfo> {
    return (await this.api.get("package_show", { id: idOrName }, opts)) as DatasetInfo;
  }

  async resource(id: string, opts: { signal?: AbortSignal } = {}): Promise<ResourceInfo> {
    return (await this.api.get("resource_show", { id }, opts)) as ResourceInfo;
  }

  async myData(kind: MyDataKind, opts: { signal?: AbortSignal } = {}): Promise<DatasetInfo[]> {
    const air = this.interrogator;
    const list =
      kind === "owned"
        ? await air.getDatasetsUserOwned(opts)
        : kind === "shared"
          ? await air.getDatasetsUserShared(opts)
          : await air.getDatasetsUserFollowing(opts);
    return list as DatasetInfo[];
  }

  dcservUrl(resourceId: string): string {
    return this.api.dcservUrl(resourceId);
  }

  datasetPageUrl(nameOrId: string): string {
    return this.api.datasetPageUrl(nameOrId);
  }

  openPreview(resourceId: string, opts: { signal?: AbortSignal } = {}): Promise<PreviewSession> {
    return openPreviewSession({ api: this.api, resourceId, signal: opts.signal });
  }

  #closing: Promise<void> | undefined;

  /** Stop the download queue (its state is saved); safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#downloads?.close();
    })();
    return this.#closing;
  }
}
