// Verdicts as stored for the gate and the API, and the quarantine state machine:
//   none ──fail (enforce)──▶ quarantined ──release (operator, reason)──▶ released
// A released digest stays released; a later failing verdict from a policy or database change is
// recorded and reported, and re-quarantines only when the policy says `requarantineReleased`.
import { and, asc, eq, getTableColumns, gte, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import type { ChangeCursor } from '../db/statements.ts';
import { auditLog, imageVerdicts } from '../db/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import type { Policy } from '../policy/schema.ts';
import type { ImageVerdict } from '../policy/verdicts.ts';
import { verdictIdentity } from '../attest/statements.ts';
import type { BatchItem } from 'drizzle-orm/batch';

export type QuarantineState = 'none' | 'quarantined' | 'released';

export interface StoredVerdict {
  registry: string;
  repository: string;
  digest: string;
  rootDigest: string;
  verdict: 'pass' | 'warn' | 'fail';
  policyName: string;
  policyVersion: number;
  mode: 'enforce' | 'audit';
  dbVersion: string | null;
  summary: string;
  quarantine: QuarantineState;
  gated: boolean;
  evaluatedAt: string;
  scanId: string | null;
  releasedBy?: string;
  releasedAt?: string;
  releaseReason?: string;
}

export interface VerdictChange {
  before?: { verdict: string; quarantine: QuarantineState };
  after: { verdict: string; quarantine: QuarantineState };
  /** the quarantine state changed to quarantined now: fail actions are due */
  quarantinedNow: boolean;
  /** a released image failed again and stays released (to report) */
  failedWhileReleased: boolean;
  /** what was queued for publication with this verdict (nothing when the published form is unchanged) */
  published?: PublishStatements;
}

/** Which statements a publication carries: the verdict alone, or all three (findings changed). */
export type PublishStatements = 'verdict' | 'all';

/**
 * Publication wanted with a verdict (undefined: nothing is published, neither attestations nor
 * status tags are configured). `findingsChanged`: a new scan or a re-match, so every statement is due;
 * otherwise only a verdict whose published form changed is queued. `queue` writes the publication
 * (the outbox, src/publish/outbox.ts) in the verdict's own batch.
 */
export interface PublishWanted {
  findingsChanged: boolean;
  queue: QueuePublication;
}

/** The write that queues an image's publication, run in the caller's batch (the outbox: src/publish/outbox.ts). */
export type QueuePublication = (image: { registry: string; repository: string; digest: string }, statements: PublishStatements, now: Date) => BatchItem<'sqlite'>;

type Row = typeof imageVerdicts.$inferSelect;

// Verdicts written by this process: readers that keep verdicts in memory (the admission webhook's
// index, src/admission/verdict-index.ts) are told which rows changed, synchronously, before the
// write returns; other processes' writes they poll for (verdictsChangedSince).
export type VerdictKey = { registry: string; repository: string; digest: string };
const written = new Set<(keys: readonly VerdictKey[]) => void>();
/** Called after every verdict write of this process (recordVerdict, releaseImage) with the rows it changed; returns the unsubscribe. */
export function onVerdictsWritten(listener: (keys: readonly VerdictKey[]) => void): () => void {
  written.add(listener);
  return () => { written.delete(listener); };
}
function verdictsWritten(keys: readonly VerdictKey[]): void {
  for (const l of written) {
    try { l(keys); } catch (e) { log.warn({ err: (e as Error).message }, 'a verdict listener failed'); }
  }
}

/**
 * One page of the verdict rows evaluated or released at or after `since` (every row from the epoch),
 * without the details JSON, in (evaluated_at, key) order; `after` continues from a page's `next`
 * (keyset paging: each page costs the same however far in).
 */
export async function verdictsChangedSince(database: Database, since: Date, page: { limit: number; after?: ChangeCursor }): Promise<{ rows: StoredVerdict[]; next?: ChangeCursor }> {
  const { details: _d, ...cols } = getTableColumns(imageVerdicts);
  const a = page.after;
  const rows = await database.db.select(cols).from(imageVerdicts)
    .where(and(or(gte(imageVerdicts.evaluatedAt, since), gte(imageVerdicts.releasedAt, since)),
      a ? sql`(${imageVerdicts.evaluatedAt}, ${imageVerdicts.registry}, ${imageVerdicts.repository}, ${imageVerdicts.digest}) > (${a.at}, ${a.k1}, ${a.k2}, ${a.k3})` : undefined))
    .orderBy(asc(imageVerdicts.evaluatedAt), asc(imageVerdicts.registry), asc(imageVerdicts.repository), asc(imageVerdicts.digest))
    .limit(page.limit);
  const last = rows.at(-1);
  return {
    rows: rows.map((r) => toStored({ ...r, details: '' })),
    ...(last && rows.length === page.limit ? { next: { at: last.evaluatedAt.getTime(), k1: last.registry, k2: last.repository, k3: last.digest } } : {}),
  };
}

export function summarize(v: ImageVerdict): string {
  const reasons = v.platforms.flatMap((p) => p.reasons.filter((r) => r.outcome === 'fail').map((r) => r.message));
  const uniq = [...new Set(reasons)];
  if (!uniq.length) return v.verdict;
  const text = uniq.slice(0, 2).join('; ') + (uniq.length > 2 ? `; and ${uniq.length - 2} more` : '');
  return text.length > 400 ? text.slice(0, 397) + '...' : text;
}

/** Store the verdict of an image (root and platform rows) and move its quarantine state. */
export async function recordVerdict(
  database: Database,
  image: { registry: string; repository: string; digest: string },
  v: ImageVerdict,
  policy: Policy,
  scanId: string | null,
  publish?: PublishWanted,
): Promise<VerdictChange> {
  const now = new Date();
  const key = and(eq(imageVerdicts.registry, image.registry), eq(imageVerdicts.repository, image.repository), eq(imageVerdicts.digest, image.digest));
  // one read, then every write in one batch (a single short write transaction: no lock held across awaits)
  const db = database.db;
  const prev = (await db.select().from(imageVerdicts).where(key).limit(1))[0];
  const enforce = policy.spec.mode === 'enforce';
  const failing = v.verdict === 'fail' && enforce;
  let quarantine: QuarantineState;
  let failedWhileReleased = false;
  if (!failing) quarantine = prev?.quarantine === 'released' ? 'released' : 'none';
  else if (prev?.quarantine === 'released') {
    const changed = prev.policyVersion !== v.policy.version || prev.policyName !== v.policy.name || prev.dbVersion !== v.dbVersion;
    failedWhileReleased = changed;
    quarantine = changed && policy.spec.actions.requarantineReleased ? 'quarantined' : 'released';
  } else quarantine = 'quarantined';
  const gated = quarantine === 'quarantined' && policy.spec.actions.fail.some((a) => a.type === 'gate');
  const summary = summarize(v);
  const base = {
    registry: image.registry, repository: image.repository, rootDigest: image.digest,
    policyName: v.policy.name, policyVersion: v.policy.version, mode: v.policy.mode, dbVersion: v.dbVersion,
    scanId, evaluatedAt: now, quarantine, gated,
    ...(quarantine === 'released' ? {} : { releasedAt: null, releasedBy: null, releaseReason: null }),
  };
  const rows = [
    { ...base, digest: image.digest, verdict: v.verdict, summary, details: JSON.stringify(v) },
    ...v.platforms.filter((p) => p.manifestDigest !== image.digest).map((p) => ({
      ...base, digest: p.manifestDigest, verdict: v.verdict, summary,
      details: JSON.stringify({ ...v, platforms: [p] }),
    })),
  ];
  const quarantinedNow = quarantine === 'quarantined' && prev?.quarantine !== 'quarantined';
  const writes = rows.map((r) => db.insert(imageVerdicts).values(r).onConflictDoUpdate({
    target: [imageVerdicts.registry, imageVerdicts.repository, imageVerdicts.digest],
    set: { ...r },
  }));
  const audit = quarantinedNow
    ? [db.insert(auditLog).values({ at: now, actor: 'customs', action: 'quarantine', subject: image.digest, reason: summary, details: JSON.stringify({ registry: image.registry, repository: image.repository, policy: `${v.policy.name}@${v.policy.version}`, dbVersion: v.dbVersion }) })]
    : [];
  // the publication rides in the verdict's own transaction (the outbox): a crash after this commit
  // still publishes, a crash before it leaves neither
  const releasedAt = quarantine === 'released' ? prev?.releasedAt?.toISOString() : undefined;
  const published = publish && (publish.findingsChanged || !prev || publishedIdentity(prev) !== verdictIdentity(v, { state: quarantine, ...(releasedAt ? { releasedAt } : {}) }))
    ? (publish.findingsChanged || !prev ? 'all' : 'verdict') : undefined;
  const outbox = published ? [publish!.queue(image, published, now)] : [];
  await db.batch([writes[0]!, ...writes.slice(1), ...audit, ...outbox]);
  verdictsWritten(rows.map((r) => ({ registry: r.registry, repository: r.repository, digest: r.digest })));
  return {
    ...(prev ? { before: { verdict: prev.verdict, quarantine: prev.quarantine as QuarantineState } } : {}),
    after: { verdict: v.verdict, quarantine },
    quarantinedNow, failedWhileReleased,
    ...(published ? { published } : {}),
  };
}

/** The published identity of a stored root verdict row (see verdictIdentity). */
function publishedIdentity(r: Row): string {
  let v: ImageVerdict;
  try { v = JSON.parse(r.details) as ImageVerdict; } catch { return ''; }
  return verdictIdentity(v, { state: r.quarantine as QuarantineState, ...(r.releasedAt ? { releasedAt: r.releasedAt.toISOString() } : {}) });
}

/** The stored root verdict of an image with its full evaluation (reasons per platform): what is published. */
export async function rootVerdict(database: Database, image: { registry: string; repository: string; digest: string }): Promise<{ stored: StoredVerdict; verdict: ImageVerdict } | undefined> {
  const r = (await database.db.select().from(imageVerdicts)
    .where(and(eq(imageVerdicts.registry, image.registry), eq(imageVerdicts.repository, image.repository), eq(imageVerdicts.digest, image.digest))).limit(1))[0];
  if (!r || r.rootDigest !== r.digest) return undefined;
  return { stored: toStored(r), verdict: JSON.parse(r.details) as ImageVerdict };
}

/** The verdict for a digest pulled from a repository (root or platform manifest). */
export async function verdictFor(database: Database, registry: string, repository: string, digest: string): Promise<StoredVerdict | undefined> {
  const r = (await database.db.select().from(imageVerdicts)
    .where(and(eq(imageVerdicts.registry, registry), eq(imageVerdicts.repository, repository), eq(imageVerdicts.digest, digest))).limit(1))[0];
  return r ? toStored(r) : undefined;
}

/** A stored verdict with the reasons behind it, per platform (the API's verdict view). */
export type ReasonedVerdict = StoredVerdict & { platforms: { platform: string; manifestDigest: string; verdict: string; reasons: { rule: string; outcome: string; message: string; subjects: string[] }[] }[] };

/** The verdict rows pulled by this digest (root or platform), each with its reasons. */
export async function verdictsWithReasons(database: Database, digest: string): Promise<ReasonedVerdict[]> {
  const rows = await database.db.select().from(imageVerdicts).where(eq(imageVerdicts.digest, digest));
  return rows.map((r) => {
    let v: Partial<ImageVerdict> = {};
    try { v = JSON.parse(r.details) as ImageVerdict; } catch { /* a row whose details do not parse shows no reasons */ }
    return {
      ...toStored(r),
      platforms: (v.platforms ?? []).map((p) => ({ platform: p.platform, manifestDigest: p.manifestDigest, verdict: p.verdict, reasons: p.reasons.map((x) => ({ rule: x.rule, outcome: x.outcome, message: x.message, subjects: x.subjects })) })),
    };
  });
}

/** The root verdicts of every quarantined image (in the table's order). */
export async function quarantinedRoots(database: Database): Promise<StoredVerdict[]> {
  const rows = await database.db.select().from(imageVerdicts).where(eq(imageVerdicts.quarantine, 'quarantined'));
  return rows.filter((r) => r.digest === r.rootDigest).map(toStored);
}

/** Every stored verdict row of an image, by its root or a platform digest. */
export async function verdictsOf(database: Database, digest: string): Promise<StoredVerdict[]> {
  const rows = await database.db.select().from(imageVerdicts).where(or(eq(imageVerdicts.rootDigest, digest), eq(imageVerdicts.digest, digest)));
  return rows.map(toStored);
}

/**
 * Release a quarantined image (every repository holding that digest, or one). A reason is
 * mandatory; the decision goes to the audit log. Throws 'not-found' when nothing is quarantined.
 */
export async function releaseImage(database: Database, digest: string, opts: { actor: string; reason: string; repository?: string; queue?: QueuePublication }): Promise<StoredVerdict[]> {
  const reason = opts.reason?.trim();
  if (!reason) throw new CustomsError('usage', 'a release needs a reason');
  if (reason.length > 2000) throw new CustomsError('usage', 'the reason is longer than 2000 characters');
  const now = new Date();
  const rows = (await verdictsOf(database, digest)).filter((r) => !opts.repository || r.repository === opts.repository);
  const roots = new Set(rows.filter((r) => r.quarantine === 'quarantined').map((r) => `${r.registry}\0${r.repository}\0${r.rootDigest}`));
  if (roots.size === 0) throw new CustomsError('not-found', `${digest} is not quarantined${opts.repository ? ` in ${opts.repository}` : ''}`);
  const db = database.db;
  const writes = [...roots].flatMap((k) => {
    const [registry, repository, root] = k.split('\0') as [string, string, string];
    return [
      db.update(imageVerdicts).set({ quarantine: 'released', gated: false, releasedAt: now, releasedBy: opts.actor, releaseReason: reason })
        .where(and(eq(imageVerdicts.registry, registry), eq(imageVerdicts.repository, repository), eq(imageVerdicts.rootDigest, root))),
      db.insert(auditLog).values({ at: now, actor: opts.actor, action: 'release', subject: root, reason, details: JSON.stringify({ registry, repository }) }),
      // the published verdict now says released (same transaction: see recordVerdict)
      ...(opts.queue ? [opts.queue({ registry, repository, digest: root }, 'verdict', now)] : []),
    ];
  });
  await db.batch([writes[0]!, ...writes.slice(1)]);
  // every row of the released roots (their platform rows too)
  const changed = (await Promise.all([...roots].map((k) => verdictsOf(database, k.split('\0')[2]!)))).flat()
    .filter((r) => roots.has(`${r.registry}\0${r.repository}\0${r.rootDigest}`));
  verdictsWritten(changed);
  log.info({ digest, actor: opts.actor, images: roots.size }, 'image released from quarantine');
  return (await verdictsOf(database, digest)).filter((r) => !opts.repository || r.repository === opts.repository);
}

function toStored(r: Row): StoredVerdict {
  return {
    registry: r.registry, repository: r.repository, digest: r.digest, rootDigest: r.rootDigest,
    verdict: r.verdict as StoredVerdict['verdict'], policyName: r.policyName, policyVersion: r.policyVersion,
    mode: r.mode as StoredVerdict['mode'], dbVersion: r.dbVersion, summary: r.summary,
    quarantine: r.quarantine as QuarantineState, gated: r.gated, evaluatedAt: r.evaluatedAt.toISOString(), scanId: r.scanId,
    ...(r.releasedBy ? { releasedBy: r.releasedBy } : {}),
    ...(r.releasedAt ? { releasedAt: r.releasedAt.toISOString() } : {}),
    ...(r.releaseReason ? { releaseReason: r.releaseReason } : {}),
  };
}

/**
 * The verdicts of several (registry, repository, digest) at once, in one raw query: the admission
 * webhook judges every container of a pod on the API server's clock, and a query built by drizzle
 * costs more than the primary-key lookups themselves. Same rows and mapping as verdictFor.
 */
export async function verdictsForMany(database: Database, keys: readonly { registry: string; repository: string; digest: string }[]): Promise<(StoredVerdict | undefined)[]> {
  if (!keys.length) return [];
  const rs = await database.client.execute({
    sql: `SELECT registry, repository, digest, root_digest, verdict, policy_name, policy_version, mode, db_version, summary, scan_id,
                 evaluated_at, quarantine, gated, released_at, released_by, release_reason
          FROM image_verdicts WHERE ${keys.map(() => '(registry = ? AND repository = ? AND digest = ?)').join(' OR ')}`,
    args: keys.flatMap((k) => [k.registry, k.repository, k.digest]),
  });
  const found = new Map<string, StoredVerdict>();
  for (const r of rs.rows) {
    const date = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));
    const row = {
      registry: String(r.registry), repository: String(r.repository), digest: String(r.digest), rootDigest: String(r.root_digest),
      verdict: String(r.verdict), policyName: String(r.policy_name), policyVersion: Number(r.policy_version), mode: String(r.mode),
      dbVersion: r.db_version === null ? null : String(r.db_version), summary: String(r.summary), details: '', scanId: r.scan_id === null ? null : String(r.scan_id),
      evaluatedAt: date(r.evaluated_at)!, quarantine: String(r.quarantine), gated: Number(r.gated) === 1,
      releasedAt: date(r.released_at), releasedBy: r.released_by === null ? null : String(r.released_by), releaseReason: r.release_reason === null ? null : String(r.release_reason),
    } satisfies Row;
    found.set(`${row.registry}\0${row.repository}\0${row.digest}`, toStored(row));
  }
  return keys.map((k) => found.get(`${k.registry}\0${k.repository}\0${k.digest}`));
}
