// RubyGems Gem::Version order checked against test/data/versions/RubyGems.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/ecosystems/index.ts';
import { compareRubyGems } from '../src/versions/rubygems.ts';
import { describeVectors } from './helpers/version-vectors.ts';

describeVectors('RubyGems', compareRubyGems, 5000);

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
