/** Opt-in in-memory cache of GET responses with per-action lifetimes. */

/** Cache settings. */
export interface CacheOptions {
  /**
   * Lifetime in ms per action name, merged over {@link DEFAULT_CACHE_TTL}. `0` means never
   * cached, `Infinity` for the whole life of the client. Actions not listed are not cached.
   * @default DEFAULT_CACHE_TTL
   */
  ttl?: Readonly<Record<string, number>>;
  /**
   * Maximum number of cached responses; the least recently used is dropped first.
   * @default 500
   */
  maxEntries?: number;
}

/**
 * Default lifetimes in ms, after DCOR-Aid's table: listings that change rarely are kept a while,
 * `package_show`/`resource_show` are never cached (they must reflect uploads and edits at once),
 * and static server tables live as long as the client.
 */
export const DEFAULT_CACHE_TTL: Readonly<Record<string, number>> = Object.freeze({
  package_search: 10_000,
  package_collaborator_list_for_user: 60_000,
  organization_list_for_user: 10_000,
  group_list_authz: 60_000,
  dataset_followee_list: 3_600_000,
  package_show: 0,
  resource_show: 0,
  user_show: 5_000,
  user_autocomplete: 30_000,
  group_list: 10_000,
  user_list: 30_000,
  status_show: 60_000,
  organization_list: 60_000,
  license_list: Number.POSITIVE_INFINITY,
  resource_schema_supplements: Number.POSITIVE_INFINITY,
  supported_resource_suffixes: Number.POSITIVE_INFINITY,
});

interface Entry {
  /** The raw body: parsed anew on every hit, so callers cannot mutate cached data. */
  text: string;
  expires: number;
}

/** A small LRU of response bodies keyed by request URL. */
export class ResponseCache {
  readonly #ttl: Readonly<Record<string, number>>;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: CacheOptions = {}) {
    this.#ttl = { ...DEFAULT_CACHE_TTL, ...options.ttl };
    this.#maxEntries = options.maxEntries ?? 500;
    if (!(this.#maxEntries >= 1)) throw new RangeError("cache.maxEntries must be at least 1");
  }

  /** Lifetime in ms for `action` (0 = not cached). */
  ttlFor(action: string): number {
    const ttl = this.#ttl[action];
    return typeof ttl === "number" && ttl > 0 ? ttl : 0;
  }

  get(key: string, now: number = Date.now()): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    // Refresh recency.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.text;
  }

  set(key: string, action: string, text: string, now: number = Date.now()): void {
    const ttl = this.ttlFor(action);
    if (ttl <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, { text, expires: now + ttl });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
