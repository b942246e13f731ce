/**
 * Plain node:http static file server with Range support (the bench's "object store"). It runs
 * in its own process and serves the file from memory with one write per response, so that on a
 * small machine it takes as little CPU as possible from the clients it is compared with (curl
 * and the downloader get the very same server).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const file = process.argv[2]!;
const data = readFileSync(file);
const size = data.length;
const server = createServer((req, res) => {
  let start = 0;
  let status = 200;
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  const headers: Record<string, string> = { "accept-ranges": "bytes", etag: '"bench-1"' };
  if (m) {
    start = Number(m[1]);
    status = 206;
    headers["content-range"] = `bytes ${start}-${size - 1}/${size}`;
  }
  headers["content-length"] = String(size - start);
  res.writeHead(status, headers);
  res.end(data.subarray(start));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`http://127.0.0.1:${(server.address() as AddressInfo).port}/file\n`);
});
