// Packagist (Composer) order checked against test/data/versions/Packagist.tsv (labelled by the reference implementation; see
// the file's header line and test/data/versions/generate-part2.sh): every row, both directions
// (antisymmetry), and every version against itself (reflexivity).
import { describe, expect, it } from 'vitest';
import { compareVersions } from '../src/ecosystems/index.ts';
import { compareComposer } from '../src/versions/composer.ts';
import { describeVectors } from './helpers/version-vectors.ts';

describeVectors('Packagist', compareComposer, 5000);

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
