/**
 * The application's view of DCOR: what the screens and the CLI need, implemented in `client.ts`
 * on top of `@dcor/api`, `@dcor/interrogator`, `@dcor/download` and `@dcor/rtdc`. Screens depend on
 * this narrow interface so they don't care how a search or a download is carried out.
 */

/** A resource as CKAN/DCOR returns it (the fields the UI reads). */
export interface ResourceInfo {
  id: string;
  name: string;
  package_id?: string;
  size?: number | null;
  mimetype?: string | null;
  format?: string | null;
  sha256?: string | null;
  [key: string]: unknown;
}

/** A dataset as CKAN/DCOR returns it (the fields the UI reads). */
export interface DatasetInfo {
  id: string;
  name: string;
  title?: string;
  authors?: string;
  notes?: string;
  license_id?: string;
  license_title?: string;
  doi?: string;
  private?: boolean;
  state?: string;
  metadata_created?: string;
  metadata_modified?: string;
  owner_org?: string | null;
  organization?: { name: string; title?: string } | null;
  groups?: { name: string; title?: string; display_name?: string }[];
  tags?: { name: string }[];
  resources?: ResourceInfo[];
  num_resources?: number;
  [key: string]: unknown;
}

/** A circle (CKAN organization) or collection (CKAN group). */
export interface NamedEntity {
  id?: string;
  name: string;
  title?: string;
  display_name?: string;
}

export interface UserInfo {
  id?: string;
  name: string;
  fullname?: string;
}

export type ConnectionState =
  | "checking"
  | "ok"
  | "no-connection"
  | "maintenance"
  | "bad-token"
  | "timeout"
  | "error";

export interface ConnectionStatus {
  state: ConnectionState;
  /** The token's user when logged in and the token is valid. */
  user?: UserInfo;
  /** A readable reason for a non-ok state. */
  detail?: string;
}

export interface SearchParams {
  query: string;
  circles?: string[];
  collections?: string[];
  /** Maximum number of results; 0 = all. */
  limit?: number;
  signal?: AbortSignal;
}

export interface SearchResult {
  datasets: DatasetInfo[];
  /** Total number of matches on the server, when known. */
  count?: number;
}

export type MyDataKind = "owned" | "shared" | "following";

export type DownloadState =
  | "queued"
  | "waiting-disk"
  | "transferring"
  | "verifying"
  | "done"
  | "error"
  | "paused"
  | "cancelled";

/** A snapshot of one download job for display. */
export interface DownloadView {
  id: string;
  /** The file name (the dataset shows in the destination). */
  label: string;
  destination: string;
  state: DownloadState;
  bytes: number;
  total?: number;
  /** Bytes per second. */
  rate?: number;
  /** Seconds remaining. */
  eta?: number;
  error?: string;
}

export interface DownloadsService {
  /** Where new downloads go. */
  readonly directory: string;
  list(): DownloadView[];
  /** Called on every change (state, progress); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  addResource(resourceId: string, opts?: { condensed?: boolean }): Promise<DownloadView[]>;
  addDataset(idOrName: string, opts?: { condensed?: boolean }): Promise<DownloadView[]>;
  pause(id: string): void;
  resume(id: string): void;
  cancel(id: string): void;
  retry(id: string): void;
}

/** Scatter data of two features, with a per-point density for the colours. */
export interface ScatterData {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  density?: ArrayLike<number>;
}

/** A remote RT-DC resource opened for preview. */
export interface PreviewSession {
  resourceId: string;
  /** Scalar features available for the axes. */
  features: string[];
  /** Number of events. */
  length: number;
  sample?: string;
  /** Axis label with unit, from the feature table ("Area [µm²]"). */
  label(feature: string): string;
  scatter(
    xFeature: string,
    yFeature: string,
    opts?: { signal?: AbortSignal },
  ): Promise<ScatterData>;
  close(): Promise<void>;
}

/** Everything the app needs from DCOR. */
export interface DcorClient {
  /** Normalized server origin, e.g. "https://dcor.mpl.mpg.de". */
  readonly server: string;
  readonly hasApiKey: boolean;
  checkConnection(opts?: { signal?: AbortSignal }): Promise<ConnectionStatus>;
  search(params: SearchParams): Promise<SearchResult>;
  circles(opts?: { signal?: AbortSignal }): Promise<NamedEntity[]>;
  collections(opts?: { signal?: AbortSignal }): Promise<NamedEntity[]>;
  dataset(idOrName: string, opts?: { signal?: AbortSignal }): Promise<DatasetInfo>;
  resource(id: string, opts?: { signal?: AbortSignal }): Promise<ResourceInfo>;
  myData(kind: MyDataKind, opts?: { signal?: AbortSignal }): Promise<DatasetInfo[]>;
  dcservUrl(resourceId: string): string;
  datasetPageUrl(nameOrId: string): string;
  readonly downloads: DownloadsService;
  openPreview(resourceId: string, opts?: { signal?: AbortSignal }): Promise<PreviewSession>;
  close(): Promise<void>;
}
