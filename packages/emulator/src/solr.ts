/**
 * The subset of Solr's query syntax that CKAN clients (DCOR-Aid, the web UI) send, parsed into a
 * tree and evaluated against dataset documents: fielded terms, `+`/`-`, AND/OR/NOT with
 * parentheses, quoted phrases, backslash escapes, wildcards, `[a TO b]` / `{a TO b}` ranges with
 * `NOW` date math, and `*:*`. A `q` without a colon is a plain-text (dismax) search.
 */

/** Thrown for a query that cannot be parsed (CKAN answers 400 "Search Query Error"). */
export class SolrSyntaxError extends Error {
  readonly code = "EMULATOR_SOLR_SYNTAX";
}

export type SolrNode =
  | { kind: "all" }
  | { kind: "and" | "or"; items: SolrNode[] }
  | { kind: "not"; item: SolrNode }
  | { kind: "term"; field?: string; value: string; phrase: boolean }
  | {
      kind: "range";
      field?: string;
      lower: string;
      upper: string;
      lowerInclusive: boolean;
      upperInclusive: boolean;
    };

type Token =
  | { t: "word"; text: string; raw: string }
  | { t: "phrase"; text: string }
  | { t: "(" | ")" | "[" | "]" | "{" | "}" | "+" | "-" | ":" }
  | { t: "AND" | "OR" | "NOT" | "TO" };

const SPECIAL = new Set(["(", ")", "[", "]", "{", "}", ":", '"', " ", "\t", "\n", "\r"]);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    if ("()[]{}:".includes(c)) {
      tokens.push({ t: c as "(" });
      i++;
      continue;
    }
    if (
      (c === "+" || c === "-" || c === "!") &&
      (tokens.length === 0 || i === 0 || /[\s(]/.test(text[i - 1] as string))
    ) {
      tokens.push({ t: c === "!" ? "NOT" : (c as "+") });
      i++;
      continue;
    }
    if (c === "&" && text[i + 1] === "&") {
      tokens.push({ t: "AND" });
      i += 2;
      continue;
    }
    if (c === "|" && text[i + 1] === "|") {
      tokens.push({ t: "OR" });
      i += 2;
      continue;
    }
    if (c === '"') {
      let out = "";
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i++;
        out += text[i];
        i++;
      }
      if (i >= text.length) throw new SolrSyntaxError("unterminated phrase");
      i++;
      tokens.push({ t: "phrase", text: out });
      continue;
    }
    let out = "";
    let raw = "";
    while (i < text.length && !SPECIAL.has(text[i] as string)) {
      if (text[i] === "\\" && i + 1 < text.length) {
        raw += text[i] as string;
        i++;
        // keep the wildcard meaning of an escaped star out: mark it literal
        out += text[i] === "*" ? "\u0000" : text[i];
        raw += text[i] as string;
        i++;
        continue;
      }
      out += text[i];
      raw += text[i];
      i++;
    }
    if (raw === "AND" || raw === "OR" || raw === "NOT" || raw === "TO") tokens.push({ t: raw });
    else tokens.push({ t: "word", text: out, raw });
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }

  private take(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw new SolrSyntaxError("unexpected end of query");
    return t;
  }

  parse(): SolrNode {
    if (this.tokens.length === 0) return { kind: "all" };
    const node = this.orExpr();
    if (this.pos < this.tokens.length)
      throw new SolrSyntaxError(`unexpected '${tokenText(this.peek() as Token)}'`);
    return node;
  }

  private orExpr(field?: string): SolrNode {
    const items = [this.andExpr(field)];
    while (this.peek()?.t === "OR") {
      this.pos++;
      items.push(this.andExpr(field));
    }
    return items.length === 1 ? (items[0] as SolrNode) : { kind: "or", items };
  }

  private andExpr(field?: string): SolrNode {
    const items = [this.unary(field)];
    for (;;) {
      const t = this.peek();
      if (!t || t.t === ")" || t.t === "OR") break;
      if (t.t === "AND") this.pos++;
      items.push(this.unary(field));
    }
    return items.length === 1 ? (items[0] as SolrNode) : { kind: "and", items };
  }

  private unary(field?: string): SolrNode {
    const t = this.peek();
    if (t?.t === "NOT" || t?.t === "-") {
      this.pos++;
      return { kind: "not", item: this.unary(field) };
    }
    if (t?.t === "+") {
      this.pos++;
      return this.unary(field);
    }
    return this.primary(field);
  }

  private primary(field?: string): SolrNode {
    const t = this.take();
    if (t.t === "(") {
      const inner = this.orExpr(field);
      if (this.take().t !== ")") throw new SolrSyntaxError("missing ')'");
      return inner;
    }
    if (t.t === "[" || t.t === "{") return this.range(field, t.t === "[");
    if (t.t === "phrase") return { kind: "term", field, value: t.text, phrase: true };
    if (t.t === "word") {
      if (this.peek()?.t === ":") {
        if (field !== undefined) throw new SolrSyntaxError("nested field");
        this.pos++;
        const name = t.text;
        const next = this.peek();
        if (name === "*" && next?.t === "word" && next.raw === "*") {
          this.pos++;
          return { kind: "all" };
        }
        if (!next) throw new SolrSyntaxError(`missing value for field ${name}`);
        if (next.t === "(") {
          this.pos++;
          const inner = this.orExpr(name);
          if (this.take().t !== ")") throw new SolrSyntaxError("missing ')'");
          return inner;
        }
        return this.primary(name);
      }
      return { kind: "term", field, value: t.text, phrase: false };
    }
    throw new SolrSyntaxError(`unexpected '${tokenText(t)}'`);
  }

  private range(field: string | undefined, lowerInclusive: boolean): SolrNode {
    const bound = (): string => {
      const parts: string[] = [];
      for (;;) {
        const t = this.peek();
        if (!t || t.t === "TO" || t.t === "]" || t.t === "}") break;
        this.pos++;
        if (t.t === "word") parts.push(t.text);
        else if (t.t === "phrase") parts.push(t.text);
        else if (t.t === ":") parts.push(":");
        else if (t.t === "-" || t.t === "+") parts.push(t.t);
        else throw new SolrSyntaxError(`unexpected '${tokenText(t)}' in range`);
      }
      if (!parts.length) throw new SolrSyntaxError("empty range bound");
      return parts.join("");
    };
    const lower = bound();
    if (this.take().t !== "TO") throw new SolrSyntaxError("missing TO in range");
    const upper = bound();
    const close = this.take();
    if (close.t !== "]" && close.t !== "}") throw new SolrSyntaxError("missing ']' in range");
    return { kind: "range", field, lower, upper, lowerInclusive, upperInclusive: close.t === "]" };
  }
}

