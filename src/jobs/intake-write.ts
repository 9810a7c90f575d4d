import { randomUUID } from 'node:crypto';
import type { Client, InStatement } from '@libsql/client';
import type { RegistryEvent } from '../webhooks/event.ts';
import { imageDeletedStatements, imagesPushedStatement, tagsPushedStatement } from '../scan/image-store.ts';
import { dedupKey, deleteEventsStatement, jobIdsByKeyStatement, jobsQueuedStatement, pushEventsStatement } from './job-store.ts';

// The rows of a group of webhook deliveries, written in one transaction with multi-row statements:
// one commit (fsync) and a handful of statements for many requests (intake.ts forms the groups).

export interface EventOutcome {
  /** queued: a new job; duplicate: the image already had one; deleted; ignored */
  outcome: 'queued' | 'duplicate' | 'deleted' | 'ignored';
  jobId?: string;
}

/** One delivery as plain data. */
export interface DeliveryRows { source: string; events: RegistryEvent[]; now: number }

/** Rows per multi-row statement (SQLite's variable limit is 32766; jobs have 11 per row). */
const CHUNK = 200;

export async function writeDeliveries(client: Client, group: DeliveryRows[], maxAttempts: number): Promise<EventOutcome[][]> {
  const pushes: { d: DeliveryRows; e: RegistryEvent; id: string; key: string | null }[] = [];
  const deletes: { d: DeliveryRows; e: RegistryEvent }[] = [];
  for (const d of group) {
    for (const e of d.events) {
      if (e.action === 'push') pushes.push({ d, e, id: randomUUID(), key: dedupKey(e) });
      else if (e.action === 'delete') deletes.push({ d, e });
    }
  }
  // One batch = one transaction executed without yielding: no lock is held across an await, so
  // other connections (workers, other processes) never wait on this thread's event loop.
  const statements: InStatement[] = [];
  for (const c of chunks(pushes)) {
    statements.push(jobsQueuedStatement(c.map((p) => ({ id: p.id, event: p.e, origin: p.d.source, key: p.key, at: p.d.now })), maxAttempts));
  }
  const seen = pushes.filter((p) => p.e.digest);
  for (const c of chunks(seen)) {
    statements.push(imagesPushedStatement(c.map((p) => ({ registry: p.e.registry, repository: p.e.repository, digest: p.e.digest!, mediaType: p.e.mediaType ?? null, at: p.d.now }))));
  }
  for (const c of chunks(seen.filter((p) => p.e.tag))) {
    statements.push(tagsPushedStatement(c.map((p) => ({ registry: p.e.registry, repository: p.e.repository, tag: p.e.tag!, digest: p.e.digest!, at: p.d.now }))));
  }
  for (const { d, e } of deletes) statements.push(...imageDeletedStatements(e, d.now));
  for (const c of chunks(pushes)) statements.push(pushEventsStatement(c.map(({ d, e, id, key }) => ({ source: d.source, at: d.now, event: e, id, key }))));
  for (const c of chunks(deletes)) statements.push(deleteEventsStatement(c.map(({ d, e }) => ({ source: d.source, at: d.now, event: e }))));
  const keys = [...new Set(pushes.map((p) => p.key).filter((k): k is string => k !== null))];
  const firstSelect = statements.length;
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    statements.push(jobIdsByKeyStatement(part));
  }
  const rs = await client.batch(statements, 'write');
  const owner = new Map<string, string>();
  for (const r of rs.slice(firstSelect)) for (const row of r.rows) owner.set(String(row.dedup_key), String(row.id));

  const outcomes = new Map<RegistryEvent, EventOutcome>();
  for (const p of pushes) {
    const jobId = p.key ? owner.get(p.key) ?? p.id : p.id;
    outcomes.set(p.e, { outcome: jobId === p.id ? 'queued' : 'duplicate', jobId });
  }
  for (const { e } of deletes) outcomes.set(e, { outcome: 'deleted' });
  return group.map((d) => d.events.map((e) => outcomes.get(e) ?? { outcome: 'ignored' as const }));
}

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}


