// The admission rule for one container image, from its stored verdict (the lookup the pull gate
// uses, src/gate/lookup.ts). Unlike the gate, which refuses only images whose policy has the `gate`
// action, admission refuses every quarantined image: a cluster running an image is what quarantine
// exists to stop. Kept apart from HTTP so the rule reads in one place.
import type { AdmissionConfig } from '../config/admission-schema.ts';
import type { VerdictLookupResult } from '../gate/lookup.ts';
import { elsewhereMessage } from '../gate/lookup.ts';

export type ImageDecision =
  | { outcome: 'allow'; why: 'pass' | 'released' }
  | { outcome: 'warn'; message: string }
  | { outcome: 'deny'; message: string }
  /** no verdict: admission.unscanned decides (the caller may queue a scan) */
  | { outcome: 'unscanned'; message: string };

export function decideImage(found: VerdictLookupResult): ImageDecision {
  const v = found.verdict;
  if (!v) {
    if (found.gatedElsewhere) return { outcome: 'deny', message: elsewhereMessage(found.gatedElsewhere) };
    return { outcome: 'unscanned', message: `not scanned yet (policy ${found.policy.metadata.name})` };
  }
  if (v.quarantine === 'released') return { outcome: 'allow', why: 'released' };
  if (v.quarantine === 'quarantined') return { outcome: 'deny', message: `quarantined by policy ${v.policyName}: ${v.summary}` };
  // a fail under an audit-mode policy is recorded, not quarantined: admission follows the policy's mode
  if (v.verdict === 'fail') return { outcome: 'warn', message: `fails policy ${v.policyName} (audit mode): ${v.summary}` };
  if (v.verdict === 'warn') return { outcome: 'warn', message: `warned by policy ${v.policyName}: ${v.summary}` };
  return { outcome: 'allow', why: 'pass' };
}

/** What admission.unscanned makes of an image without a verdict (or without a digest). */
export function unscannedOutcome(cfg: AdmissionConfig, message: string): { deny: boolean; message: string; queueScan: boolean } {
  switch (cfg.unscanned) {
    case 'deny': return { deny: true, message: `${message}; admission.unscanned is deny`, queueScan: false };
    case 'scan': return { deny: true, message: `${message}; a scan was queued — retry once it is judged`, queueScan: true };
    case 'warn': return { deny: false, message, queueScan: false };
  }
}

/** Kubernetes truncates long warnings (over 256 characters) and many of them: keep each short. */
export function warningText(s: string): string {
  return s.length > 256 ? s.slice(0, 253) + '...' : s;
}