function tokenText(t: Token): string {
  return t.t === "word" ? t.raw : t.t === "phrase" ? `"${t.text}"` : t.t;
}

/** Parses a Lucene-syntax query (`q` with a colon, or `fq`). Throws `SolrSyntaxError`. */
export function parseSolr(query: string): SolrNode {
  return new Parser(tokenize(query)).parse();
}

/** A searchable document: field → values (strings), plus dates as epoch ms. */
export interface SolrDocument {
  fields: Record<string, string[]>;
  /** Tokenised free text for plain-text queries and the default field. */
  text: string[];
  /** Parsed values of date fields, filled on first use (a document is rebuilt when it changes). */
  dates?: Record<string, number[]>;
}

/** Fields matched by exact (string) comparison; the others are tokenised text. */
const TEXT_FIELDS = new Set(["text", "title", "notes", "authors", "res_name", "res_description"]);
const DATE_FIELDS = new Set(["metadata_modified", "metadata_created"]);

/** Lower-cased tokens of a text, with a naive plural strip so "cells" finds "cell". */
export function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => (w.length > 3 && w.endsWith("s") ? w.slice(0, -1) : w));
}

function globToRegExp(pattern: string): RegExp {
  const esc = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".")
    .replace(/\u0000/g, "\\*");
  return new RegExp(`^${esc}$`, "i");
}

const UNITS: Record<string, number> = {
  YEAR: 365.25 * 864e5,
  MONTH: 30.44 * 864e5,
  DAY: 864e5,
  HOUR: 36e5,
  MINUTE: 6e4,
  SECOND: 1e3,
  MILLI: 1,
};

