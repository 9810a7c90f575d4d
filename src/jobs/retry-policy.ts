import { isCustomsError } from '../errors.ts';

// Which failures are worth retrying. Registry hiccups (5xx, 429, timeouts, refused connections) pass;
// a missing manifest, an unsupported or corrupt image, a digest mismatch will fail the same way again.

export function classifyFailure(e: unknown): { message: string; kind: string; retryable: boolean } {
  if (isCustomsError(e)) {
    // The registry client marks 429/5xx/connection failures transient; everything else is permanent.
    return { message: e.message, kind: e.kind, retryable: e.transient };
  }
  // Not ours (database busy, an unexpected bug): retry, bounded by maxAttempts.
  return { message: describe(e), kind: 'internal', retryable: true };
}

/**
 * What a failure says, for the log and the job's last error. drizzle's query errors carry every
 * parameter (a whole layer's analysis, image data): the statement's start and the database's own
 * reason say enough.
 */
function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e).slice(0, 500);
  if (e.message.startsWith('Failed query: ')) {
    const statement = e.message.slice('Failed query: '.length).split('\nparams:')[0]!.slice(0, 120);
    const cause = e.cause instanceof Error ? e.cause.message : 'unknown cause';
    return `database: ${cause.slice(0, 300)} (in: ${statement}…)`;
  }
  return e.message;
}
