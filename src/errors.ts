// One error type for everything a user can cause or meet; `kind` decides the CLI exit code and HTTP status.
export type ErrorKind =
  | 'usage'            // bad command line or reference syntax
  | 'config'           // invalid configuration
  | 'not-found'        // archive / manifest / tag / blob does not exist
  | 'unreachable'      // registry cannot be reached (DNS, refused, timeout)
  | 'auth'             // credentials refused or missing
  | 'digest-mismatch'  // content does not match its digest
  | 'unsupported'      // unsupported media type / format
  | 'corrupt'          // corrupt or truncated layer / archive
  | 'limit'            // a size, ratio, depth or count cap was hit
  | 'registry'         // the registry answered with an unexpected error
  | 'conflict'         // refused because of what is stored (two policies equally specific for one image)
  | 'internal';

const EXIT: Record<ErrorKind, number> = {
  usage: 2, config: 3, 'not-found': 4, unreachable: 5, auth: 6, 'digest-mismatch': 7,
  unsupported: 8, corrupt: 9, limit: 10, registry: 11, conflict: 2, internal: 70,
};
const HTTP: Record<ErrorKind, number> = {
  usage: 400, config: 500, 'not-found': 404, unreachable: 502, auth: 502, 'digest-mismatch': 502,
  unsupported: 415, corrupt: 422, limit: 413, registry: 502, conflict: 409, internal: 500,
};

export class CustomsError extends Error {
  readonly kind: ErrorKind;
  /** true when retrying later may succeed (429/5xx/connection errors) */
  readonly transient: boolean;
  constructor(kind: ErrorKind, message: string, opts: { cause?: unknown; transient?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'CustomsError';
    this.kind = kind;
    this.transient = opts.transient ?? false;
  }
  get exitCode(): number { return EXIT[this.kind]; }
  get httpStatus(): number { return HTTP[this.kind]; }
}

export function isCustomsError(e: unknown): e is CustomsError {
  return e instanceof CustomsError;
}
