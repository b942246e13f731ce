// DCOR resources: metadata, size, logs and tables from dc_serve's `dcserv` API; every feature
// through the resource's HTTP basins (condensed first), read by Range requests.
import { type BasinDefinition, normalizeBasin, sortBasins } from "./basins.js";
import { emptyConfig, setConfigValue } from "./config.js";
import { basinInfo, type DcorApiLike, type OpenDatasetOptions, RtdcDataset } from "./dataset.js";
import { RtdcFormatError, redactUrl } from "./errors.js";
import { featureExists } from "./features.js";
import type { TableResult } from "./hdf5/protocol.js";

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/** The resource id of a bare UUID or a `…/dcserv?id=<uuid>` URL. */
export function dcorResourceId(source: string): string {
  if (/^https?:/i.test(source)) {
    const id = new URL(source).searchParams.get("id") ?? "";
    if (UUID.test(id)) return id.toLowerCase();
  } else if (UUID.test(source)) return source.toLowerCase();
  throw new RtdcFormatError("not a DCOR resource id or dcserv URL", { url: redactUrl(source) });
}

function tablesFromDcserv(raw: unknown): Record<string, TableResult> {
  const out: Record<string, TableResult> = {};
  if (!raw || typeof raw !== "object") return out;
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(value) || value.length !== 2) continue;
    const [cols, rows] = value as [unknown, unknown];
    const columns = Array.isArray(cols) ? cols.map(String) : null;
    const list = Array.isArray(rows) ? rows : [];
    out[name] = {
      columns,
      // Each row is a one-element record list: [[v1, v2, …]]; NaN arrives as null.
      rows: list.map((r) => {
        const rec = Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r;
        return (Array.isArray(rec) ? rec : [rec]).map((v) => (v === null ? Number.NaN : Number(v)));
      }),
    };
  }
  return out;
}

/** @internal Open a DCOR resource via dcserv (used by openDataset). */
export async function openDcorResource(
  source: string,
  options: OpenDatasetOptions & { api: DcorApiLike },
): Promise<RtdcDataset> {
  const { api, signal } = options;
  const rid = dcorResourceId(source);
  const opts = signal ? { signal } : {};
  const [metadata, size, basins] = await Promise.all([
    api.dcserv<Record<string, Record<string, unknown>>>(rid, "metadata", opts),
    api.dcserv<number>(rid, "size", opts),
    api.dcserv<Record<string, unknown>[]>(rid, "basins", opts),
  ]);
  const config = emptyConfig();
  for (const [section, keys] of Object.entries(metadata ?? {})) {
    if (keys && typeof keys === "object")
      for (const [k, v] of Object.entries(keys)) setConfigValue(config, section, k, v);
  }
  const length = Number(size);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RtdcFormatError(`dcserv size is not an event count: ${size}`);
  const ds = new RtdcDataset({
    source: rid,
    config,
    length,
    remoteExtras: {
      logs: () => api.dcserv<Record<string, string[]>>(rid, "logs"),
      tables: async () => tablesFromDcserv(await api.dcserv(rid, "tables")),
    },
  });
  ds.api = api;
  ds.ancestors = options._ancestors;
  const defs = (Array.isArray(basins) ? basins : []).map((b) =>
    normalizeBasin({ ...b, key: b.key ?? b.name }),
  );
  const refresh = async (): Promise<BasinDefinition[]> => {
    const fresh = await api.dcserv<Record<string, unknown>[]>(rid, "basins");
    return (Array.isArray(fresh) ? fresh : []).map((b) =>
      normalizeBasin({ ...b, key: b.key ?? b.name }),
    );
  };
  for (const def of sortBasins(defs)) {
    if (options.basins === false) break;
    // A basin without a feature list (e.g. condensed file not there yet) offers nothing.
    const features = (def.features ?? []).filter((f) => featureExists(f));
    ds.addBasin({
      def: { ...def, features },
      info: basinInfo(def, features, undefined),
      refresh,
    });
  }
  ds.resolveAncillary();
  return ds;
}
