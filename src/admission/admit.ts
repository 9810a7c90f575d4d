// One AdmissionReview request → one AdmissionResponse: exemptions, every container image resolved
// and judged from stored verdicts, audit mode. Database reads only on this path (a tag Customs never
// saw is the one exception: a HEAD bounded by admission.resolveTimeoutMs, to allow-listed registries).
import type { AdmissionConfig } from '../config/admission-schema.ts';
import type { VerdictLookup, VerdictLookupResult } from '../gate/lookup.ts';
import { log } from '../log.ts';
import { decideImage, unscannedOutcome, warningText } from './decide.ts';
import { resolveImages, type Resolved, type ResolveDeps } from './resolve.ts';
import { containerImages, objectLabels, podSpecOf, type ReviewRequest } from './review.ts';

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  warnings?: string[];
}

export interface AdmitDeps extends ResolveDeps {
  /** admission.registries as a predicate (see ResolveDeps.mayAsk) */
  cfg: AdmissionConfig;
  /** the stored-verdict lookup (the database's, or the webhook's in-memory index) */
  verdicts: Pick<VerdictLookup, 'lookupMany'>;
  /** queue a scan (admission.unscanned: scan); absent: none is queued */
  queueScan?: (image: { registry: string; repository: string; digest?: string; tag?: string }) => Promise<void>;
  /** record what audit mode let through (the audit log) */
  record?: (entry: { subject: string; reason: string; details: Record<string, unknown> }) => Promise<void>;
}

/** Per image, what was decided: the answer's reasons, and what tests and logs look at. */
export interface ImageReport { container: string; image: string; digest?: string; outcome: 'allow' | 'warn' | 'deny'; message?: string }

const MAX_DENY_MESSAGE = 1024;

/** Subresources that carry a pod spec worth judging; any other (status, binding, eviction…) passes. */
const JUDGED_SUBRESOURCES = new Set(['', 'ephemeralcontainers']);

export async function admit(req: ReviewRequest, deps: AdmitDeps): Promise<{ response: AdmissionResponse; images: ImageReport[] }> {
  const allow = (warnings: string[] = [], images: ImageReport[] = []) => ({ response: { uid: req.uid, allowed: true, ...(warnings.length ? { warnings } : {}) }, images });
  if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return allow();
  if (!req.object || !JUDGED_SUBRESOURCES.has(req.subResource ?? '')) return allow();
  const pod = podSpecOf(req.kind, req.object);
  if (!pod) return allow();
  if (deps.cfg.exemptNamespaces.includes(req.namespace)) return allow();
  const labels = { ...pod.templateLabels, ...objectLabels(req.object) };
  if (Object.entries(deps.cfg.exemptLabels).some(([k, v]) => labels[k] === v)) return allow();

  // kubectl debug adds ephemeral containers to a running pod: judge what is added, not the pod's
  // running containers again (debugging a pod whose image was quarantined since must stay possible)
  const containers = containerImages(pod.spec).filter((c) => req.subResource !== 'ephemeralcontainers' || c.list === 'ephemeralContainers');
  // one lookup per distinct image string: sidecars often repeat the same image
  const distinct = [...new Set(containers.map((c) => c.image))];
  const resolved = await resolveImages(distinct, deps);
  const hits = resolved.flatMap((r) => (r.ok ? [r] : []));
  const found = await deps.verdicts.lookupMany(hits);
  const judged = new Map(await Promise.all(distinct.map(async (image, i) => {
    const r = resolved[i]!;
    return [image, await judgeImage(image, r, r.ok ? found[hits.indexOf(r)] : undefined, req, deps)] as const;
  })));
  const images: ImageReport[] = containers.map((c) => ({ container: `${c.list === 'containers' ? '' : c.list + '/'}${c.name}`, ...judged.get(c.image)! }));

  const warnings: string[] = [];
  const denials: string[] = [];
  for (const i of images) {
    if (i.outcome === 'warn') warnings.push(warningText(`${i.container} (${i.image}): ${i.message}`));
    if (i.outcome === 'deny') denials.push(`${i.container} (${i.image}): ${i.message}`);
  }
  const where = `${req.kind} ${req.namespace ? req.namespace + '/' : ''}${req.name || '(generated name)'}`;
  if (!denials.length) return allow(dedupe(warnings), images);
  if (deps.cfg.mode === 'audit') {
    // audit mode: the would-be denials are allowed, shown to the client and recorded
    if (!req.dryRun) {
      for (const i of images.filter((x) => x.outcome === 'deny')) {
        await deps.record?.({ subject: i.digest ?? i.image, reason: i.message!, details: { uid: req.uid, kind: req.kind, namespace: req.namespace, name: req.name, container: i.container, image: i.image } })
          .catch((e) => log.warn({ err: (e as Error).message }, 'admission audit record failed'));
      }
    }
    log.info({ uid: req.uid, object: where, denials: denials.length }, 'admission (audit mode) would deny');
    return allow(dedupe([...denials.map((d) => warningText(`audit mode, would be denied: ${d}`)), ...warnings]), images);
  }
  let message = `Customs denied ${where}: ${denials.join('; ')}`;
  if (message.length > MAX_DENY_MESSAGE) message = message.slice(0, MAX_DENY_MESSAGE - 3) + '...';
  log.info({ uid: req.uid, object: where, denials: denials.length }, 'admission denied');
  return { response: { uid: req.uid, allowed: false, status: { code: 403, message }, ...(warnings.length ? { warnings: dedupe(warnings) } : {}) }, images };
}

async function judgeImage(image: string, resolved: Resolved, lookup: VerdictLookupResult | undefined, req: ReviewRequest, deps: AdmitDeps): Promise<Omit<ImageReport, 'container'>> {
  const allowedRegistry = (r?: string) => r !== undefined && deps.cfg.registries.includes(r);
  if (!resolved.ok) {
    const u = unscannedOutcome(deps.cfg, resolved.reason);
    // a tag that cannot be resolved can still be scanned: the worker resolves it
    if (u.queueScan && !req.dryRun && resolved.registry && resolved.repository && resolved.tag && allowedRegistry(resolved.registry)) {
      await deps.queueScan?.({ registry: resolved.registry, repository: resolved.repository, tag: resolved.tag }).catch(() => undefined);
    }
    return { image, outcome: u.deny ? 'deny' : 'warn', message: u.message };
  }
  if (!lookup) throw new Error(`no verdict lookup for ${image}`); // lookupMany answers every resolved image
  const d = decideImage(lookup);
  const base = { image, digest: resolved.digest };
  if (d.outcome === 'allow') return { ...base, outcome: 'allow' };
  if (d.outcome !== 'unscanned') return { ...base, outcome: d.outcome, message: d.message };
  const u = unscannedOutcome(deps.cfg, d.message);
  if (u.queueScan && !req.dryRun && allowedRegistry(resolved.registry)) {
    await deps.queueScan?.({ registry: resolved.registry, repository: resolved.repository, digest: resolved.digest, ...(resolved.tag ? { tag: resolved.tag } : {}) }).catch(() => undefined);
  }
  return { ...base, outcome: u.deny ? 'deny' : 'warn', message: u.message };
}

function dedupe(xs: string[]): string[] { return [...new Set(xs)]; }
