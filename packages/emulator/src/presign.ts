/** Presigned, expiring object-store URLs (S3 SigV4-shaped query, HMAC-SHA256 signature). */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export interface PresignedUrl {
  url: string;
  /** Epoch seconds of the signature date. */
  date: number;
  /** Epoch seconds after which the URL is refused. */
  expiration: number;
}

function amzDate(sec: number): string {
  return new Date(sec * 1000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
}

function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) / 1000;
}

/** Signs and verifies object URLs with a per-emulator secret. */
export class Presigner {
  private readonly secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.secret = secret;
  }

  private sign(key: string, date: string, expires: string, disposition: string): string {
    return createHmac("sha256", this.secret)
      .update(`GET\n/${key}\n${date}\n${expires}\n${disposition}`)
      .digest("hex");
  }

  /**
   * Presigns `origin/key` for `lifetime` seconds. Like DCOR, long lifetimes are rounded to
   * buckets of 20% of the lifetime (so URLs can be cached); short ones are not.
   */
  presign(
    origin: string,
    key: string,
    lifetime: number,
    opts: { disposition?: string; now?: number } = {},
  ): PresignedUrl {
    const now = (opts.now ?? Date.now()) / 1000;
    const bucket = lifetime >= 300 ? Math.round(lifetime * 0.2) : 1;
    const date = Math.floor(now / bucket) * bucket;
    const dateText = amzDate(date);
    const expires = String(Math.max(1, Math.round(lifetime)));
    const disposition = opts.disposition ?? "";
    const q = new URLSearchParams();
    q.set("X-Amz-Algorithm", "AWS4-HMAC-SHA256");
    q.set("X-Amz-Credential", `dcor/${dateText.slice(0, 8)}/us-east-1/s3/aws4_request`);
    q.set("X-Amz-Date", dateText);
    q.set("X-Amz-Expires", expires);
    q.set("X-Amz-SignedHeaders", "host");
    if (disposition) q.set("response-content-disposition", disposition);
    q.set("X-Amz-Signature", this.sign(key, dateText, expires, disposition));
    return { url: `${origin}/${key}?${q.toString()}`, date, expiration: date + Number(expires) };
  }

  /** Checks a request's query for `key`: "none" (not presigned), "valid", "expired" or "invalid". */
  verify(
    key: string,
    query: URLSearchParams,
    now = Date.now(),
  ): "none" | "valid" | "expired" | "invalid" {
    const sig = query.get("X-Amz-Signature");
    if (sig === null) return "none";
    const date = query.get("X-Amz-Date") ?? "";
    const expires = query.get("X-Amz-Expires") ?? "";
    const disposition = query.get("response-content-disposition") ?? "";
    const expected = Buffer.from(this.sign(key, date, expires, disposition));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return "invalid";
    const start = parseAmzDate(date);
    const lifetime = Number(expires);
    if (start === undefined || !Number.isFinite(lifetime)) return "invalid";
    return now / 1000 > start + lifetime ? "expired" : "valid";
  }
}
