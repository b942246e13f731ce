/** Base class of this package's errors; match on the stable `code`, not on the message. */
export class InterrogatorError extends Error {
  /** Stable machine-readable error code. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option has a value that cannot work (negative limit, malformed sort, invalid date, …). */
export class InvalidOptionError extends InterrogatorError {
  /** The name of the offending option. */
  readonly option: string;

  constructor(option: string, message: string) {
    super("DCOR_INVALID_OPTION", `Invalid option \`${option}\`: ${message}`);
    this.option = option;
  }
}

/** The server answered with data this package cannot interpret. */
export class UnexpectedResponseError extends InterrogatorError {
  /** The CKAN action whose answer was unexpected. */
  readonly action: string;

  constructor(action: string, message: string) {
    super("DCOR_UNEXPECTED_RESPONSE", `Unexpected answer to ${action}: ${message}`);
    this.action = action;
  }
}
