import { describe, expect, it } from "vitest";
import {
  APIAuthorizationError,
  APIBadRequestError,
  APIConflictError,
  APINotFoundError,
  APIRateLimitError,
  APIResponseError,
  APIServerError,
  APITimeoutError,
  isDCORError,
  ServerUnderMaintenanceError,
} from "./errors.js";
import { interpretResponse, type RawResponse } from "./response.js";

const JSON_HEADERS = { "content-type": "application/json;charset=utf-8" };
const ctx = { action: "package_show", url: "http://127.0.0.1:1/api/3/action/package_show?id=x" };

function raw(status: number, body: unknown, headers: RawResponse["headers"] = JSON_HEADERS) {
  return { status, headers, text: typeof body === "string" ? body : JSON.stringify(body) };
}
function envelopeError(error: Record<string, unknown>) {
  return { help: "https://x/api/3/action/help_show?name=a", success: false, error };
}
function errorOf(response: RawResponse, context = ctx) {
  const out = interpretResponse(response, context);
  if (out.ok) throw new Error("expected an error");
  return out.error;
}

describe("interpretResponse", () => {
  it("returns the result of a success envelope", () => {
    const out = interpretResponse(raw(200, { help: "h", success: true, result: { id: "a" } }), ctx);
    expect(out).toEqual({ ok: true, result: { id: "a" } });
    const nullResult = interpretResponse(raw(200, { success: true, result: null }), ctx);
    expect(nullResult).toEqual({ ok: true, result: null });
  });

  it("maps 403 Authorization Error", () => {
    const e = errorOf(
      raw(
        403,
        envelopeError({
          __type: "Authorization Error",
          message: "Access denied: Users may only view their own details",
        }),
      ),
      { ...ctx, action: "user_show" },
    );
    expect(e).toBeInstanceOf(APIAuthorizationError);
    expect(e.code).toBe("DCOR_AUTHORIZATION");
    expect(e.status).toBe(403);
    expect(e.action).toBe("user_show");
    expect(e.errorType).toBe("Authorization Error");
    expect(e.serverMessage).toBe("Access denied: Users may only view their own details");
    expect(e.message).toContain("Users may only view their own details");
    expect(e.message).toContain("user_show");
    expect(e.url).toBe(ctx.url);
  });

  it("maps 404 Not Found Error", () => {
    const e = errorOf(raw(404, envelopeError({ __type: "Not Found Error", message: "Not found" })));
    expect(e).toBeInstanceOf(APINotFoundError);
    expect(e.code).toBe("DCOR_NOT_FOUND");
  });

  it("maps 409 Validation Error with field errors", () => {
    const e = errorOf(
      raw(
        409,
        envelopeError({
          authors: ["Missing value"],
          license_id: ["Please choose a license_id: ['CC0-1.0']"],
          __type: "Validation Error",
        }),
      ),
    ) as APIConflictError;
    expect(e).toBeInstanceOf(APIConflictError);
    expect(e.code).toBe("DCOR_CONFLICT");
    expect(e.fieldErrors).toEqual({
      authors: ["Missing value"],
      license_id: ["Please choose a license_id: ['CC0-1.0']"],
    });
    expect(e.message).toContain("authors: Missing value");
    expect(e.toJSON()).toMatchObject({ code: "DCOR_CONFLICT", fieldErrors: e.fieldErrors });
  });

  it("maps the 409 of dcserv with a plain message", () => {
    const e = errorOf(
      raw(
        409,
        envelopeError({ message: "Please specify 'query' parameter!", __type: "Validation Error" }),
      ),
    ) as APIConflictError;
    expect(e).toBeInstanceOf(APIConflictError);
    expect(e.serverMessage).toBe("Please specify 'query' parameter!");
    expect(e.fieldErrors).toEqual({});
  });

  it("maps the bare-string 400 body to APIBadRequestError", () => {
    const e = errorOf(raw(400, '"Bad request: Action name not known: site_read"'), {
      ...ctx,
      action: "site_read",
    });
    expect(e).toBeInstanceOf(APIBadRequestError);
    expect(e.code).toBe("DCOR_BAD_REQUEST");
    expect(e.serverMessage).toBe("Bad request: Action name not known: site_read");
    const post = errorOf(
      raw(
        400,
        '"Bad request: JSON Error: Invalid request. Please use POST method for your request"',
      ),
    );
    expect(post).toBeInstanceOf(APIBadRequestError);
  });

  it("maps 503 (any body) to ServerUnderMaintenanceError", () => {
    const html = "<html><body><h1>Down for maintenance</h1></body></html>";
    const e = errorOf(raw(503, html, { "content-type": "text/html" }));
    expect(e).toBeInstanceOf(ServerUnderMaintenanceError);
    expect(e.code).toBe("DCOR_MAINTENANCE");
    expect(e.serverMessage).toContain("Down for maintenance");
    expect(errorOf(raw(503, ""))).toBeInstanceOf(ServerUnderMaintenanceError);
  });

  it("maps other 5xx with an envelope or empty body to APIServerError", () => {
    const e = errorOf(
      raw(500, envelopeError({ __type: "Internal Server Error", message: "boom" })),
    );
    expect(e).toBeInstanceOf(APIServerError);
    expect(e.code).toBe("DCOR_SERVER_ERROR");
    expect(errorOf(raw(502, ""))).toBeInstanceOf(APIServerError);
    expect(errorOf(raw(504, "")).status).toBe(504);
  });

  it("maps 408 and 429 with Retry-After", () => {
    expect(errorOf(raw(408, ""))).toBeInstanceOf(APITimeoutError);
    const e = errorOf(raw(429, ""), { ...ctx, retryAfter: 2000 } as typeof ctx);
    expect(e).toBeInstanceOf(APIRateLimitError);
    expect(e.code).toBe("DCOR_RATE_LIMITED");
    expect(e.retryAfter).toBe(2000);
  });

  it("maps HTML from a proxy, truncated and non-envelope JSON to APIResponseError", () => {
    const html = errorOf(
      raw(502, "<html><h1>502 Bad Gateway</h1></html>", { "content-type": "text/html" }),
    );
    expect(html).toBeInstanceOf(APIResponseError);
    expect(html.code).toBe("DCOR_BAD_RESPONSE");
    expect(html.status).toBe(502);
    expect(html.message).toContain("HTML");
    const truncated = errorOf(raw(200, '{"help": "x", "success": true, "result": {"id": "a'));
    expect(truncated).toBeInstanceOf(APIResponseError);
    expect(truncated.message).toContain("truncated");
    const notEnvelope = errorOf(raw(200, { id: "a", name: "b" }));
    expect(notEnvelope).toBeInstanceOf(APIResponseError);
    expect(errorOf(raw(200, ""))).toBeInstanceOf(APIResponseError);
    expect(errorOf(raw(200, [1, 2]))).toBeInstanceOf(APIResponseError);
    expect(errorOf(raw(200, { success: true }))).toBeInstanceOf(APIResponseError);
  });

  it("keeps server messages short and redacts secrets", () => {
    const secret = "tok-SECRET-123456";
    const e = errorOf(
      raw(403, envelopeError({ __type: "Authorization Error", message: `bad token ${secret}` })),
      { ...ctx, redact: (t: string) => t.split(secret).join("[REDACTED]") } as typeof ctx,
    );
    expect(e.message).not.toContain(secret);
    expect(e.serverMessage).toBe("bad token [REDACTED]");
    const long = errorOf(raw(500, `<p>${"x".repeat(10_000)}</p>`, { "content-type": "text/html" }));
    expect(long.serverMessage!.length).toBeLessThan(300);
  });
});

describe("isDCORError", () => {
  it("recognizes errors by code, also from another copy of the package", () => {
    const e = errorOf(raw(404, envelopeError({ message: "Not found" })));
    expect(isDCORError(e)).toBe(true);
    expect(isDCORError(e, "DCOR_NOT_FOUND")).toBe(true);
    expect(isDCORError(e, "DCOR_CONFLICT")).toBe(false);
    const foreign = Object.assign(new Error("x"), { code: "DCOR_TIMEOUT" });
    expect(isDCORError(foreign, "DCOR_TIMEOUT")).toBe(true);
    expect(isDCORError(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(false);
    expect(isDCORError({ code: "DCOR_TIMEOUT" })).toBe(false);
    expect(isDCORError(undefined)).toBe(false);
  });
});
