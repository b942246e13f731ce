import { describe, expect, it } from "vitest";
import { describeError, errorCode } from "./errors.js";

describe("describeError", () => {
  it("maps stable codes to readable lines without stacks", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1\n    at x"), {
      code: "DCOR_CONNECTION",
    });
    expect(describeError(err)).toBe(
      "No connection to the server (connect ECONNREFUSED 127.0.0.1:1)",
    );
    expect(describeError(Object.assign(new Error("x"), { code: "DCOR_MAINTENANCE" }))).toMatch(
      /maintenance/,
    );
    expect(describeError("plain")).toBe("plain");
    expect(describeError(new Error("a\nb"))).toBe("a");
    expect(errorCode({ code: 5 })).toBeUndefined();
  });
});
