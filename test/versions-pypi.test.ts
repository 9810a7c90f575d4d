// PyPI (PEP 440) order checked against test/data/versions/PyPI.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/ecosystems/index.ts';
import { comparePep440 } from '../src/versions/pep440.ts';
import { describeVectors } from './helpers/version-vectors.ts';

describeVectors('PyPI', comparePep440, 20000);

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
