// `customs policy test` / POST /api/v1/policies/test: what a draft policy would change, judged from
// the same inputs as a real verdict (src/judge/judge.ts) — the stored report, the imported OpenVEX
// exceptions and the signatures recorded at the image's last evaluation — so a draft's verdicts are
// the ones the policy would really give, short of a fresh signature lookup.
import type { Database } from '../db/client.ts';
import { ScanStore } from '../scan/scan-store.ts';
import type { Policy } from '../policy/schema.ts';
import type { ScopedPolicy } from '../policy/scope.ts';
import { governingPolicy } from '../policy/store.ts';
import { evaluateReport } from '../policy/verdicts.ts';
import { vexExceptions } from '../policy/vex-store.ts';
import { signaturesOf } from '../signing/signature-store.ts';
import { signatureStatuses } from '../signing/verify-image.ts';

export interface DraftChange {
  image: string;
  before: string;
  after: string;
  policyBefore: string;
  policyAfter: string;
  reasons: string[];
}

/** Evaluate a draft against the latest stored scan of every image: what would newly fail or pass. */
export async function testDraft(database: Database, current: ScopedPolicy[], draft: Policy, limit: number): Promise<{ evaluated: number; images: DraftChange[] }> {
  const withDraft: ScopedPolicy[] = [...current.filter((p) => p.policy.metadata.name !== draft.metadata.name), { policy: draft, version: -1 }];
  const exceptions = await vexExceptions(database);
  const images: DraftChange[] = [];
  const now = new Date();
  for (const r of await new ScanStore(database).latestPerImage(limit)) {
    const image = { registry: r.registry, repository: r.repository, digest: r.digest };
    const gBefore = governingPolicy(current, r.registry, r.repository);
    const gAfter = governingPolicy(withDraft, r.registry, r.repository);
    const recorded = await signedBy(database, image, [gBefore.policy, gAfter.policy]);
    const judgeWith = (g: ScopedPolicy) => evaluateReport(r.report, image, g, { now, exceptions, ...(recorded ? { signatures: recorded(g.policy) } : {}) });
    const before = judgeWith(gBefore);
    const after = judgeWith(gAfter);
    images.push({
      image: `${r.registry}/${r.repository}@${r.digest}`, before: before.verdict, after: after.verdict,
      policyBefore: `${before.policy.name}@${before.policy.version}`,
      policyAfter: gAfter.version === -1 ? `${draft.metadata.name} (draft)` : `${after.policy.name}@${after.policy.version}`,
      reasons: [...new Set(after.platforms.flatMap((p) => p.reasons.map((x) => `${x.outcome}: ${x.message}`)))],
    });
  }
  return { evaluated: images.length, images };
}

/**
 * The signatures recorded for this image at its last evaluation, as statuses for a policy's
 * authorities (matched by name); undefined when neither policy has a signature rule.
 */
async function signedBy(database: Database, image: { registry: string; repository: string; digest: string }, policies: Policy[]) {
  const authoritiesOf = (p: Policy) => p.spec.rules.flatMap((r) => (r.type === 'signature' ? r.authorities : []));
  if (!policies.some((p) => authoritiesOf(p).length)) return undefined;
  const results = (await signaturesOf(database, image.digest)).filter((s) => s.registry === image.registry && s.repository === image.repository);
  return (p: Policy) => signatureStatuses(results, authoritiesOf(p));
}
