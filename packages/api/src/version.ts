import pkg from "../package.json" with { type: "json" };

/** Version of `@dcor/api` (from its package.json). */
export const VERSION: string = pkg.version;
