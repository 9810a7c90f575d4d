// The risk priority of one finding in one running image: a sum of points, one term per factor, every
// term shown with the value it was computed from — no black box. Pure: no I/O, no clock.
//
// Factor (points at most)          how
// severity       (0..40)           CVSS base score × 4 (the finding's rating when no score: critical 9.5,
//                                  high 7.5, medium 5, low 2.5, unknown 4, none 0)
// epss           (0..20)           EPSS probability × 20 (0 when the EPSS feed lists none of its CVEs)
// kev            (0 | 25)          listed in CISA's Known Exploited Vulnerabilities catalog
// fix            (0 | 5)           a fixed version exists: the work can be done now
// replicas       (0..10)           running pods of the image across the fleet: 2.5 × log2(1 + replicas), capped
// exposure       (0 | 15)          at least one workload running it is internet-facing (LoadBalancer/NodePort
//                                  Service, Ingress, hostNetwork/hostPort)
// criticality    (0..15)           the highest value of the criticality label or annotation (priorities.
//                                  criticalityLabel, default customs.dev/criticality; the label wins) on the workloads running it:
//                                  critical 15, high 10, medium 5, low 0; absent or another word: 0
//
// The weights are the `WEIGHTS` below (all of them, nothing else is added); the score is their sum, 0..130.
import type { Rating } from '../vulndb/types.ts';

export const WEIGHTS = {
  /** points per CVSS point (0..10) */
  severityPerCvssPoint: 4,
  /** points for an EPSS probability of 1 */
  epss: 20,
  kev: 25,
  fixAvailable: 5,
  /** points per doubling of running replicas (log2(1 + replicas)), and the cap */
  replicasPerDoubling: 2.5,
  replicasMax: 10,
  internetFacing: 15,
  criticality: { critical: 15, high: 10, medium: 5, low: 0 } as Record<string, number>,
} as const;

/** the CVSS-like score a rating stands for when the finding carries no CVSS score */
export const RATING_SCORE: Record<Rating, number> = { critical: 9.5, high: 7.5, medium: 5, low: 2.5, unknown: 4, none: 0 };

export type FactorName = 'severity' | 'epss' | 'kev' | 'fix' | 'replicas' | 'exposure' | 'criticality';

export interface Factor {
  factor: FactorName;
  /** what the factor was computed from (a CVSS score, an EPSS probability, true/false, a replica count, a label value) */
  value: number | boolean | string | null;
  /** the points it adds to the score */
  points: number;
  /** one sentence: why these points */
  why: string;
}

export interface Priority { score: number; factors: Factor[] }

/** The parts of a finding the score reads. */
export interface ScoredFinding {
  id: string;
  severity: { rating: Rating | string; score?: number };
  epss?: { score: number; percentile?: number };
  kev?: { dateAdded: string };
  fixedVersion?: string;
}

/** The parts of a workload the score reads (only workloads running the image: replicas > 0). */
export interface ScoredWorkload {
  replicas: number; exposure: 'internet' | 'internal' | string; labels: Record<string, string>; exposedBy?: string[];
  /** the criticality label or annotation's value read at import (null: neither); absent: the label alone is read */
  criticality?: string | null;
}

export interface ScoreOptions { criticalityLabel: string }

const round = (n: number) => Math.round(n * 100) / 100;

/** What the score reads from the workloads running an image: the same for every finding of the image. */
export interface WorkloadSummary {
  workloads: number; replicas: number; exposed: number; exposedBy: string[];
  /** the highest criticality label value found (lower-cased), null when none carries the label */
  criticality: string | null; criticalityLabel: string;
}

export function summarizeWorkloads(workloads: readonly ScoredWorkload[], opts: ScoreOptions): WorkloadSummary {
  const running = workloads.filter((w) => w.replicas > 0);
  const exposed = running.filter((w) => w.exposure === 'internet');
  let best: string | null = null;
  for (const w of running) {
    const v = (w.labels[opts.criticalityLabel] ?? w.criticality ?? undefined)?.toLowerCase();
    if (v !== undefined && (best === null || (WEIGHTS.criticality[v] ?? -1) > (WEIGHTS.criticality[best] ?? -1))) best = v;
  }
  return {
    workloads: running.length, replicas: running.reduce((n, w) => n + w.replicas, 0), exposed: exposed.length,
    exposedBy: [...new Set(exposed.flatMap((w) => w.exposedBy ?? []))], criticality: best, criticalityLabel: opts.criticalityLabel,
  };
}

