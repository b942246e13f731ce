import type { CKANAPI } from "@dcor/api";
import type { PreviewSession } from "./types.js";

// TEMPORARY until @dcor/rtdc's openDataset lands; replaced then.
export async function openPreviewSession(opts: {
  api: CKANAPI;
  resourceId: string;
  signal?: AbortSignal;
}): Promise<PreviewSession> {
  void opts;
  throw new Error("Preview is not available yet (@dcor/rtdc)");
}
