// The ONE verdict path. Every event that can change an image's verdict — a new scan, a re-evaluation
// after a policy or database change, a signature push, a release — goes through here:
//   evaluate → record the verdict (and, in the same transaction, the publication it makes due)
//   → act in the registry (only when policy.actions is on) → wake the publisher.
// The context is built once from the configuration (judgeContext), so no path can forget a switch.
import type { TrustMaterial } from '@sigstore/verify';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import type { ActiveException } from '../policy/exceptions.ts';
import type { ScopedPolicy } from '../policy/scope.ts';
import { vexExceptions } from '../policy/vex-store.ts';
import type { RegistryClient } from '../registry/client.ts';
import { governingPolicy, PolicyStore } from '../policy/store.ts';
import { evaluateReport, type ImageVerdict } from '../policy/verdicts.ts';
import type { ScanReport } from '../scan/types.ts';
import { matchOptions } from '../scan/scan-image.ts';
import type { MatchOptions } from '../vulndb/match.ts';
import type { Finding } from '../vulndb/types.ts';
import { policySignatures } from '../signing/policy-signatures.ts';
import { runActions, undoActions, type ActionContext, type ActionRecord, type ImageTarget } from '../quarantine/actions.ts';
import { markUndone, openFailActions, recordActions } from '../quarantine/action-store.ts';
import { recordVerdict, releaseImage, summarize, type QueuePublication, type StoredVerdict, type VerdictChange } from '../quarantine/verdict-store.ts';
import { queuePublication } from '../publish/outbox.ts';

/** Everything a verdict needs besides the image: built once per process from the configuration. */
export interface JudgeContext {
  database: Database;
  /** registry client, keyless trust root and `dryRun` = !policy.actions */
  actions: ActionContext;
  /** verdicts are published (attestations.enabled or workers.statusTags): queue them in the outbox */
  publish: boolean;
  /** a publication was queued: wake the publisher (it also polls) */
  onPublicationQueued?: () => void;
  /** how inventories are matched again on re-evaluation (config `vulndb`) */
  match?: MatchOptions;
  /** a re-match against an updated database found findings the image did not have (newly published advisories) */
  onNewFindings?: (image: ImageTarget, added: NewFindings[]) => void;
}

/** The findings a re-match added, per platform (the digest that platform runs as). */
export interface NewFindings { manifestDigest: string; platform: string; findings: Finding[] }

export function judgeContext(cfg: Config, database: Database, client: RegistryClient, opts: { trust?: TrustMaterial | undefined; ecrEndpoint?: string; onPublicationQueued?: () => void; onNewFindings?: JudgeContext['onNewFindings'] } = {}): JudgeContext {
  return {
    database,
    actions: { client, dryRun: !cfg.policy.actions, ...(opts.trust ? { trust: opts.trust } : {}), ...(opts.ecrEndpoint ? { ecrEndpoint: opts.ecrEndpoint } : {}) },
    publish: cfg.attestations.enabled || cfg.workers.statusTags,
    match: matchOptions(cfg),
    ...(opts.onPublicationQueued ? { onPublicationQueued: opts.onPublicationQueued } : {}),
    ...(opts.onNewFindings ? { onNewFindings: opts.onNewFindings } : {}),
  };
}

export interface JudgeOptions {
  /** a new scan or a re-match: the findings may differ from what was published (all statements due) */
  findingsChanged: boolean;
  /** read once by a caller judging many images */
  exceptions?: ActiveException[];
  policies?: ScopedPolicy[];
}

export interface EnforceResult {
  verdict: ImageVerdict;
  /** the signatures found and how each was judged (only when the policy has a signature rule) */
  signatures?: NonNullable<Awaited<ReturnType<typeof policySignatures>>>['results'];
  change: VerdictChange;
  actions: ActionRecord[];
}

export async function judge(ctx: JudgeContext, image: ImageTarget, report: ScanReport, scanId: string | null, opts: JudgeOptions): Promise<EnforceResult> {
  const deps = ctx;
  // current policies read once: the governing one, and the quarantine repositories of all of them
  const all = opts.policies ?? await new PolicyStore(deps.database).current();
  const governing = governingPolicy(all, image.registry, image.repository);
  const exceptions = opts.exceptions ?? await vexExceptions(deps.database);
  const signed = await policySignatures(deps.actions.client, image, governing.policy, deps.database, deps.actions.trust);
  const verdict = evaluateReport(report, image, governing, { exceptions, ...(signed ? { signatures: signed.statuses } : {}) });
  const change = await recordVerdict(deps.database, image, verdict, governing.policy, scanId, ctx.publish ? { findingsChanged: opts.findingsChanged, queue: queueIn(deps.database) } : undefined);
  if (change.published) ctx.onPublicationQueued?.();
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
    await recordActions(deps.database, image, trigger, actions);
  }
  log.info({ image: `${image.registry}/${image.repository}@${image.digest}`, verdict: verdict.verdict, policy: message.policy, quarantine: change.after.quarantine, actions: actions.map((a) => `${a.type}:${a.ok ? 'ok' : 'failed'}`) }, 'verdict');
  return { verdict, change, actions, ...(signed ? { signatures: signed.results } : {}) };
}

/** Release (operator decision with a reason) and undo the registry side of the quarantine. */
export async function release(
  deps: JudgeContext,
  digest: string,
  opts: { actor: string; reason: string; repository?: string },
): Promise<{ released: StoredVerdict[]; undone: ActionRecord[] }> {
  const released = await releaseImage(deps.database, digest, { ...opts, ...(deps.publish ? { queue: queueIn(deps.database) } : {}) });
  if (deps.publish) deps.onPublicationQueued?.();
  const undone: ActionRecord[] = [];
  const roots = new Map(released.filter((r) => r.digest === r.rootDigest).map((r) => [`${r.registry}\0${r.repository}`, r]));
  for (const r of roots.values()) {
    const root = { registry: r.registry, repository: r.repository, digest: r.rootDigest };
    const open = await openFailActions(deps.database, root);
    undone.push(...await undoActions(deps.actions, open.map((x) => x.record), root));
    await markUndone(deps.database, open.map((x) => x.id), new Date());
  }
  return { released, undone };
}

/** A verdict's publication goes into the outbox in the verdict's own transaction. */
function queueIn(database: Database): QueuePublication {
  return (image, statements, now) => queuePublication(database, image, statements, now);
}
