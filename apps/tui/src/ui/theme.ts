/** Colours by role. With NO_COLOR set (any value, see no-color.org) every colour is dropped. */

export interface Theme {
  color: boolean;
  accent?: string;
  muted?: string;
  ok?: string;
  warn?: string;
  error?: string;
  /** Colours for density levels, sparse → dense. */
  density: (string | undefined)[];
}

export function makeTheme(env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") {
    return { color: false, density: [undefined, undefined, undefined, undefined, undefined] };
  }
  return {
    color: true,
    accent: "cyan",
    muted: "gray",
    ok: "green",
    warn: "yellow",
    error: "red",
    density: ["blue", "cyan", "green", "yellow", "red"],
  };
}