/** Parses a Solr date (ISO, `NOW`, `NOW-7DAYS`, `NOW/DAY`, `*`) to epoch ms. */
export function parseSolrDate(text: string, now = Date.now()): number | undefined {
  if (text === "*") return undefined;
  const m = /^NOW((?:[+-]\d+[A-Z]+|\/[A-Z]+)*)$/.exec(text.toUpperCase());
  if (m) {
    let t = now;
    for (const op of (m[1] ?? "").match(/[+-]\d+[A-Z]+|\/[A-Z]+/g) ?? []) {
      if (op.startsWith("/")) {
        const unit = op.slice(1).replace(/S$/, "");
        const d = new Date(t);
        if (unit === "DAY") t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
        else if (unit === "HOUR")
          t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours());
        else if (unit === "MONTH") t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth());
        else if (unit === "YEAR") t = Date.UTC(d.getUTCFullYear(), 0);
        continue;
      }
      const mm = /^([+-])(\d+)([A-Z]+?)S?$/.exec(op);
      const unit = mm ? UNITS[mm[3] as string] : undefined;
      if (!mm || !unit) throw new SolrSyntaxError(`bad date math '${op}'`);
      t += (mm[1] === "-" ? -1 : 1) * Number(mm[2]) * unit;
    }
    return t;
  }
  const iso = /[zZ]$|[+-]\d\d:\d\d$/.test(text) ? text : `${text}Z`;
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new SolrSyntaxError(`invalid date '${text}'`);
  return t;
}

/** Known indexed fields (others make the query invalid, like an undefined Solr field). */
export const INDEXED_FIELDS = new Set([
  "id",
  "name",
  "title",
  "notes",
  "authors",
  "doi",
  "references",
  "organization",
  "owner_org",
  "groups",
  "creator_user_id",
  "state",
  "capacity",
  "tags",
  "license_id",
  "metadata_created",
  "metadata_modified",
  "num_resources",
  "num_tags",
  "res_name",
  "res_format",
  "res_url",
  "res_description",
  "res_type",
  "res_extras_etag",
  "res_extras_sha256",
  "dataset_type",
  "site_id",
  "permission_labels",
  "text",
]);

function fieldKnown(field: string): boolean {
  return (
    INDEXED_FIELDS.has(field) || field.startsWith("extras_") || field.startsWith("res_extras_")
  );
}

/** Checks that every field in `node` is indexed; throws `SolrSyntaxError` otherwise. */
export function checkFields(node: SolrNode): void {
  if (node.kind === "and" || node.kind === "or") node.items.forEach(checkFields);
  else if (node.kind === "not") checkFields(node.item);
  else if (
    (node.kind === "term" || node.kind === "range") &&
    node.field !== undefined &&
    !fieldKnown(node.field)
  ) {
    throw new SolrSyntaxError(`undefined field ${node.field}`);
  } else if (node.kind === "range" && node.field !== undefined && DATE_FIELDS.has(node.field)) {
    parseSolrDate(node.lower);
    parseSolrDate(node.upper);
  } else if (
    node.kind === "term" &&
    node.field !== undefined &&
    DATE_FIELDS.has(node.field) &&
    !node.value.includes("*")
  ) {
    parseSolrDate(node.value.replace(/\u0000/g, "*"));
  }
}

function matchTerm(
  doc: SolrDocument,
  field: string | undefined,
  value: string,
  phrase: boolean,
): boolean {
  if (field === undefined || field === "text") {
    const want = tokens(value.replace(/\u0000/g, "*"));
    if (!want.length) return value.includes("*");
    if (!phrase && value.includes("*")) {
      const re = globToRegExp(value.toLowerCase());
      return doc.text.some((t) => re.test(t));
    }
    if (want.length === 1) return doc.text.includes(want[0] as string);
    for (let i = 0; i + want.length <= doc.text.length; i++) {
      if (want.every((w, k) => doc.text[i + k] === w)) return true;
    }
    return false;
  }
  const values = doc.fields[field] ?? [];
  if (TEXT_FIELDS.has(field)) {
    const want = tokens(value);
    return values.some((v) => {
      const have = tokens(v);
      if (!phrase && value.includes("*")) {
        const re = globToRegExp(value.toLowerCase());
        return have.some((t) => re.test(t));
      }
      for (let i = 0; i + want.length <= have.length; i++) {
        if (want.every((w, k) => have[i + k] === w)) return true;
      }
      return false;
    });
  }
  if (!phrase && value.includes("*")) {
    if (value === "*") return values.length > 0;
    const re = globToRegExp(value);
    return values.some((v) => re.test(v));
  }
  const literal = value.replace(/\u0000/g, "*");
  if (DATE_FIELDS.has(field)) {
    const t = parseSolrDate(literal);
    return values.some((v) => Date.parse(v.endsWith("Z") ? v : `${v}Z`) === t);
  }
  return values.includes(literal);
}

