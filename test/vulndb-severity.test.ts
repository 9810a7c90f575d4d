import { describe, expect, it } from 'vitest';
import { cvssBaseScore, maxSeverity, ratingOfWord, severityOf } from '../src/vulndb/severity.ts';
import { PYPI_DIR, freshStore } from './vulndb-helpers.ts';

describe('severity from OSV', () => {
  it('computes official CVSS base scores for v2, v3.0, v3.1 and v4.0 vectors', () => {
    // values as published by FIRST's calculators / NVD for these vectors
    const cases: [string, number][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:H', 8.1], // PYSEC-2023-152 (apache-airflow)
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:H', 8.0], // PYSEC-2023-158
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N', 6.5], // PYSEC-2023-202
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N', 4.3], // PYSEC-2023-218
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
      ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
      ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
      ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
    ];
    for (const [v, score] of cases) expect(cvssBaseScore(v)?.score, v).toBe(score);
    for (const bad of ['CVSS:3.1/AV:N', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q', 'garbage', 'CVSS:9.9/AV:N', '']) {
      expect(cvssBaseScore(bad), bad).toBeUndefined();
    }
  });

  it('rates scores and prefers CVSS v3, then v4, then v2; falls back to vendor words with the source shown', () => {
    expect(severityOf({ severity: [
      { type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:P/I:P/A:P' },
      { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N' },
    ] })).toEqual({ score: 4.3, rating: 'medium', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N', type: 'CVSS_V3', source: 'advisory', record: '', provider: '' });
    expect(severityOf({ severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }] }))
      .toMatchObject({ score: 9.3, rating: 'critical', type: 'CVSS_V4' });
    expect(severityOf({ severity: [{ type: 'CVSS_V2', score: 'AV:N/AC:L/Au:N/C:C/I:C/A:C' }] }))
      .toMatchObject({ score: 10, rating: 'high', type: 'CVSS_V2' }); // v2 has no "critical"
    // broken vector → GHSA word in database_specific
    expect(severityOf({ severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N' }], database_specific: { severity: 'MODERATE' } }))
      .toMatchObject({ rating: 'medium', type: 'database_specific.severity', label: 'MODERATE' });
    // Debian urgency on the affected entry; Ubuntu priority in severity[]
    expect(severityOf({}, { package: { ecosystem: 'Debian:12', name: 'openssl' }, ecosystem_specific: { urgency: 'low**' } }))
      .toMatchObject({ rating: 'low', type: 'ecosystem_specific.urgency' });
    expect(severityOf({ severity: [{ type: 'Ubuntu', score: 'high' }] })).toMatchObject({ rating: 'high', type: 'severity.Ubuntu' });
    expect(severityOf({})).toEqual({ rating: 'unknown', source: 'none' });
    expect(ratingOfWord('IMPORTANT')).toBe('high');
    expect(ratingOfWord('not yet assigned')).toBeUndefined();
    expect(maxSeverity({ rating: 'high', score: 7.5, source: 'a' }, { rating: 'high', score: 8.8, source: 'b' }).source).toBe('b');
    expect(maxSeverity({ rating: 'critical', source: 'a' }, { rating: 'high', score: 8.8, source: 'b' }).source).toBe('a');
  });

  it('stores the computed severity of real PyPI advisories', async () => {
    const { store, db } = await freshStore();
    await store.importFrom([PYPI_DIR]);
    expect((await store.getAdvisory('PYSEC-2023-152'))!.rating)
      .toEqual({ cvss: { score: 8.1, rating: 'high', vector: 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:H', type: 'CVSS_V3', source: 'advisory', record: 'PYSEC-2023-152' } });
    db.close();
  });
});
