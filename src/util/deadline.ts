// Deadlines given on the command line or in the configuration: a duration like "90s", "5m", "2h",
// and an AbortSignal that passes with a CustomsError naming the setting (so the error a user sees
// says which deadline ran out and how to raise it).
import { CustomsError } from '../errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "5m", "2h", "1d", "500ms" → milliseconds; `flag` names the option in the error. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new CustomsError('usage', `${flag} must be a number with ms, s, m, h or d (e.g. 24h), not "${text}"`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

/** A signal that aborts after `ms` with a transient 'unreachable' error naming `setting`. */
export function deadlineSignal(ms: number, setting: string): AbortSignal {
  const c = new AbortController();
  const t = setTimeout(() => c.abort(new CustomsError('unreachable', `did not finish within ${ms} ms (${setting})`, { transient: true })), ms);
  t.unref();
  return c.signal;
}