export function scoreFinding(f: ScoredFinding, workloads: readonly ScoredWorkload[], opts: ScoreOptions): Priority {
  return scoreFindingIn(f, summarizeWorkloads(workloads, opts));
}

/** The score alone (what scoreFindingIn sums, without the explanations): for ordering many findings. */
export function scoreOnly(f: ScoredFinding, w: WorkloadSummary): number {
  const base = typeof f.severity.score === 'number' ? f.severity.score : RATING_SCORE[f.severity.rating as Rating] ?? RATING_SCORE.unknown;
  return round(round(base * WEIGHTS.severityPerCvssPoint) + round((f.epss?.score ?? 0) * WEIGHTS.epss) + (f.kev ? WEIGHTS.kev : 0)
    + (f.fixedVersion !== undefined ? WEIGHTS.fixAvailable : 0) + round(Math.min(WEIGHTS.replicasMax, WEIGHTS.replicasPerDoubling * Math.log2(1 + w.replicas)))
    + (w.exposed ? WEIGHTS.internetFacing : 0) + (w.criticality !== null ? WEIGHTS.criticality[w.criticality] ?? 0 : 0));
}

/** The score of a finding in the workloads summarized (summarizeWorkloads). */
export function scoreFindingIn(f: ScoredFinding, w: WorkloadSummary): Priority {
  const factors: Factor[] = [];
  const cvss = typeof f.severity.score === 'number' ? f.severity.score : undefined;
  const base = cvss ?? RATING_SCORE[f.severity.rating as Rating] ?? RATING_SCORE.unknown;
  factors.push({
    factor: 'severity', value: base, points: round(base * WEIGHTS.severityPerCvssPoint),
    why: cvss !== undefined ? `CVSS ${cvss} (${f.severity.rating}) × ${WEIGHTS.severityPerCvssPoint}` : `rated ${f.severity.rating}, no CVSS score: counted as ${base} × ${WEIGHTS.severityPerCvssPoint}`,
  });
  const epss = f.epss?.score;
  factors.push({
    factor: 'epss', value: epss ?? null, points: round((epss ?? 0) * WEIGHTS.epss),
    why: epss !== undefined ? `EPSS ${epss} (percentile ${f.epss?.percentile ?? '?'}) × ${WEIGHTS.epss}` : 'no EPSS score for its CVEs',
  });
  factors.push({
    factor: 'kev', value: !!f.kev, points: f.kev ? WEIGHTS.kev : 0,
    why: f.kev ? `in CISA KEV since ${f.kev.dateAdded}` : 'not in CISA KEV',
  });
  factors.push({
    factor: 'fix', value: f.fixedVersion !== undefined, points: f.fixedVersion !== undefined ? WEIGHTS.fixAvailable : 0,
    why: f.fixedVersion !== undefined ? `fixed in ${f.fixedVersion}` : 'no fixed version yet',
  });
  const { replicas } = w;
  factors.push({
    factor: 'replicas', value: replicas, points: round(Math.min(WEIGHTS.replicasMax, WEIGHTS.replicasPerDoubling * Math.log2(1 + replicas))),
    why: `${replicas} running replica${replicas === 1 ? '' : 's'} in ${w.workloads} workload${w.workloads === 1 ? '' : 's'}: ${WEIGHTS.replicasPerDoubling} × log2(1 + ${replicas}), at most ${WEIGHTS.replicasMax}`,
  });
  factors.push({
    factor: 'exposure', value: w.exposed ? 'internet' : 'internal', points: w.exposed ? WEIGHTS.internetFacing : 0,
    why: w.exposed ? `internet-facing in ${w.exposed} workload${w.exposed === 1 ? '' : 's'}${exposedBy(w.exposedBy)}` : 'no internet-facing workload runs it',
  });
  const best = w.criticality;
  factors.push({
    factor: 'criticality', value: best, points: best !== null ? WEIGHTS.criticality[best] ?? 0 : 0,
    why: best === null ? `no workload carries the label or annotation ${w.criticalityLabel}`
      : WEIGHTS.criticality[best] === undefined ? `${w.criticalityLabel}=${best} is not one of ${Object.keys(WEIGHTS.criticality).join(', ')}: 0`
        : `${w.criticalityLabel}=${best}`,
  });
  return { score: round(factors.reduce((n, x) => n + x.points, 0)), factors };
}

function exposedBy(by: readonly string[]): string {
  return by.length ? ` (${by.slice(0, 3).join(', ')}${by.length > 3 ? ', …' : ''})` : '';
}
