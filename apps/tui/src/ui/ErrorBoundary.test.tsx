import { render } from "ink-testing-library";
import { describe, expect, it } from "vitest";
import { press, waitFor } from "../testing/harness.js";
import { ErrorBoundary } from "./ErrorBoundary.js";

function Broken(): never {
  throw Object.assign(new Error("server URL is not valid\n    at somewhere (file.ts:1:1)"), {
    code: "X",
  });
}

describe("ErrorBoundary", () => {
  it("shows a render error as one readable line, without a stack", async () => {
    const app = render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    );
    try {
      await waitFor(() => expect(app.lastFrame()).toContain("server URL is not valid"));
      expect(app.lastFrame()).not.toContain("file.ts:1:1");
      expect(app.lastFrame()).toContain("Press q to quit");
      await press(app, "q");
    } finally {
      app.unmount();
    }
  });
});
