import type { EventOutcome } from '../jobs/intake.ts';
import type { RegistryEvent } from '../webhooks/event.ts';

// What an accepted delivery answers (202) and logs: per event its outcome — queued/duplicate with
// the job, deleted, ignored with the reason, or invalid with what was wrong with it.

export interface AnsweredEvent {
  outcome: EventOutcome['outcome'] | 'invalid';
  jobId?: string;
  reason?: string;
}

export function answerEvents(events: readonly RegistryEvent[], outcomes: readonly EventOutcome[]): AnsweredEvent[] {
  return events.map((e, i) => (e.action === 'invalid'
    ? { outcome: 'invalid', reason: e.reason ?? 'invalid event' }
    : { ...outcomes[i]!, ...(e.reason ? { reason: e.reason } : {}) }));
}

/**
 * The one log line of an accepted delivery: counts per outcome, the job ids, and the reasons of
 * invalid events (operators must see what a registry sends wrong). Only values Customs derived —
 * never headers, query strings or bodies, where the shared secrets travel.
 */
export function deliveryLog(source: string, answered: readonly AnsweredEvent[]): Record<string, unknown> {
  const outcomes: Record<string, number> = {};
  for (const a of answered) outcomes[a.outcome] = (outcomes[a.outcome] ?? 0) + 1;
  const jobIds = [...new Set(answered.flatMap((a) => (a.jobId ? [a.jobId] : [])))];
  const invalid = answered.filter((a) => a.outcome === 'invalid').map((a) => a.reason);
  return { source, events: answered.length, outcomes, jobIds, ...(invalid.length ? { invalid } : {}) };
}
