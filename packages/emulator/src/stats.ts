/** Request and byte counters, per route, with a bounded request log. */

/** The three served routes. */
export type RouteName = "api" | "download" | "object";

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  bytesSent: number;
  range?: string;
  /**
   * Whether the request carried an `Authorization` header (its value is never kept), so tests
   * can check from the server side that a token was not sent, e.g. to the object store.
   */
  authorization: boolean;
}

export interface StatsSnapshot {
  requests: number;
  bytesSent: number;
  byRoute: Record<RouteName, { requests: number; bytesSent: number }>;
  log: RequestLogEntry[];
}

/** Keeps at most this many log entries (oldest dropped), so memory stays bounded. */
const LOG_LIMIT = 20_000;

export class EmulatorStats {
  private requests = 0;
  private bytesSent = 0;
  private byRoute: StatsSnapshot["byRoute"] = emptyRoutes();
  private log: RequestLogEntry[] = [];

  /** Counts one finished request. */
  record(route: RouteName, entry: RequestLogEntry): void {
    this.requests++;
    this.bytesSent += entry.bytesSent;
    this.byRoute[route].requests++;
    this.byRoute[route].bytesSent += entry.bytesSent;
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  /** A copy of the counters and the request log. */
  snapshot(): StatsSnapshot {
    return {
      requests: this.requests,
      bytesSent: this.bytesSent,
      byRoute: {
        api: { ...this.byRoute.api },
        download: { ...this.byRoute.download },
        object: { ...this.byRoute.object },
      },
      log: this.log.map((e) => ({ ...e })),
    };
  }

  reset(): void {
    this.requests = 0;
    this.bytesSent = 0;
    this.byRoute = emptyRoutes();
    this.log = [];
  }
}

function emptyRoutes(): StatsSnapshot["byRoute"] {
  return {
    api: { requests: 0, bytesSent: 0 },
    download: { requests: 0, bytesSent: 0 },
    object: { requests: 0, bytesSent: 0 },
  };
}
