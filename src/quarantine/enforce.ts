// After a scan (or a re-evaluation): evaluate the governing policy, store the verdict, and act in
// the registry when the quarantine state changes. Release undoes what the actions did.
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../db/client.ts';
import { quarantineActions, vexDocuments } from '../db/schema.ts';
import { log } from '../log.ts';
import type { ActiveException } from '../policy/exceptions.ts';
import { openVexExceptions } from '../policy/openvex.ts';
import type { ScopedPolicy } from '../policy/scope.ts';
import { governingPolicy, PolicyStore } from '../policy/store.ts';
import { evaluateReport, type ImageVerdict } from '../policy/verdicts.ts';
import type { ScanReport } from '../scan/types.ts';
import { policySignatures } from '../signing/policy-signatures.ts';
import { runActions, undoActions, type ActionContext, type ActionRecord, type ImageTarget } from './actions.ts';
import { recordVerdict, releaseImage, summarize, type StoredVerdict, type VerdictChange } from './verdict-store.ts';

export interface EnforceResult {
  verdict: ImageVerdict;
  /** the signatures found and how each was judged (only when the policy has a signature rule) */
  signatures?: NonNullable<Awaited<ReturnType<typeof policySignatures>>>['results'];
  change: VerdictChange;
  actions: ActionRecord[];
}

/** Exceptions from every imported OpenVEX document (documents that no longer parse are skipped, with a log line). */
export async function vexExceptions(database: Database): Promise<ActiveException[]> {
  const rows = await database.db.select().from(vexDocuments);
  const out: ActiveException[] = [];
  for (const r of rows) {
    try { out.push(...openVexExceptions(r.content, `OpenVEX ${r.docId}`)); } catch (e) { log.warn({ doc: r.docId, err: (e as Error).message }, 'stored OpenVEX document skipped'); }
  }
  return out;
}

/** Store an OpenVEX document (validated first); returns how many exceptions it yields. */
export async function importVex(database: Database, text: string, actor: string): Promise<{ docId: string; exceptions: number }> {
  const ex = openVexExceptions(text);
  const docId = ex[0]?.source.replace(/^openvex:/, '') ?? 'openvex';
  await database.db.insert(vexDocuments).values({ docId, content: text, importedAt: new Date(), importedBy: actor });
  return { docId, exceptions: ex.length };
}

export async function enforce(
  deps: { database: Database; actions: ActionContext; exceptions?: ActiveException[]; policies?: ScopedPolicy[] },
  image: ImageTarget,
  report: ScanReport,
  scanId: string | null,
): Promise<EnforceResult> {
  // current policies read once: the governing one, and the quarantine repositories of all of them
  const all = deps.policies ?? await new PolicyStore(deps.database).current();
  const governing = governingPolicy(all, image.registry, image.repository);
  const exceptions = deps.exceptions ?? await vexExceptions(deps.database);
  const signed = await policySignatures(deps.actions.client, image, governing.policy, deps.database, deps.actions.trust);
  const verdict = evaluateReport(report, image, governing, { exceptions, ...(signed ? { signatures: signed.statuses } : {}) });
  const change = await recordVerdict(deps.database, image, verdict, governing.policy, scanId);
  const policy = governing.policy;
  let actions: ActionRecord[] = [];
  const message = { verdict: verdict.verdict, summary: summarize(verdict), policy: `${policy.metadata.name}@${governing.version}` };
  // copies Customs moved into a quarantine repository are judged (their verdict is visible) but
  // never acted on again: their own push notifications must not start a second quarantine
  const isQuarantineCopy = all.some((p) => p.policy.spec.actions.fail.some((a) => a.type === 'move' && a.repository === image.repository));
  if (policy.spec.mode === 'enforce' && !isQuarantineCopy) {
    if (change.quarantinedNow) {
      actions = await runActions(deps.actions, policy.spec.actions.fail, image, message);
    } else if (verdict.verdict !== 'fail' && change.before?.verdict !== verdict.verdict && policy.spec.actions.pass.length) {
      actions = await runActions(deps.actions, policy.spec.actions.pass, image, message);
    } else if (change.failedWhileReleased) {
      // reported, not acted on (the policy did not ask for re-quarantine): notify only
      actions = await runActions(deps.actions, policy.spec.actions.fail.filter((a) => a.type === 'notify'), image, { ...message, summary: `failed again while released: ${message.summary}` });
    }
  }
  if (actions.length) {
    const trigger = verdict.verdict === 'fail' ? 'fail' : 'pass';
    await deps.database.db.insert(quarantineActions).values(actions.map((a) => ({
      registry: image.registry, repository: image.repository, digest: image.digest, trigger,
      type: a.type, ok: a.ok, detail: a.detail, undo: a.undo ? JSON.stringify(a.undo) : null, createdAt: new Date(),
    })));
  }
  log.info({ image: `${image.registry}/${image.repository}@${image.digest}`, verdict: verdict.verdict, policy: message.policy, quarantine: change.after.quarantine, actions: actions.map((a) => `${a.type}:${a.ok ? 'ok' : 'failed'}`) }, 'verdict');
  return { verdict, change, actions, ...(signed ? { signatures: signed.results } : {}) };
}

/** Release (operator decision with a reason) and undo the registry side of the quarantine. */
export async function release(
  deps: { database: Database; actions: ActionContext },
  digest: string,
  opts: { actor: string; reason: string; repository?: string },
): Promise<{ released: StoredVerdict[]; undone: ActionRecord[] }> {
  const released = await releaseImage(deps.database, digest, opts);
  const undone: ActionRecord[] = [];
  const roots = new Map(released.filter((r) => r.digest === r.rootDigest).map((r) => [`${r.registry}\0${r.repository}`, r]));
  for (const r of roots.values()) {
    const rows = await deps.database.db.select().from(quarantineActions)
      .where(and(eq(quarantineActions.registry, r.registry), eq(quarantineActions.repository, r.repository), eq(quarantineActions.digest, r.rootDigest), eq(quarantineActions.trigger, 'fail'), isNull(quarantineActions.undoneAt)))
      .orderBy(desc(quarantineActions.id));
    const records: ActionRecord[] = rows.map((x) => ({ type: x.type as ActionRecord['type'], ok: x.ok, detail: x.detail, ...(x.undo ? { undo: JSON.parse(x.undo) } : {}) }));
    undone.push(...await undoActions(deps.actions, records, { registry: r.registry, repository: r.repository, digest: r.rootDigest }));
    const now = new Date();
    for (const x of rows) await deps.database.db.update(quarantineActions).set({ undoneAt: now }).where(eq(quarantineActions.id, x.id));
  }
  return { released, undone };
}
