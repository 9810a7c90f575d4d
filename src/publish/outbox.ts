// The publication outbox's store (table `publications`): queue statements that ride in the verdict's
// own transaction, claims with a lease (several Customs processes may drain it), completion that
// never drops a newer generation, and retries with backoff.
import { and, asc, eq, lte, or, isNull, lt, sql, count } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { publications } from '../db/schema.ts';
import type { PublishStatements } from '../quarantine/verdict-store.ts';

export type { PublishStatements };

export interface ImageKey { registry: string; repository: string; digest: string }

export interface Publication extends ImageKey {
  statements: PublishStatements;
  generation: number;
  attempts: number;
}

/**
 * The upsert that makes an image's publication due now: a new row, or the existing one with its
 * generation bumped, its backoff cleared and `all` kept when either side needs all statements.
 * Returned unexecuted so it joins the caller's batch (the verdict write).
 */
export function queuePublication(database: Database, image: ImageKey, statements: PublishStatements, now = new Date()) {
  return database.db.insert(publications).values({ ...image, statements, generation: 1, dueAt: now, attempts: 0, createdAt: now })
    .onConflictDoUpdate({
      target: [publications.registry, publications.repository, publications.digest],
      set: {
        statements: sql`CASE WHEN ${publications.statements} = 'all' OR excluded.statements = 'all' THEN 'all' ELSE 'verdict' END`,
        generation: sql`${publications.generation} + 1`,
        dueAt: now, attempts: 0, lastError: null,
      },
    });
}

export class OutboxStore {
  readonly database: Database;
  constructor(database: Database) { this.database = database; }

  /**
   * Claim up to `limit` due publications for `owner` (due and not leased, or leased by a process
   * whose lease ran out), at most `roomFor(registry)` per registry. Candidates are read first, then
   * each is taken by a conditional UPDATE, so two processes never hold the same row.
   */
  async claim(owner: string, leaseMs: number, limit: number, roomFor: (registry: string) => number): Promise<Publication[]> {
    const now = new Date();
    const db = this.database.db;
    const free = or(isNull(publications.leaseExpiresAt), lt(publications.leaseExpiresAt, now));
    const rows = await db.select().from(publications).where(and(lte(publications.dueAt, now), free))
      .orderBy(asc(publications.dueAt)).limit(Math.min(1000, limit * 8));
    const picked: typeof rows = [];
    const taken = new Map<string, number>();
    for (const r of rows) {
      if (picked.length >= limit) break;
      if ((taken.get(r.registry) ?? 0) >= roomFor(r.registry)) continue;
      taken.set(r.registry, (taken.get(r.registry) ?? 0) + 1);
      picked.push(r);
    }
    if (!picked.length) return [];
    // every conditional take in one transaction (one commit): a row another process took meanwhile
    // (or a newer verdict bumped) updates nothing and is left out
    const until = new Date(now.getTime() + leaseMs);
    const takes = picked.map((r) => db.update(publications).set({ leaseOwner: owner, leaseExpiresAt: until })
      .where(and(this.key(r), eq(publications.generation, r.generation), free))
      .returning({ generation: publications.generation }));
    const won = await db.batch(takes as [typeof takes[number], ...typeof takes]);
    return picked.filter((_, i) => won[i]!.length > 0).map((r) => ({
      registry: r.registry, repository: r.repository, digest: r.digest, statements: r.statements as PublishStatements, generation: r.generation, attempts: r.attempts,
    }));
  }

  /** Keep every publication `owner` holds leased for another `leaseMs` (one statement). */
  async renew(owner: string, leaseMs: number): Promise<void> {
    await this.database.db.update(publications).set({ leaseExpiresAt: new Date(Date.now() + leaseMs) }).where(eq(publications.leaseOwner, owner));
  }

  /** Publications due now and not held by a publisher. */
  async dueCount(): Promise<number> {
    const now = new Date();
    const [r] = await this.database.db.select({ n: count() }).from(publications)
      .where(and(lte(publications.dueAt, now), or(isNull(publications.leaseExpiresAt), lt(publications.leaseExpiresAt, now))));
    return Number(r?.n ?? 0);
  }

  /** Published: the row goes, unless a newer verdict queued it again meanwhile (then it stays due). */
  async done(p: Publication): Promise<void> {
    const db = this.database.db;
    const deleted = await db.delete(publications).where(and(this.key(p), eq(publications.generation, p.generation))).returning({ g: publications.generation });
    if (!deleted.length) await db.update(publications).set({ leaseOwner: null, leaseExpiresAt: null }).where(this.key(p));
  }

  /** Failed: due again after `delayMs`, the error kept for the API and logs. */
  async retry(p: Publication, error: string, delayMs: number): Promise<void> {
    await this.database.db.update(publications).set({
      attempts: sql`${publications.attempts} + 1`, lastError: error.slice(0, 1000),
      dueAt: new Date(Date.now() + delayMs), leaseOwner: null, leaseExpiresAt: null,
    }).where(and(this.key(p), eq(publications.generation, p.generation)));
    // a newer generation queued meanwhile stays due now; only the lease is dropped
    await this.database.db.update(publications).set({ leaseOwner: null, leaseExpiresAt: null }).where(this.key(p));
  }

  /** Nothing can be published (the image is gone from the registry or from Customs): dropped. */
  async drop(p: Publication): Promise<void> {
    await this.database.db.delete(publications).where(and(this.key(p), eq(publications.generation, p.generation)));
  }

  /** Publications waiting (all of them, and those that failed at least once), for metrics and the API. */
  async depth(): Promise<{ pending: number; failing: number }> {
    const [all] = await this.database.db.select({ n: count() }).from(publications);
    const [failing] = await this.database.db.select({ n: count() }).from(publications).where(sql`${publications.attempts} > 0`);
    return { pending: Number(all?.n ?? 0), failing: Number(failing?.n ?? 0) };
  }

  /** The pending publication of one image, if any. */
  async get(image: ImageKey): Promise<(typeof publications.$inferSelect) | undefined> {
    return (await this.database.db.select().from(publications).where(this.key(image)).limit(1))[0];
  }

  private key(p: ImageKey) {
    return and(eq(publications.registry, p.registry), eq(publications.repository, p.repository), eq(publications.digest, p.digest));
  }
}
