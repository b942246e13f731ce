/** A tiny HTTP server for tests of behaviour the emulator cannot produce (not exported). */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface TestServer {
  url: string;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (
  req: IncomingMessage,
  res: ServerResponse,
  seen: SeenRequest,
  count: number,
) => void | Promise<void>;

/** Start a loopback server on a random port; it records every request. */
export async function startTestServer(handler: Handler): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const seen = {
      method: req.method ?? "",
      url: req.url ?? "",
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    };
    requests.push(seen);
    try {
      await handler(req, res, seen, requests.length);
    } catch {
      res.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answer a CKAN success envelope. */
export function sendResult(res: ServerResponse, result: unknown, status = 200): void {
  const body = JSON.stringify({ help: "h", success: true, result });
  res.writeHead(status, { "content-type": "application/json;charset=utf-8" });
  res.end(body);
}

/** Answer a CKAN error envelope. */
export function sendError(
  res: ServerResponse,
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ help: "h", success: false, error });
  res.writeHead(status, { "content-type": "application/json;charset=utf-8", ...headers });
  res.end(body);
}
