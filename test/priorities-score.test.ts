// The risk priority of a finding (src/priorities/score.ts): every factor and its points in the output.
import { describe, expect, it } from 'vitest';
import { scoreFinding, scoreFindingIn, scoreOnly, summarizeWorkloads, WEIGHTS } from '../src/priorities/score.ts';

const opts = { criticalityLabel: 'customs.dev/criticality' };
const finding = { id: 'CVE-2023-2650', severity: { rating: 'high', score: 7.5 }, fixedVersion: '3.0.9-1' };
const internal = { replicas: 2, exposure: 'internal', labels: {} };
const internet = { replicas: 2, exposure: 'internet', labels: {}, exposedBy: ['Service/web (LoadBalancer)'] };

describe('scoreFinding', () => {
  it('shows every factor, and the score is the sum of their points', () => {
    const p = scoreFinding({ ...finding, epss: { score: 0.5, percentile: 0.9 }, kev: { dateAdded: '2024-10-01' } }, [internet], opts);
    expect(p.factors.map((f) => f.factor)).toEqual(['severity', 'epss', 'kev', 'fix', 'replicas', 'exposure', 'criticality']);
    for (const f of p.factors) { expect(typeof f.points).toBe('number'); expect(f.why).toBeTruthy(); }
    expect(p.score).toBeCloseTo(p.factors.reduce((n, f) => n + f.points, 0), 2);
    const by = Object.fromEntries(p.factors.map((f) => [f.factor, f]));
    expect(by.severity).toMatchObject({ value: 7.5, points: 30 });
    expect(by.epss).toMatchObject({ value: 0.5, points: 10 });
    expect(by.kev).toMatchObject({ value: true, points: WEIGHTS.kev });
    expect(by.fix).toMatchObject({ value: true, points: WEIGHTS.fixAvailable, why: 'fixed in 3.0.9-1' });
    expect(by.replicas!.value).toBe(2);
    expect(by.exposure).toMatchObject({ value: 'internet', points: WEIGHTS.internetFacing });
    expect(by.exposure!.why).toMatch(/LoadBalancer/);
    expect(by.criticality).toMatchObject({ value: null, points: 0 });
  });

  it('internet-facing ranks above internal, KEV above not, critical workloads above others', () => {
    expect(scoreFinding(finding, [internet], opts).score).toBeGreaterThan(scoreFinding(finding, [internal], opts).score);
    expect(scoreFinding({ ...finding, kev: { dateAdded: '2024-10-01' } }, [internal], opts).score).toBeGreaterThan(scoreFinding(finding, [internal], opts).score);
    const crit = { ...internal, labels: { 'customs.dev/criticality': 'Critical' } };
    const p = scoreFinding(finding, [crit, { ...internal, labels: { 'customs.dev/criticality': 'low' } }], opts);
    expect(p.factors.find((f) => f.factor === 'criticality')).toMatchObject({ value: 'critical', points: 15 });
    expect(p.score).toBeGreaterThan(scoreFinding(finding, [internal], opts).score);
    // the label is configurable
    const other = scoreFinding(finding, [{ ...internal, labels: { tier: 'high' } }], { criticalityLabel: 'tier' });
    expect(other.factors.find((f) => f.factor === 'criticality')).toMatchObject({ value: 'high', points: 10 });
    // an annotation (read at import into the workload's criticality) counts as the label does; the label wins
    const annotated = scoreFinding(finding, [{ ...internal, criticality: 'medium' }], opts);
    expect(annotated.factors.find((f) => f.factor === 'criticality')).toMatchObject({ value: 'medium', points: 5 });
    const both = scoreFinding(finding, [{ ...internal, criticality: 'critical', labels: { 'customs.dev/criticality': 'low' } }], opts);
    expect(both.factors.find((f) => f.factor === 'criticality')).toMatchObject({ value: 'low', points: 0 });
    expect(scoreFinding(finding, [internal], opts).factors.find((f) => f.factor === 'criticality')!.why).toMatch(/label or annotation customs\.dev\/criticality/);
  });

  it('without a CVSS score the rating counts; no fix, no EPSS, stopped workloads add nothing', () => {
    const p = scoreFinding({ id: 'CVE-2024-0002', severity: { rating: 'low' } }, [{ ...internet, replicas: 0 }], opts);
    const by = Object.fromEntries(p.factors.map((f) => [f.factor, f]));
    expect(by.severity).toMatchObject({ value: 2.5, points: 10 });
    expect(by.severity!.why).toMatch(/no CVSS score/);
    expect(by.epss).toMatchObject({ value: null, points: 0 });
    expect(by.fix).toMatchObject({ value: false, points: 0 });
    expect(by.replicas).toMatchObject({ value: 0, points: 0 });
    expect(by.exposure).toMatchObject({ value: 'internal', points: 0 });
    expect(p.score).toBe(10);
    // replicas grow the score slowly and are capped
    const many = scoreFinding(finding, [{ ...internal, replicas: 10_000 }], opts);
    expect(many.factors.find((f) => f.factor === 'replicas')!.points).toBe(WEIGHTS.replicasMax);
  });

  it('the fast score used for ordering is the explained score', () => {
    const ws = [internet, { ...internal, replicas: 7, labels: { 'customs.dev/criticality': 'medium' } }];
    const summary = summarizeWorkloads(ws, opts);
    for (const f of [finding, { ...finding, epss: { score: 0.123, percentile: 0.5 }, kev: { dateAdded: '2024-01-01' } }, { id: 'X', severity: { rating: 'unknown' } }, { id: 'Y', severity: { rating: 'critical', score: 9.8 } }]) {
      expect(scoreOnly(f, summary)).toBe(scoreFindingIn(f, summary).score);
    }
  });
});
