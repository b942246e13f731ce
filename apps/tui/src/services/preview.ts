import type { CKANAPI } from "@dcor/api";
import type * as Rtdc from "@dcor/rtdc";
import type { PreviewSession, ScatterData } from "./types.js";

// @dcor/rtdc (with its HDF5 WebAssembly) is loaded on the first preview, not at startup.
let rtdc: Promise<typeof Rtdc> | undefined;
function loadRtdc(): Promise<typeof Rtdc> {
  rtdc ??= import("@dcor/rtdc");
  return rtdc;
}

/** A feature's axis label with unit from the feature table ("Area [µm²]"); the name if unknown. */
export function featureLabel(lib: typeof Rtdc, name: string): string {
  try {
    return lib.getFeatureLabel(name, { withUnit: true });
  } catch {
    return name;
  }
}

/**
 * Open a DCOR resource remotely with `@dcor/rtdc` (only the bytes of the features asked for are
 * fetched) and serve scatter data with a per-event density for the colours.
 */
export async function openPreviewSession(opts: {
  api: CKANAPI;
  resourceId: string;
  signal?: AbortSignal;
}): Promise<PreviewSession> {
  const lib = await loadRtdc();
  const ds = await lib.openDataset(opts.resourceId, { api: opts.api, signal: opts.signal });
  const sample = ds.config.experiment?.sample;
  return {
    resourceId: opts.resourceId,
    features: [...ds.featuresScalar].sort(),
    length: ds.length,
    sample: typeof sample === "string" && sample !== "" ? sample : undefined,
    label: (name) => featureLabel(lib, name),
    async scatter(xFeature, yFeature, o = {}): Promise<ScatterData> {
      const [x, y] = await Promise.all([ds.get(xFeature, o), ds.get(yFeature, o)]);
      o.signal?.throwIfAborted();
      let density: Float64Array | undefined;
      try {
        // dclab's default for large scatter plots: a 2D histogram density, fast for any size.
        density = lib.kdeScatter(x, y, { kdeType: "histogram" });
      } catch {
        density = undefined; // e.g. all-NaN data: colour by points per cell instead
      }
      return { x, y, density };
    },
    close: () => ds.close(),
  };
}
