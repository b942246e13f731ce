import { defineConfig } from "vitest/config";

// "@dcor/source" makes sibling packages resolve to their src/, so tests need no prior build.
// The JSON report feeds the one-line test summary that `npm test` prints at the end.
export default defineConfig({
  resolve: { conditions: ["@dcor/source"] },
  ssr: { resolve: { conditions: ["@dcor/source"] } },
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: ["default", ["json", { outputFile: ".turbo/test-results.json" }]],
  },
});
