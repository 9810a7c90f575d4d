// Policies in the database: append-only versions, the current one per name, the governing one per
// image (most specific scope; the built-in default when none matches), and the audit trail.
import { and, count, desc, eq, lt, max } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { auditLog, policyVersions } from '../db/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { DEFAULT_POLICY } from './default.ts';
import { validatePolicy } from './parse.ts';
import type { Policy } from './schema.ts';
import { conflictingPolicies, selectPolicy, type ScopedPolicy } from './scope.ts';

export interface StoredPolicy extends ScopedPolicy {
  createdAt: string;
  createdBy: string;
  source?: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  reason?: string;
  details?: unknown;
}

/**
 * The current policies, parsed, per open database and valid for one stored state: every use reads the
 * state (newest version id and row count, one aggregate row) and re-reads the policies only when it
 * moved, so a change made by any replica sharing the database is seen on the next use. (The count
 * catches a version committed after a higher id on PostgreSQL: versions are only ever added.)
 */
const currentCache = new WeakMap<Database, { state: string; list: StoredPolicy[] }>();

/** how often the current policies were read and parsed from the database (tests: the cache works) */
export const policyCacheStats = { reads: 0 };

export class PolicyStore {
  private readonly database: Database;
  constructor(database: Database) { this.database = database; }

  /** The newest policy version id (0 when none): it moves whenever any policy changes. */
  async generation(): Promise<number> {
    const p = await this.database.db.select({ v: max(policyVersions.id) }).from(policyVersions);
    return p[0]?.v ?? 0;
  }

  /** Every current (not deleted) policy, latest version of each name (cached while no policy changes). */
  async current(): Promise<StoredPolicy[]> {
    const s = await this.database.db.select({ v: max(policyVersions.id), n: count() }).from(policyVersions);
    const state = `${s[0]?.v ?? 0}:${s[0]?.n ?? 0}`;
    const hit = currentCache.get(this.database);
    if (hit?.state === state) return [...hit.list];
    const list = await this.readCurrent();
    currentCache.set(this.database, { state, list });
    return [...list];
  }

  private async readCurrent(): Promise<StoredPolicy[]> {
    policyCacheStats.reads++;
    const db = this.database.db;
    const latest = db.select({ name: policyVersions.name, version: max(policyVersions.version).as('v') }).from(policyVersions).groupBy(policyVersions.name).as('latest');
    const rows = await db.select().from(policyVersions)
      .innerJoin(latest, and(eq(latest.name, policyVersions.name), eq(latest.version, policyVersions.version)))
      .orderBy(policyVersions.name);
    return rows.filter((r) => !r.policy_versions.deleted).map((r) => toStored(r.policy_versions));
  }

  /** A policy by name (latest version, or the given one); undefined when unknown or deleted. */
  async get(name: string, version?: number): Promise<StoredPolicy | undefined> {
    const db = this.database.db;
    const rows = await db.select().from(policyVersions)
      .where(version === undefined ? eq(policyVersions.name, name) : and(eq(policyVersions.name, name), eq(policyVersions.version, version)))
      .orderBy(desc(policyVersions.version)).limit(1);
    const r = rows[0];
    return r && !r.deleted ? toStored(r) : undefined;
  }

  /** Versions of one policy, newest first (deletions included, as "deleted"). */
  async history(name: string): Promise<{ version: number; deleted: boolean; createdAt: string; createdBy: string }[]> {
    const rows = await this.database.db.select().from(policyVersions).where(eq(policyVersions.name, name)).orderBy(desc(policyVersions.version));
    return rows.map((r) => ({ version: r.version, deleted: r.deleted, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy }));
  }

