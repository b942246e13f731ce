/** `dcserv` (ckanext-dc_serve): metadata, logs, tables, traces and the HTTP basins of a resource. */
import {
  type ActionContext,
  type DataDict,
  resourceOrThrow,
  str,
  validationError,
} from "./action-base.js";
import { nestedMetadata, objectKey, type ResourceRecord } from "./catalog.js";

function basins(ctx: ActionContext, res: ResourceRecord): unknown[] {
  const isPublic = !res.dataset.private && res.dataset.state === "active";
  const features: Record<string, string[]> = {
    condensed: res.condensedInfo.features,
    resource: res.info.features,
  };
  return (["condensed", "resource"] as const).map((artifact) => {
    const key = objectKey(res.dataset.org.id, artifact, res.id);
    const base = {
      name: `${artifact}-${res.id.slice(0, 5)}`,
      format: "http",
      type: "remote",
      mapping: "same",
    };
    if (isPublic) {
      return {
        ...base,
        perishable: false,
        key: `dcor-${artifact}-${res.id}`,
        urls: [`${ctx.objectStoreUrl}/${key}`],
        features: features[artifact],
      };
    }
    const timeRequest = ctx.now / 1000;
    const signed = ctx.presigner.presign(ctx.objectStoreUrl, key, ctx.presignedLifetime, {
      now: ctx.now,
    });
    return {
      ...base,
      perishable: true,
      time_request: timeRequest,
      time_expiration: signed.expiration,
      key: `dcor-presigned-${artifact}-${res.id}`,
      urls: [signed.url],
      features: features[artifact],
    };
  });
}

export function dcserv(ctx: ActionContext, data: DataDict): unknown {
  const version = str(data, "version") ?? "2";
  const query = str(data, "query");
  const id = str(data, "id");
  if (query === undefined) throw validationError("Please specify 'query' parameter!");
  if (id === undefined) throw validationError("Please specify 'id' parameter!");
  if (version === "1")
    throw validationError(
      "Version '1' of the DCOR API is not supported anymore. Please use version '2' instead!",
    );
  if (version !== "2") throw validationError("Please specify version '1' or '2'!");
  // every emulator resource is an RT-DC file (mimetype RT-DC), so the "must be .rtdc" check passes
  const res = resourceOrThrow(ctx, id);
  switch (query) {
    case "valid":
      return true;
    case "metadata": {
      const meta = nestedMetadata(res.info.attrs);
      meta.experiment ??= {};
      if (!meta.experiment["event count"]) meta.experiment["event count"] = res.info.eventCount;
      return meta;
    }
    case "size":
      return res.info.eventCount;
    case "feature_list":
      return [];
    case "logs": {
      const logs: Record<string, string[]> = { ...res.info.logs };
      for (const [k, v] of Object.entries(res.condensedInfo.logs)) if (!(k in logs)) logs[k] = v;
      return logs;
    }
    case "tables":
      return res.info.tables;
    case "trace_list":
      return res.info.traces;
    case "basins":
      return basins(ctx, res);
    default:
      throw validationError(`Invalid query parameter '${query}'!`);
  }
}
