import { errorCode } from "../lib/errors.js";

/** Exit codes of the `dcor` command, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  /** Anything else (e.g. a checksum mismatch, a server error). */
  failure: 1,
  /** Bad command line. */
  usage: 2,
  /** Dataset/resource/circle not found. */
  notFound: 3,
  /** Token missing, wrong, or not allowed. */
  auth: 4,
  /** No connection, timeout, maintenance. */
  network: 5,
} as const;

export class UsageError extends Error {
  readonly code = "DCOR_TUI_USAGE";
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** The exit code for an error, by its stable code. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  const code = errorCode(err);
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
    case "DCOR_TUI_USAGE":
      return EXIT.usage;
    case "DCOR_NOT_FOUND":
      return EXIT.notFound;
    case "DCOR_AUTHORIZATION":
    case "DCOR_NO_API_KEY":
      return EXIT.auth;
    case "DCOR_CONNECTION":
    case "DCOR_TIMEOUT":
    case "DCOR_MAINTENANCE":
    case "DOWNLOAD_NETWORK":
    case "DOWNLOAD_TIMEOUT":
    case "DOWNLOAD_STALLED":
      return EXIT.network;
    default:
      return EXIT.failure;
  }
}
