// Packagist (Composer) order checked against test/data/versions/Packagist.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/versions/index.ts';
import { isCustomsError } from '../src/errors.ts';
import { compareComposer } from '../src/versions/composer.ts';

const FILE = new URL('./data/versions/Packagist.tsv', import.meta.url);
const [header, ...lines] = readFileSync(FILE, 'utf8').split('\n').filter((l) => l !== '');
const rows = lines.map((l) => l.split('\t') as [string, string, string]);

function outcome(a: string, b: string): string {
  try {
    return String(compareComposer(a, b));
  } catch (e) {
    if (isCustomsError(e) && e.kind === 'usage') return 'error';
    throw e;
  }
}

describe('compareComposer vectors', () => {
  it('has a labelled vector file', () => {
    expect(header).toMatch(/^# Packagist: /);
    expect(rows.length).toBeGreaterThanOrEqual(5000);
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

describe('compareComposer examples', () => {
  it('sorts a documented chain in increasing order', () => {
    const chain = ['1.0.0-dev', '1.0.0-alpha', '1.0.0-alpha2', '1.0.0-beta', '1.0.0-b3', '1.0.0-RC1', '1.0.0', '1.0.0-patch1', '1.0.1', '1.0.x-dev', 'dev-master'];
    for (let i = 1; i < chain.length; i++) expect([chain[i - 1], chain[i], compareComposer(chain[i - 1]!, chain[i]!)]).toEqual([chain[i - 1], chain[i], -1]);
  });
  it('treats equivalent spellings as equal', () => {
    for (const [a, b] of [['v1.0', '1.0.0.0'], ['1.0.0-stable', '1.0.0'], ['1.0.0+build.5', '1.0.0'], ['1.0.0-a1', '1.0.0-alpha.1'], ['1.0.0-pl1', '1.0.0-p1'], ['1.0.0@beta', '1.0.0'], ['1.0.0 as 2.0.0', '1.0.0'], ['dev-trunk', 'dev-master']] as [string, string][]) expect([a, b, compareComposer(a, b)]).toEqual([a, b, 0]);
  });
  it('rejects invalid versions and unordered branches', () => {
    expect(() => compareComposer('foo', '1.0')).toThrow(/invalid Composer version/);
    expect(() => compareComposer('dev-feature', 'dev-main')).toThrow(/have no order/);
  });
});

describe('Packagist registration', () => {
  it('is the comparator compareVersions uses for Packagist', () => {
    expect(compareVersions('Packagist', '1.0.0-RC1', '1.0.0')).toBe(-1);
    expect(compareVersions('Packagist', '1.0.0', '1.0.0-RC1')).toBe(1);
  });
});
