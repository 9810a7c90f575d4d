// RubyGems Gem::Version order checked against test/data/versions/RubyGems.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/versions/index.ts';
import { isCustomsError } from '../src/errors.ts';
import { compareRubyGems } from '../src/versions/rubygems.ts';

const FILE = new URL('./data/versions/RubyGems.tsv', import.meta.url);
const [header, ...lines] = readFileSync(FILE, 'utf8').split('\n').filter((l) => l !== '');
const rows = lines.map((l) => l.split('\t') as [string, string, string]);

function outcome(a: string, b: string): string {
  try {
    return String(compareRubyGems(a, b));
  } catch (e) {
    if (isCustomsError(e) && e.kind === 'usage') return 'error';
    throw e;
  }
}

describe('compareRubyGems vectors', () => {
  it('has a labelled vector file', () => {
    expect(header).toMatch(/^# RubyGems: /);
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

describe('compareRubyGems examples', () => {
  it('sorts a documented chain in increasing order', () => {
    const chain = ['0.9', '1.0.0.a', '1.0.0.b1', '1.0.0.pre', '1.0.0.rc1', '1.0.0.rc.2', '1.0', '1.0.0.1', '1.9.3', '1.10.0', '99999999999999999999.0'];
    for (let i = 1; i < chain.length; i++) expect([chain[i - 1], chain[i], compareRubyGems(chain[i - 1]!, chain[i]!)]).toEqual([chain[i - 1], chain[i], -1]);
  });
  it('treats equivalent spellings as equal', () => {
    for (const [a, b] of [['1', '1.0.0'], ['1.0-1', '1.0.pre.1'], [' 1.0 ', '1.0'], ['', '0'], ['1.0.01', '1.0.1']] as [string, string][]) expect([a, b, compareRubyGems(a, b)]).toEqual([a, b, 0]);
  });
  it('rejects malformed versions', () => {
    expect(() => compareRubyGems('1..0', '1')).toThrow(/malformed RubyGems version/);
  });
});

describe('RubyGems registration', () => {
  it('is the comparator compareVersions uses for RubyGems', () => {
    expect(compareVersions('RubyGems', '1.0.a', '1.0')).toBe(-1);
    expect(compareVersions('RubyGems', '1.0', '1.0.a')).toBe(1);
  });
});
