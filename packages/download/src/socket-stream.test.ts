import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { type AddressInfo, createServer as createNetServer } from "node:net";
import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { type SocketHop, socketStream } from "./socket-stream.js";

const servers: { close: () => void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function listen(s: Server | ReturnType<typeof createNetServer>): Promise<URL> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/file?x=1`);
}

function hop(over: Partial<SocketHop> = {}): SocketHop {
  return {
    method: "GET",
    headers: {},
    signal: new AbortController().signal,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    ...over,
  };
}

/** A sink that collects bytes, optionally slowly (to force backpressure). */
function collector(slowMs = 0) {
  const parts: Buffer[] = [];
  let status = 0;
  const sink = (head: { statusCode: number }) => {
    status = head.statusCode;
    return new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _e, cb) {
        parts.push(chunk);
        if (slowMs) setTimeout(cb, slowMs);
        else cb();
      },
    });
  };
  return { sink, body: () => Buffer.concat(parts), status: () => status };
}

const payload = Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 31) % 251));

describe("socketStream", () => {
  it("streams a Content-Length body exactly, with the request's headers and path", async () => {
    let seen: Record<string, unknown> = {};
    const url = await listen(
      createServer((req, res) => {
        seen = { url: req.url, range: req.headers.range, conn: req.headers.connection };
        res.writeHead(206, { "content-length": payload.length, etag: '"e1"' });
        res.end(payload);
      }),
    );
    const c = collector();
    const r = await socketStream(url, hop({ headers: { range: "bytes=5-" } }), c.sink);
    expect(r.kind).toBe("done");
    expect(c.status()).toBe(206);
    expect(seen).toEqual({ url: "/file?x=1", range: "bytes=5-", conn: "close" });
    expect(createHash("sha256").update(c.body()).digest("hex")).toBe(
      createHash("sha256").update(payload).digest("hex"),
    );
  });

  it("decodes chunked bodies and close-delimited bodies", async () => {
    const chunked = await listen(
      createServer((_req, res) => {
        res.writeHead(200); // no length: node:http sends chunked
        for (let at = 0; at < payload.length; at += 70_001)
          res.write(payload.subarray(at, at + 70_001));
        res.end();
      }),
    );
    const a = collector();
    await socketStream(chunked, hop(), a.sink);
    expect(a.body().equals(payload)).toBe(true);

    const raw = await listen(
      createNetServer((sock) => {
        sock.once("data", () => {
          sock.write("HTTP/1.1 200 OK\r\nContent-Type: x\r\n\r\n");
          sock.end(payload.subarray(0, 100_000));
        });
      }),
    );
    const b = collector();
    await socketStream(raw, hop(), b.sink);
    expect(b.body().equals(payload.subarray(0, 100_000))).toBe(true);
  });

  it("holds the socket while the sink is slow (backpressure) and loses no byte", async () => {
    const url = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { "content-length": payload.length });
        res.end(payload);
      }),
    );
    const c = collector(2);
    await socketStream(url, hop(), c.sink);
    expect(c.body().equals(payload)).toBe(true);
  });

  it("a connection cut mid-body is an UND_ERR_SOCKET error", async () => {
    const url = await listen(
      createNetServer((sock) => {
        sock.once("data", () => {
          sock.write(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\n\r\n`);
          sock.write(payload.subarray(0, 50_000), () => sock.destroy());
        });
      }),
    );
    const c = collector();
    await expect(socketStream(url, hop(), c.sink)).rejects.toMatchObject({
      code: "UND_ERR_SOCKET",
    });
  });

  it("times out a server that sends no head, and one that stalls in the body", async () => {
    const silent = await listen(createNetServer(() => {}));
    await expect(
      socketStream(silent, hop({ headersTimeout: 200 }), collector().sink),
    ).rejects.toMatchObject({ code: "UND_ERR_HEADERS_TIMEOUT" });

    const stall = await listen(
      createNetServer((sock) => {
        sock.once("data", () => sock.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc"));
      }),
    );
    await expect(
      socketStream(stall, hop({ bodyTimeout: 200 }), collector().sink),
    ).rejects.toMatchObject({ code: "UND_ERR_BODY_TIMEOUT" });
  });

  it("rejects with the signal's reason when aborted, and refuses a malformed head", async () => {
    const stall = await listen(createNetServer(() => {}));
    const ac = new AbortController();
    const p = socketStream(stall, hop({ signal: ac.signal }), collector().sink);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");

    const junk = await listen(
      createNetServer((sock) => {
        sock.once("data", () => sock.end("SMTP ready\r\n\r\n"));
      }),
    );
    await expect(socketStream(junk, hop(), collector().sink)).rejects.toMatchObject({
      code: "UND_ERR_SOCKET",
    });
  });

  it("declines header values that cannot go on the wire as they are", async () => {
    const url = new URL("http://127.0.0.1:9/");
    const r = await socketStream(url, hop({ headers: { "x-a": "1\r\nx-b: 2" } }), collector().sink);
    expect(r).toEqual({ kind: "unsupported", reason: "header value" });
  });
});
