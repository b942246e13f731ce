/** The two HTTP servers: the CKAN site (API, download routes, pages) and the object store. */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ActionContext,
  ActionError,
  type DataDict,
  READ_ACTIONS,
  UNIMPLEMENTED_ACTIONS,
  WRITE_ACTIONS,
} from "./actions.js";
import { type CatalogModel, condensedName, objectKey } from "./catalog.js";
import type { FaultPlan, FaultSet } from "./faults.js";
import {
  bodyBytes,
  hasAuthorization,
  htmlResponse,
  jsonResponse,
  type Outgoing,
  readBody,
  send,
} from "./http-send.js";
import { handleObject, isPublicObject } from "./object-store.js";
import type { Presigner } from "./presign.js";
import type { EmulatorStats, RouteName } from "./stats.js";

export interface ServerDeps {
  catalog: CatalogModel;
  faults: FaultSet;
  stats: EmulatorStats;
  presigner: Presigner;
  presignedLifetime: number;
  follows: Map<string, Set<string>>;
  urls: () => { siteUrl: string; objectStoreUrl: string };
}

const BODY_LIMIT = 16 * 1024 * 1024;
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const DOWNLOAD_RE = new RegExp(
  `^/dataset/(${UUID})/resource/(${UUID})/(?:download(?:/([^/]*))?|(condensed\\.rtdc))$`,
);

function ckanBadRequest(message: string): Outgoing {
  // CKAN answers a bad request with a bare JSON string, not an envelope
  return jsonResponse(400, `Bad request: ${message}`);
}

function envelope(siteUrl: string, action: string, success: true, result: unknown): unknown;
function envelope(siteUrl: string, action: string, success: false, error: unknown): unknown;
function envelope(siteUrl: string, action: string, success: boolean, payload: unknown): unknown {
  const help = `${siteUrl}/api/3/action/help_show?name=${action}`;
  return success
    ? { help, success: true, result: payload }
    : { help, success: false, error: payload };
}

/** GET query → data dict: repeated keys become lists (as CKAN does). */
function queryToDict(params: URLSearchParams): DataDict {
  const out: DataDict = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length > 1 ? all : all[0];
  }
  return out;
}

