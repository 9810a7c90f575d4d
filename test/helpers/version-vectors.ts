// The shared check of a comparator against its reference-labelled vector file
// (test/data/versions/<Ecosystem>.tsv: "a<TAB>b<TAB>-1|0|1|error", a "# <Ecosystem>: ..." header):
// every row both ways round (antisymmetry) and every version against itself (reflexivity).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCustomsError } from '../../src/errors.ts';

export function describeVectors(ecosystem: string, compare: (a: string, b: string) => number, minRows: number): void {
  const file = new URL(`../data/versions/${ecosystem}.tsv`, import.meta.url);
  const [header, ...lines] = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const rows = lines.map((l) => l.split('\t') as [string, string, string]);

  const outcome = (a: string, b: string): string => {
    try {
      return String(compare(a, b));
    } catch (e) {
      if (isCustomsError(e) && e.kind === 'usage') return 'error';
      throw e;
    }
  };

  describe(`${compare.name} vectors`, () => {
    it('has a labelled vector file', () => {
      expect(header).toMatch(new RegExp(`^# ${ecosystem}: `));
      expect(rows.length).toBeGreaterThanOrEqual(minRows);
      for (const r of rows) expect([r.length, ['-1', '0', '1', 'error'].includes(r[2])]).toEqual([3, true]);
    });

    it('agrees with the reference on every row, both ways round', () => {
      const wrong: string[] = [];
      for (const [a, b, want] of rows) {
        const back = want === 'error' ? 'error' : String(-Number(want) || 0);
        const got = outcome(a, b), gotBack = outcome(b, a);
        if (got !== want) wrong.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: want ${want}, got ${got}`);
        if (gotBack !== back) wrong.push(`${JSON.stringify(b)} vs ${JSON.stringify(a)}: want ${back}, got ${gotBack}`);
      }
      expect(wrong.slice(0, 20)).toEqual([]);
    });

    it('is reflexive', () => {
      const wrong: string[] = [];
      for (const [a, b, want] of rows) {
        for (const v of [a, b]) {
          const r = outcome(v, v);
          if (r !== '0' && !(r === 'error' && want === 'error')) wrong.push(`${JSON.stringify(v)}: ${r}`);
        }
      }
      expect(wrong.slice(0, 20)).toEqual([]);
    });
  });
}
