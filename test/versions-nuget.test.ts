// NuGet order checked against test/data/versions/NuGet.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/ecosystems/index.ts';
import { compareNuGet } from '../src/versions/nuget.ts';
import { describeVectors } from './helpers/version-vectors.ts';

describeVectors('NuGet', compareNuGet, 90);

describe('compareNuGet examples', () => {
  it('sorts a documented chain in increasing order', () => {
    const chain = ['0.9', '1.0.0-2', '1.0.0-10', '1.0.0-alpha', '1.0.0-Alpha.1', '1.0.0-beta', '1.0.0', '1.0.0.1-rc', '1.0.0.1', '1.0.1', '1.10'];
    for (let i = 1; i < chain.length; i++) expect([chain[i - 1], chain[i], compareNuGet(chain[i - 1]!, chain[i]!)]).toEqual([chain[i - 1], chain[i], -1]);
  });
  it('treats equivalent spellings as equal', () => {
    for (const [a, b] of [['1.0', '1.0.0.0'], ['1.0.0-BETA', '1.0.0-beta'], ['1.0.0+meta', '1.0.0'], ['01.002', '1.2'], ['  1.0  ', '1.0.0']] as [string, string][]) expect([a, b, compareNuGet(a, b)]).toEqual([a, b, 0]);
  });
  it('rejects invalid versions', () => {
    expect(() => compareNuGet('1.2.3.4.5', '1.0')).toThrow(/not a valid NuGet version/);
  });
});

describe('NuGet registration', () => {
  it('is the comparator compareVersions uses for NuGet', () => {
    expect(compareVersions('NuGet', '1.0.0-beta', '1.0.0')).toBe(-1);
    expect(compareVersions('NuGet', '1.0.0', '1.0.0-beta')).toBe(1);
  });
});
