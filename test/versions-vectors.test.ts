// Version comparators against vectors labelled by each ecosystem's reference implementation
// (dpkg --compare-versions, rpm.vercmp, apk-tools test/version.data, golang.org/x/mod/semver's
// test table, node-semver). The TSVs are rebuilt by test/data/versions/generate.sh; this test only
// reads them. Every row is asserted, plus antisymmetry and reflexivity on every version seen.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareApk } from '../src/versions/apk.ts';
import { compareDpkg } from '../src/versions/dpkg.ts';
import { compareGo } from '../src/versions/go.ts';
import { compareRpm } from '../src/versions/rpm.ts';
import { compareSemver } from '../src/versions/semver.ts';

type Cmp = (a: string, b: string) => number;
interface Row { a: string; b: string; want: number; line: number }

function loadVectors(name: string): Row[] {
  const text = readFileSync(new URL(`./data/versions/${name}.tsv`, import.meta.url), 'utf8');
  const rows: Row[] = [];
  text.split('\n').forEach((l, i) => {
    if (l === '' || l.startsWith('#')) return;
    const f = l.split('\t');
    if (f.length !== 3 || !['-1', '0', '1'].includes(f[2]!)) throw new Error(`${name}.tsv:${i + 1}: malformed row`);
    rows.push({ a: f[0]!, b: f[1]!, want: Number(f[2]), line: i + 1 });
  });
  return rows;
}

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

const SUITES: { name: string; cmp: Cmp; min: number }[] = [
  { name: 'dpkg', cmp: compareDpkg, min: 20000 },
  { name: 'rpm', cmp: compareRpm, min: 8000 },
  { name: 'apk', cmp: compareApk, min: 700 },
  { name: 'go', cmp: compareGo, min: 2000 },
  { name: 'semver', cmp: compareSemver, min: 3000 },
];

for (const { name, cmp, min } of SUITES) {
  describe(`${name} version order`, () => {
    const rows = loadVectors(name);

    it(`has at least ${min} reference rows`, () => {
      expect(rows.length).toBeGreaterThanOrEqual(min);
    });

    it('agrees with the reference implementation on every row', () => {
      const wrong: string[] = [];
      for (const r of rows) {
        let got: number | string;
        try { got = cmp(r.a, r.b); } catch (e) { got = String(e); }
        if (got !== r.want) wrong.push(`${name}.tsv:${r.line} compare(${JSON.stringify(r.a)}, ${JSON.stringify(r.b)}) = ${got}, want ${r.want}`);
      }
      expect(wrong.slice(0, 20)).toEqual([]);
      expect(wrong.length).toBe(0);
    });

    it('returns only -1, 0 or 1 and is antisymmetric', () => {
      const wrong: string[] = [];
      for (const r of rows) {
        const ab = cmp(r.a, r.b), ba = cmp(r.b, r.a);
        if (![-1, 0, 1].includes(ab) || sign(ba) !== -sign(ab)) wrong.push(`${r.a} vs ${r.b}: ${ab} / ${ba}`);
      }
      expect(wrong.slice(0, 20)).toEqual([]);
    });

    it('is reflexive on every version in the vectors', () => {
      const wrong = new Set<string>();
      for (const r of rows) for (const v of [r.a, r.b]) if (cmp(v, v) !== 0) wrong.add(v);
      expect([...wrong].slice(0, 20)).toEqual([]);
    });
  });
}
