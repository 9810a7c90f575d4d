// Maven ComparableVersion order checked against test/data/versions/Maven.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/ecosystems/index.ts';
import { compareMaven } from '../src/versions/maven.ts';
import { describeVectors } from './helpers/version-vectors.ts';

describeVectors('Maven', compareMaven, 10000);

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