/** Bounds of a range node, converted once per `now` (not once per document). */
const rangeBounds = new WeakMap<
  Extract<SolrNode, { kind: "range" }>,
  { now: number; lo: number | string | undefined; hi: number | string | undefined }
>();

function dateValues(doc: SolrDocument, field: string): number[] {
  doc.dates ??= {};
  let out = doc.dates[field];
  if (!out) {
    out = (doc.fields[field] ?? []).map((raw) => Date.parse(raw.endsWith("Z") ? raw : `${raw}Z`));
    doc.dates[field] = out;
  }
  return out;
}

function matchRange(
  doc: SolrDocument,
  node: Extract<SolrNode, { kind: "range" }>,
  now: number,
): boolean {
  const field = node.field ?? "text";
  const isDate = DATE_FIELDS.has(field);
  let bounds = rangeBounds.get(node);
  if (!bounds || bounds.now !== now) {
    const conv = (s: string): number | string | undefined => {
      if (s === "*") return undefined;
      if (isDate) return parseSolrDate(s, now);
      const n = Number(s);
      return Number.isFinite(n) && s.trim() !== "" ? n : s;
    };
    bounds = { now, lo: conv(node.lower), hi: conv(node.upper) };
    rangeBounds.set(node, bounds);
  }
  const { lo, hi } = bounds;
  const inRange = (v: number | string) => {
    if (lo !== undefined && (node.lowerInclusive ? v < lo : v <= lo)) return false;
    if (hi !== undefined && (node.upperInclusive ? v > hi : v >= hi)) return false;
    return true;
  };
  if (isDate) return dateValues(doc, field).some(inRange);
  const numeric = typeof lo === "number" || typeof hi === "number";
  return (doc.fields[field] ?? []).some((raw) => inRange(numeric ? Number(raw) : raw));
}

/** Evaluates a parsed query against a document. */
export function matches(node: SolrNode, doc: SolrDocument, now = Date.now()): boolean {
  switch (node.kind) {
    case "all":
      return true;
    case "and": {
      // A clause list of only negations means "everything except", as in Solr.
      return node.items.every((n) => matches(n, doc, now));
    }
    case "or":
      return node.items.some((n) => matches(n, doc, now));
    case "not":
      return !matches(node.item, doc, now);
    case "term":
      return matchTerm(doc, node.field, node.value, node.phrase);
    case "range":
      return matchRange(doc, node, now);
  }
}

/**
 * A plain-text (dismax) query: the terms are matched against the document text; with
 * CKAN's `mm=2<-1 5<80%`, up to two terms all must match, 3–5 terms all but one, more 80%.
 * Returns a score (number of matching terms) or 0 for no match.
 */
export function plainTextScore(query: string, doc: SolrDocument): number {
  const words = query
    .split(/\s+/)
    .map((w) => w.replace(/^["']|["']$/g, ""))
    .filter((w) => w && w !== "*");
  const want = words.flatMap((w) => (tokens(w).length ? [tokens(w)] : []));
  if (!want.length) return 1;
  let hits = 0;
  for (const parts of want) {
    const found =
      parts.every((p) => doc.text.includes(p)) ||
      parts.every((p) => doc.text.some((t) => t.startsWith(p) && p.length >= 3));
    if (found) hits++;
  }
  const n = want.length;
  const required = n <= 2 ? n : n <= 5 ? n - 1 : Math.floor(n * 0.8);
  return hits >= required ? hits : 0;
}