  /**
   * Store a new version. Refused (CustomsError 'conflict') when another current policy has an equally
   * specific overlapping scope: which one governs an image must never be an accident.
   */
  async apply(doc: unknown, opts: { actor: string; source?: string }): Promise<StoredPolicy> {
    const policy = validatePolicy(doc);
    const others = (await this.current()).map((p) => p.policy);
    const clash = conflictingPolicies(policy, others);
    if (clash.length) {
      throw new CustomsError('conflict', `policy ${policy.metadata.name}: its scope is as specific as that of ${clash.map((p) => p.metadata.name).join(', ')} for the same images; narrow one scope or merge the policies`);
    }
    const now = new Date();
    // next version read, then both writes in one batch (no write lock held across awaits); two
    // applies racing on one name collide on the (name, version) unique index and one is refused
    const db = this.database.db;
    const prev = await db.select({ v: max(policyVersions.version) }).from(policyVersions).where(eq(policyVersions.name, policy.metadata.name));
    const version = (prev[0]?.v ?? 0) + 1;
    try {
      await db.batch([
        db.insert(policyVersions).values({ name: policy.metadata.name, version, document: JSON.stringify(policy), source: opts.source ?? null, deleted: false, createdAt: now, createdBy: opts.actor }),
        db.insert(auditLog).values({ at: now, actor: opts.actor, action: 'policy.apply', subject: `policy:${policy.metadata.name}`, details: JSON.stringify({ version, mode: policy.spec.mode }) }),
      ]);
    } catch (e) {
      if (/UNIQUE/i.test(String((e as Error)?.message))) throw new CustomsError('usage', `policy ${policy.metadata.name} was changed at the same time by someone else; apply again`);
      throw e;
    }
    log.info({ policy: policy.metadata.name, version, actor: opts.actor }, 'policy applied');
    return { policy, version, createdAt: now.toISOString(), createdBy: opts.actor, ...(opts.source ? { source: opts.source } : {}) };
  }

  /** Delete (a tombstone version). Throws 'not-found' for an unknown or already deleted name. */
  async delete(name: string, opts: { actor: string; reason?: string }): Promise<number> {
    const cur = await this.get(name);
    if (!cur) throw new CustomsError('not-found', `no policy named ${name}`);
    const now = new Date();
    const version = cur.version + 1;
    const db = this.database.db;
    await db.batch([
      db.insert(policyVersions).values({ name, version, document: null, source: null, deleted: true, createdAt: now, createdBy: opts.actor }),
      db.insert(auditLog).values({ at: now, actor: opts.actor, action: 'policy.delete', subject: `policy:${name}`, reason: opts.reason ?? null, details: JSON.stringify({ version }) }),
    ]);
    log.info({ policy: name, version, actor: opts.actor }, 'policy deleted');
    return version;
  }

  /** The policy governing an image: most specific stored scope, else the built-in default (version 0). */
  async governing(registry: string, repository: string): Promise<ScopedPolicy> {
    return governingPolicy(await this.current(), registry, repository);
  }

  async audit(entry: { actor: string; action: string; subject: string; reason?: string; details?: unknown }): Promise<void> {
    await this.database.db.insert(auditLog).values({
      at: new Date(), actor: entry.actor, action: entry.action, subject: entry.subject,
      reason: entry.reason ?? null, details: entry.details === undefined ? null : JSON.stringify(entry.details),
    });
  }

  /** Audit entries, newest first, optionally for one subject; `before` is an id for paging. */
  async auditEntries(opts: { subject?: string; limit?: number; before?: number } = {}): Promise<AuditEntry[]> {
    const db = this.database.db;
    const rows = await db.select().from(auditLog)
      .where(and(opts.subject ? eq(auditLog.subject, opts.subject) : undefined, opts.before !== undefined ? lt(auditLog.id, opts.before) : undefined))
      .orderBy(desc(auditLog.id)).limit(Math.min(opts.limit ?? 100, 1000));
    return rows.map((r) => ({
      id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, subject: r.subject,
      ...(r.reason ? { reason: r.reason } : {}),
      ...(r.details ? { details: JSON.parse(r.details) } : {}),
    }));
  }
}

export function governingPolicy(policies: readonly ScopedPolicy[], registry: string, repository: string): ScopedPolicy {
  return selectPolicy(policies, registry, repository) ?? { policy: DEFAULT_POLICY, version: 0 };
}

function toStored(r: typeof policyVersions.$inferSelect): StoredPolicy {
  return {
    policy: JSON.parse(r.document!) as Policy,
    version: r.version,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    ...(r.source ? { source: r.source } : {}),
  };
}
