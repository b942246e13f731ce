/** The S3-like object store: GET/HEAD of resource and condensed objects, Range, presigned URLs. */
import type { CatalogModel, ResourceRecord } from "./catalog.js";
import type { FaultPlan } from "./faults.js";
import type { Outgoing } from "./http-send.js";
import type { Presigner } from "./presign.js";

function s3Error(status: number, code: string, message: string, key: string): Outgoing {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>${key}</Key><RequestId>dcor-emulator</RequestId></Error>\n`;
  return { status, headers: { "Content-Type": "application/xml" }, body: Buffer.from(xml) };
}

/** Parses `/circle-<org>/<artifact>/<rid[:3]>/<rid[3:6]>/<rid[6:]>`. */
export function parseObjectPath(
  pathname: string,
): { orgId: string; artifact: "resource" | "condensed"; rid: string } | undefined {
  const m =
    /^\/circle-([0-9a-f-]{36})\/(resource|condensed)\/([0-9a-f]{3})\/([0-9a-f]{3})\/([0-9a-f-]{30})$/.exec(
      pathname,
    );
  if (!m) return undefined;
  return {
    orgId: m[1] as string,
    artifact: m[2] as "resource" | "condensed",
    rid: `${m[3]}${m[4]}${m[5]}`,
  };
}

/** Objects of a public, active dataset can be read without a signature. */
export function isPublicObject(res: ResourceRecord): boolean {
  return !res.dataset.private && res.dataset.state === "active";
}

/** Parses a single `bytes=` range against `size`; "invalid" for unsatisfiable ones. */
export function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "invalid" | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(,.*)?$/i.exec(header);
  if (!m) return undefined; // a malformed Range is ignored, as S3 does
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return "invalid";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return undefined;
  }
  if (start >= size || size === 0) return "invalid";
  return { start, end };
}

/**
 * Whether an `If-Range` validator still names the current object (RFC 9110 §13.1.5): an entity
 * tag must match strongly (a weak `W/` tag never does), an HTTP date must equal `Last-Modified`.
 * Without `If-Range` the range applies.
 */
export function ifRangeMatches(
  ifRange: string | undefined,
  etag: string,
  lastModified: string,
): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith("W/")) return false;
  if (v.startsWith('"')) return v === etag;
  const date = Date.parse(v);
  return !Number.isNaN(date) && date === Date.parse(lastModified);
}

export interface ObjectStoreDeps {
  catalog: CatalogModel;
  presigner: Presigner;
}

/** Answers one object-store request. */
export function handleObject(
  deps: ObjectStoreDeps,
  method: string,
  url: URL,
  rangeHeader: string | undefined,
  plan: FaultPlan,
  ifRange?: string,
): Outgoing {
  const key = url.pathname.slice(1);
  if (method !== "GET" && method !== "HEAD") {
    return {
      ...s3Error(
        405,
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        key,
      ),
      headers: { "Content-Type": "application/xml", Allow: "GET, HEAD" },
    };
  }
  const parsed = parseObjectPath(url.pathname);
  const res = parsed ? deps.catalog.resources.get(parsed.rid) : undefined;
  if (!parsed || !res || res.dataset.org.id !== parsed.orgId || res.dataset.state === "deleted") {
    return s3Error(404, "NoSuchKey", "The specified key does not exist.", key);
  }
  const check = deps.presigner.verify(key, url.searchParams);
  if (check === "expired") return s3Error(403, "AccessDenied", "Request has expired", key);
  if (check === "invalid")
    return s3Error(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided.",
      key,
    );
  if (check === "none" && !isPublicObject(res))
    return s3Error(403, "AccessDenied", "Access Denied", key);

  const stored = parsed.artifact === "resource" ? res.file : res.condensed;
  const size = stored.size;
  const headers: Record<string, string | number> = {
    "Accept-Ranges": "bytes",
    "Content-Type": "application/octet-stream",
    ETag: `"${stored.md5}"`,
    "Last-Modified": new Date(Date.parse(`${res.lastModified.slice(0, 23)}Z`)).toUTCString(),
  };
  const disposition = url.searchParams.get("response-content-disposition");
  if (disposition) headers["Content-Disposition"] = disposition;
  // a Range whose If-Range validator names an older version of the object gets the whole object
  const rangeApplies =
    !plan.ignoreRange &&
    ifRangeMatches(ifRange, headers.ETag as string, headers["Last-Modified"] as string);
  const range = rangeApplies ? parseRange(rangeHeader, size) : undefined;
  if (range === "invalid") {
    return {
      status: 416,
      headers: {
        ...headers,
        "Content-Range": `bytes */${size}`,
        "Content-Type": "application/xml",
      },
      body: s3Error(416, "InvalidRange", "The requested range is not satisfiable", key).body,
    };
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  if (range) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
  headers["Content-Length"] = Math.max(0, end - start + 1);
  const body = { path: stored.path, start, end };
  return { status: range ? 206 : 200, headers, body, bodyOffset: start };
}
