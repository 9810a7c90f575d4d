// PyPI (PEP 440) order checked against test/data/versions/PyPI.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/versions/index.ts';
import { isCustomsError } from '../src/errors.ts';
import { comparePep440 } from '../src/versions/pep440.ts';

const FILE = new URL('./data/versions/PyPI.tsv', import.meta.url);
const [header, ...lines] = readFileSync(FILE, 'utf8').split('\n').filter((l) => l !== '');
const rows = lines.map((l) => l.split('\t') as [string, string, string]);

function outcome(a: string, b: string): string {
  try {
    return String(comparePep440(a, b));
  } catch (e) {
    if (isCustomsError(e) && e.kind === 'usage') return 'error';
    throw e;
  }
}

describe('comparePep440 vectors', () => {
  it('has a labelled vector file', () => {
    expect(header).toMatch(/^# PyPI: /);
    expect(rows.length).toBeGreaterThanOrEqual(20000);
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

describe('comparePep440 examples', () => {
  it('sorts a documented chain in increasing order', () => {
    const chain = ['0.7.10p1', '2.0.0-final', '0.1.dev1', '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12', '1.0b2.post345', '1.0rc1', '1.0', '1.0+abc.5', '1.0+abc.7', '1.0.post456.dev34', '1.0.post456', '1.1.dev1', '1!0.1'];
    for (let i = 1; i < chain.length; i++) expect([chain[i - 1], chain[i], comparePep440(chain[i - 1]!, chain[i]!)]).toEqual([chain[i - 1], chain[i], -1]);
  });
  it('treats equivalent spellings as equal', () => {
    for (const [a, b] of [['1.0', 'v1.0.0'], ['1.0alpha1', '1.0a1'], ['1.0-1', '1.0.post1'], ['1.0c1', '1.0rc1'], [' 1.0 ', '1.0'], ['1.0+ubuntu-1', '1.0+ubuntu.1'], ['0!1.0', '1.0']] as [string, string][]) expect([a, b, comparePep440(a, b)]).toEqual([a, b, 0]);
  });
  it('orders legacy (non-PEP 440) versions before every valid one', () => {
    expect(comparePep440('2013-01-21T20:33:09+0100', '0.0.1')).toBe(-1);
    expect(comparePep440('0.3m1', '0.3m2')).toBe(-1);
  });
});

describe('PyPI registration', () => {
  it('is the comparator compareVersions uses for PyPI', () => {
    expect(compareVersions('PyPI', '1.0a1', '1.0')).toBe(-1);
    expect(compareVersions('PyPI', '1.0', '1.0a1')).toBe(1);
  });
});
