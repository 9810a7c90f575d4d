// Maven ComparableVersion order checked against test/data/versions/Maven.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/versions/index.ts';
import { isCustomsError } from '../src/errors.ts';
import { compareMaven } from '../src/versions/maven.ts';

const FILE = new URL('./data/versions/Maven.tsv', import.meta.url);
const [header, ...lines] = readFileSync(FILE, 'utf8').split('\n').filter((l) => l !== '');
const rows = lines.map((l) => l.split('\t') as [string, string, string]);

function outcome(a: string, b: string): string {
  try {
    return String(compareMaven(a, b));
  } catch (e) {
    if (isCustomsError(e) && e.kind === 'usage') return 'error';
    throw e;
  }
}

describe('compareMaven vectors', () => {
  it('has a labelled vector file', () => {
    expect(header).toMatch(/^# Maven: /);
    expect(rows.length).toBeGreaterThanOrEqual(10000);
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

describe('compareMaven examples', () => {
  it('sorts a documented chain in increasing order', () => {
    const chain = ['1-alpha2', '1-beta-2', '1-m2', '1-rc', '1-SNAPSHOT', '1', '1-sp', '1-abc', '1-1', '1.0.1', '1.1', '2.0.0-alpha-1', '2.0', '2.0.1-xyz', '2.0.1-123', '20190126.230843', '9223372036854775808'];
    for (let i = 1; i < chain.length; i++) expect([chain[i - 1], chain[i], compareMaven(chain[i - 1]!, chain[i]!)]).toEqual([chain[i - 1], chain[i], -1]);
  });
  it('treats equivalent spellings as equal', () => {
    for (const [a, b] of [['1', '1.0.0'], ['1ga', '1'], ['1final', '1'], ['1.0.RELEASE', '1.0'], ['1cr2', '1rc2'], ['1a1', '1-alpha-1'], ['1.0.0.RC1', '1.0.0-RC1'], ['1X', '1x']] as [string, string][]) expect([a, b, compareMaven(a, b)]).toEqual([a, b, 0]);
  });

});

describe('Maven registration', () => {
  it('is the comparator compareVersions uses for Maven', () => {
    expect(compareVersions('Maven', '1.0-SNAPSHOT', '1.0')).toBe(-1);
    expect(compareVersions('Maven', '1.0', '1.0-SNAPSHOT')).toBe(1);
  });
});
