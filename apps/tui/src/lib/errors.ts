/**
 * Turn any error into one readable line for the screen or stderr: never a stack trace, never a
 * token (the packages' errors are token-free; we only ever show their message).
 */

interface CodedError {
  code?: unknown;
  status?: unknown;
  message?: unknown;
  name?: unknown;
}

/** Stable error codes of `@dcor/api` and friends (matched by code, not by class). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && typeof (err as CodedError).code === "string") {
    return (err as CodedError).code as string;
  }
  return undefined;
}

export function isAbort(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as CodedError).name === "AbortError";
}

function firstLine(text: string): string {
  const line = text.split("\n")[0] ?? "";
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

export function describeError(err: unknown): string {
  const code = errorCode(err);
  const message =
    typeof err === "object" && err !== null && typeof (err as CodedError).message === "string"
      ? firstLine((err as CodedError).message as string)
      : firstLine(String(err));
  switch (code) {
    case "DCOR_CONNECTION":
      return `No connection to the server (${message})`;
    case "DCOR_TIMEOUT":
      return "The server did not answer in time";
    case "DCOR_MAINTENANCE":
      return "The server is under maintenance; try again later";
    case "DCOR_AUTHORIZATION":
      return `Not authorized: ${message}`;
    case "DCOR_NOT_FOUND":
      return `Not found: ${message}`;
    default:
      return message || "Unknown error";
  }
}
