import { isCustomsError } from '../errors.ts';

// Which failures are worth retrying. Registry hiccups (5xx, 429, timeouts, refused connections) pass;
// a missing manifest, an unsupported or corrupt image, a digest mismatch will fail the same way again.

export function classifyFailure(e: unknown): { message: string; kind: string; retryable: boolean } {
  if (isCustomsError(e)) {
    // The registry client marks 429/5xx/connection failures transient; everything else is permanent.
    return { message: e.message, kind: e.kind, retryable: e.transient };
  }
  // Not ours (database busy, an unexpected bug): retry, bounded by maxAttempts.
  const message = e instanceof Error ? e.message : String(e);
  return { message, kind: 'internal', retryable: true };
}
