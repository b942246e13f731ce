/** Server normalization and query-string encoding. */

/** A value of a GET parameter. `undefined`/`null` are left out. */
export type ParamValue =
  | string
  | number
  | boolean
  | bigint
  | Date
  | null
  | undefined
  | RepeatedParam
  | readonly unknown[]
  | { readonly [key: string]: unknown };

/** GET parameters of an action. */
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * A list sent as the same key repeated (`fq_list=a&fq_list=b`), which CKAN turns into a Python
 * list. Plain arrays are JSON-encoded instead (what CKAN expects for e.g. `facet.field`).
 */
export class RepeatedParam {
  readonly values: readonly (string | number | boolean)[];
  constructor(values: Iterable<string | number | boolean>) {
    this.values = [...values];
  }
}

/** Mark a list to be sent as a repeated key; see {@link RepeatedParam}. */
export function repeated(values: Iterable<string | number | boolean>): RepeatedParam {
  return new RepeatedParam(values);
}

/** Keys CKAN reads as lists from repeated GET keys; arrays under these keys are repeated. */
const REPEATED_KEYS = new Set(["fq_list", "organizations", "groups"]);

/** Normalized server addresses. */
export interface NormalizedServer {
  /** Origin plus a base path if CKAN is mounted below one, no trailing slash. */
  server: string;
  /** `server + "/api/3/action/"`. */
  apiUrl: string;
  /** The origin (`scheme://host[:port]`) the token may be sent to. */
  origin: string;
}

const API_SUFFIX = /\/api(?:\/\d+)?(?:\/action)?\/*$/;

/**
 * Normalize a server address like DCOR-Aid does, stricter: a bare host gets `https://`, an
 * explicit `http://` is kept, trailing slashes and a full `…/api/3/action/` URL are accepted.
 *
 * @throws TypeError for an empty address, a scheme other than http(s), or credentials in the URL.
 */
export function normalizeServer(input: string): NormalizedServer {
  if (typeof input !== "string" || input.trim() === "") {
    throw new TypeError("server must be a non-empty string such as 'dcor.mpl.mpg.de'");
  }
  let text = input.trim();
  if (text.startsWith("//")) text = `https:${text}`;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`server is not a valid address: ${JSON.stringify(input)}`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new TypeError(`server must use http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    // Credentials in the URL would end up in logs and error messages.
    throw new TypeError("server must not contain credentials; pass the token as apiKey");
  }
  const path = url.pathname.replace(API_SUFFIX, "").replace(/\/+$/, "");
  const server = url.origin + path;
  return { server, apiUrl: `${server}/api/3/action/`, origin: url.origin };
}

function scalarToString(key: string, value: unknown): string {
  switch (typeof value) {
    case "string":
      return value;
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) {
        throw new TypeError(`parameter '${key}' must be a finite number, got ${value}`);
      }
      return String(value);
    default:
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime()))
          throw new TypeError(`parameter '${key}' is an invalid Date`);
        return value.toISOString();
      }
      return JSON.stringify(value);
  }
}

/**
 * Encode GET parameters as a query string (without `?`). Strings are percent-encoded (so `&`, `#`,
 * `+`, spaces and unicode survive), booleans become `true`/`false`, Dates ISO strings, arrays and
 * objects JSON (e.g. `facet.field=["organization","groups"]`), {@link RepeatedParam} and arrays
 * under `fq_list`/`organizations`/`groups` repeated keys. `undefined` and `null` are left out.
 */
export function encodeParams(params: Params | undefined): string {
  if (!params) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    const k = encodeURIComponent(key);
    if (value instanceof RepeatedParam || (Array.isArray(value) && REPEATED_KEYS.has(key))) {
      const values = value instanceof RepeatedParam ? value.values : (value as unknown[]);
      for (const item of values) {
        parts.push(`${k}=${encodeURIComponent(scalarToString(key, item))}`);
      }
      continue;
    }
    parts.push(`${k}=${encodeURIComponent(scalarToString(key, value))}`);
  }
  return parts.join("&");
}

const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** @throws TypeError if `action` is not a plain CKAN action name (no `?`, `/`, spaces, …). */
export function assertActionName(action: string): void {
  if (typeof action !== "string" || !ACTION_NAME.test(action)) {
    throw new TypeError(
      `not a CKAN action name: ${JSON.stringify(action)} (pass parameters as the params object)`,
    );
  }
}
