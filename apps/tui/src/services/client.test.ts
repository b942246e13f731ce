import { describe, expect, it } from "vitest";
import { connectionStateOf } from "./client.js";

describe("connectionStateOf", () => {
  it("maps the stable error codes of @dcor/api to connection states", () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(connectionStateOf(err("DCOR_CONNECTION"))).toBe("no-connection");
    expect(connectionStateOf(err("DCOR_TIMEOUT"))).toBe("timeout");
    expect(connectionStateOf(err("DCOR_MAINTENANCE"))).toBe("maintenance");
    expect(connectionStateOf(err("DCOR_AUTHORIZATION"))).toBe("bad-token");
    expect(connectionStateOf(err("DCOR_SERVER_ERROR"))).toBe("error");
    expect(connectionStateOf(new Error("x"))).toBe("error");
  });
});
