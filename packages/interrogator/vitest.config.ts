import { defineConfig } from "vitest/config";

// "@dcor/source" makes sibling packages resolve to their src/, so tests need no prior build.
export default defineConfig({
  resolve: { conditions: ["@dcor/source"] },
  ssr: { resolve: { conditions: ["@dcor/source"] } },
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
