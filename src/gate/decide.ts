// The gate's decision for one manifest pull, from the stored verdict and the governing policy.
// Kept apart from the HTTP plumbing so the rule is readable in one place.
import type { Policy } from '../policy/schema.ts';
import type { StoredVerdict } from '../quarantine/verdict-store.ts';

export type GateDecision =
  | { allow: true; why: 'bypass' | 'pass' | 'released' | 'not-gated' | 'unscanned-allowed' }
  | { allow: false; message: string };

export function decide(verdict: StoredVerdict | undefined, policy: Policy): GateDecision {
  if (!verdict) {
    if (policy.spec.missingScan === 'fail') return { allow: false, message: `not scanned yet: policy ${policy.metadata.name} refuses images without a verdict` };
    return { allow: true, why: 'unscanned-allowed' };
  }
  if (verdict.quarantine === 'released') return { allow: true, why: 'released' };
  if (verdict.gated) return { allow: false, message: `quarantined by policy ${verdict.policyName}: ${verdict.summary}` };
  return { allow: true, why: verdict.verdict === 'fail' ? 'not-gated' : 'pass' };
}