async function parsePostBody(req: IncomingMessage): Promise<DataDict | Outgoing> {
  let body: Buffer;
  try {
    body = await readBody(req, BODY_LIMIT);
  } catch {
    return ckanBadRequest("JSON Error: request body too large");
  }
  const type = String(req.headers["content-type"] ?? "").toLowerCase();
  if (body.length === 0) return {};
  if (type.startsWith("application/x-www-form-urlencoded"))
    return queryToDict(new URLSearchParams(body.toString("utf8")));
  if (type.startsWith("multipart/form-data"))
    return ckanBadRequest("JSON Error: multipart uploads are not supported by the emulator");
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch (err) {
    return ckanBadRequest(`JSON Error: Error decoding JSON data. Error: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return ckanBadRequest(
      "JSON Error: Request data JSON decoded to a non-dict. Please use POST with a JSON object body",
    );
  }
  return parsed as DataDict;
}

function faultResponse(
  route: RouteName,
  plan: FaultPlan,
  siteUrl: string,
  action: string | undefined,
): Outgoing | undefined {
  if (plan.maintenance) {
    return htmlResponse(
      503,
      "Service Unavailable",
      "DCOR is under maintenance. Please try again later.",
      { "Retry-After": "60" },
    );
  }
  if (plan.retryAfter !== undefined) {
    const out =
      route === "api"
        ? jsonResponse(429, "Too Many Requests")
        : htmlResponse(429, "Too Many Requests", "Rate limit exceeded.");
    out.headers["Retry-After"] = String(plan.retryAfter);
    return out;
  }
  if (plan.status !== undefined) {
    if (route === "api") {
      return jsonResponse(
        plan.status,
        envelope(siteUrl, action ?? "", false, {
          message: "Internal Server Error",
          __type: "Internal Server Error",
        }),
      );
    }
    return {
      status: plan.status,
      headers: { "Content-Type": "text/plain" },
      body: Buffer.alloc(0),
    };
  }
  if (plan.htmlError)
    return htmlResponse(
      502,
      "502 Bad Gateway",
      "The proxy server received an invalid response from an upstream server.",
    );
  return undefined;
}

function userFor(deps: ServerDeps, req: IncomingMessage, url: URL) {
  // JSONP requests are always anonymous; an unknown token is anonymous, not an error
  if (url.searchParams.has("callback")) return undefined;
  const header = req.headers.authorization;
  return deps.catalog.userByToken(typeof header === "string" ? header.trim() : undefined);
}

async function handleApi(
  deps: ServerDeps,
  req: IncomingMessage,
  url: URL,
  action: string,
): Promise<Outgoing> {
  const { siteUrl, objectStoreUrl } = deps.urls();
  const method = req.method ?? "GET";
  const read = READ_ACTIONS[action];
  const write = WRITE_ACTIONS[action];
  if (!read && !write && !UNIMPLEMENTED_ACTIONS.has(action))
    return ckanBadRequest(`Action name not known: ${action}`);
  let data: DataDict;
  if (method === "GET" || method === "HEAD") {
    if (!read)
      return ckanBadRequest("JSON Error: Invalid request. Please use POST method for your request");
    data = queryToDict(url.searchParams);
    delete data.callback;
    delete data._;
  } else if (method === "POST") {
    const parsed = await parsePostBody(req);
    if ("status" in parsed && "headers" in parsed && typeof parsed.status === "number")
      return parsed as Outgoing;
    data = parsed as DataDict;
  } else {
    return {
      status: 405,
      headers: { Allow: "GET, POST", "Content-Type": "text/plain" },
      body: Buffer.from("Method Not Allowed"),
    };
  }
  const user = userFor(deps, req, url);
  const ctx: ActionContext = {
    catalog: deps.catalog,
    user,
    presigner: deps.presigner,
    presignedLifetime: deps.presignedLifetime,
    siteUrl,
    objectStoreUrl,
    follows: deps.follows,
    now: Date.now(),
  };
  let out: Outgoing;
  try {
    const fn = read ?? write;
    if (!fn) {
      if (!user)
        throw new ActionError(403, { __type: "Authorization Error", message: "Access denied" });
      throw new ActionError(409, {
        message: `The DCOR emulator does not implement ${action}`,
        __type: "Validation Error",
      });
    }
    out = jsonResponse(200, envelope(siteUrl, action, true, fn(ctx, data)));
  } catch (err) {
    if (err instanceof ActionError)
      out = jsonResponse(err.status, envelope(siteUrl, action, false, err.error));
    else
      out = jsonResponse(
        500,
        envelope(siteUrl, action, false, {
          message: "Internal Server Error",
          __type: "Internal Server Error",
        }),
      );
  }
  const callback = url.searchParams.get("callback");
  if (callback && method === "GET" && /^[\w.$]+$/.test(callback)) {
    out = {
      status: 200,
      headers: { "Content-Type": "application/javascript;charset=utf-8" },
      body: Buffer.from(
        `${callback}(${(bodyBytes(out.body) ?? Buffer.alloc(0)).toString("utf8")});`,
      ),
    };
  }
  return out;
}

function handleDownload(
  deps: ServerDeps,
  req: IncomingMessage,
  url: URL,
  m: RegExpExecArray,
): Outgoing {
  const { objectStoreUrl } = deps.urls();
  const [, dsId, rid, , condensed] = m;
  const user = userFor(deps, req, url);
  const res = deps.catalog.resources.get(rid as string);
  const notFound = htmlResponse(404, "404 Not Found", "Resource not found");
  if (!res || res.dataset.id !== dsId || !deps.catalog.canRead(res.dataset, user)) return notFound;
  const artifact = condensed ? "condensed" : "resource";
  const key = objectKey(res.dataset.org.id, artifact, res.id);
  let location: string;
  if (isPublicObject(res)) location = `${objectStoreUrl}/${key}`;
  else {
    const filename = condensed ? condensedName(res.name) : res.name;
    location = deps.presigner.presign(objectStoreUrl, key, deps.presignedLifetime, {
      disposition: `attachment; filename = ${filename}`,
    }).url;
  }
  const body = Buffer.from(
    `<!DOCTYPE html><html><body>Redirecting to <a href="${location.replace(/&/g, "&amp;")}">the object store</a>.</body></html>`,
  );
  return {
    status: 302,
    headers: { Location: location, "Content-Type": "text/html; charset=utf-8" },
    body,
  };
}

function handlePage(deps: ServerDeps, req: IncomingMessage, url: URL): Outgoing {
  const path = url.pathname;
  if (path === "/" || path === "") {
    const n = deps.catalog.datasets.filter((d) => d.state === "active" && !d.private).length;
    return htmlResponse(
      200,
      "DCOR emulator",
      `A local DCOR-compatible server with ${n} public datasets. API: /api/3/action/`,
    );
  }
  const m = /^\/dataset\/([^/]+)\/?$/.exec(path);
  if (m) {
    let key = m[1] as string;
    try {
      key = decodeURIComponent(key);
    } catch {
      // keep the raw segment
    }
    const ds = deps.catalog.dataset(key);
    if (!ds || !deps.catalog.canRead(ds, userFor(deps, req, url)))
      return htmlResponse(404, "404 Not Found", "Dataset not found");
    const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const items = ds.resources
      .map(
        (r) =>
          `<li><a href="/dataset/${ds.id}/resource/${r.id}/download/${encodeURIComponent(r.name.toLowerCase())}">${esc(r.name)}</a> (${r.file.size} bytes)</li>`,
      )
      .join("");
    const html = `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(ds.title)} - DCOR emulator</title></head><body><h1>${esc(ds.title)}</h1><p>${esc(ds.notes)}</p><p>Authors: ${esc(ds.authors)}</p><p>Circle: ${esc(ds.org.title)}</p><ul>${items}</ul></body></html>\n`;
    return {
      status: 200,
      headers: { "Content-Type": "text/html; charset=utf-8" },
      body: Buffer.from(html),
    };
  }
  return htmlResponse(404, "404 Not Found", "Page not found");
}

function classify(url: URL): { route: RouteName; action?: string } {
  const m = /^\/api(?:\/3)?\/action\/([^/]+)\/?$/.exec(url.pathname);
  if (m) {
    let action = m[1] as string;
    try {
      action = decodeURIComponent(action);
    } catch {
      // a malformed escape stays as it is (and is an unknown action)
    }
    return { route: "api", action };
  }
  if (url.pathname.startsWith("/api")) return { route: "api" };
  if (DOWNLOAD_RE.test(url.pathname)) return { route: "download" };
  return { route: "download" };
}

function parseUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://emulator.invalid");
  } catch {
    return undefined;
  }
}

/** Runs the common request pipeline: faults first, then the handler, then `send`. */
async function pipeline(
  deps: ServerDeps,
  req: IncomingMessage,
  res: ServerResponse,
  route: RouteName,
  action: string | undefined,
  handler: (plan: FaultPlan) => Promise<Outgoing> | Outgoing,
): Promise<void> {
  const url = req.url ?? "/";
  const plan = deps.faults.plan({ route, action, path: url.split("?")[0] ?? "/" });
  if (plan.latencyMs > 0) {
    // wait, but give up as soon as the client goes away (and never keep the process alive)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, plan.latencyMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        res.off("close", done);
        resolve();
      }
      res.once("close", done);
    });
    if (res.destroyed) {
      deps.stats.record(route, {
        method: req.method ?? "GET",
        path: url,
        status: 0,
        bytesSent: 0,
        authorization: hasAuthorization(req),
      });
      return;
    }
  }
  let out = faultResponse(route, plan, deps.urls().siteUrl, action);
  if (!out) {
    try {
      out = await handler(plan);
    } catch {
      out = htmlResponse(
        500,
        "500 Internal Server Error",
        "The emulator failed to answer this request.",
      );
    }
    if (plan.malformedJson && route === "api") {
      const text = Buffer.from(
        bodyBytes(out.body) ?? Buffer.from('{"help": "x", "success": true, "result": {}}'),
      ).toString("utf8");
      out = {
        status: 200,
        headers: { "Content-Type": "application/json;charset=utf-8" },
        body: Buffer.from(text.slice(0, Math.max(1, Math.floor(text.length / 2)))),
      };
    }
  }
  if (req.method !== "GET" && req.method !== "HEAD" && !req.readableEnded) req.resume();
  await send(req, res, out, plan, deps.stats, route);
}

/** Starts the CKAN-site server. */
export function createSiteServer(deps: ServerDeps): http.Server {
  return http.createServer((req, res) => {
    req.on("error", () => res.destroy());
    const url = parseUrl(req);
    if (!url) {
      pipeline(deps, req, res, "download", undefined, () =>
        htmlResponse(400, "400 Bad Request", "Bad request"),
      ).catch(() => res.destroy());
      return;
    }
    const { route, action } = classify(url);
    pipeline(deps, req, res, route, action, async () => {
      if (route === "api") {
        if (action) return handleApi(deps, req, url, action);
        if (/^\/api(\/3)?\/?$/.test(url.pathname)) return jsonResponse(200, { version: 3 });
        return htmlResponse(404, "404 Not Found", "API endpoint not found");
      }
      const m = DOWNLOAD_RE.exec(url.pathname);
      if (m) return handleDownload(deps, req, url, m);
      return handlePage(deps, req, url);
    }).catch(() => res.destroy());
  });
}

/** Starts the object-store server. */
export function createObjectServer(deps: ServerDeps): http.Server {
  return http.createServer((req, res) => {
    req.on("error", () => res.destroy());
    const url = parseUrl(req);
    pipeline(deps, req, res, "object", undefined, (plan) => {
      if (!url) return htmlResponse(400, "400 Bad Request", "Bad request");
      const range = req.headers.range;
      const ifRange = req.headers["if-range"];
      return handleObject(
        { catalog: deps.catalog, presigner: deps.presigner },
        req.method ?? "GET",
        url,
        typeof range === "string" ? range : undefined,
        plan,
        typeof ifRange === "string" ? ifRange : undefined,
      );
    }).catch(() => res.destroy());
  });
}

/** Listens and resolves with the bound port. */
export function listen(server: http.Server, host: string, port: number): Promise<number> {
  // Like nginx (75 s): idle keep-alive sockets stay open well beyond a client's own idle timeout,
  // so a busy, lagging server never closes a socket the client is just reusing (ECONNRESET).
  server.keepAliveTimeout = 75_000;
  server.headersTimeout = 80_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
