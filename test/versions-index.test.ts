// compareVersions: OSV ecosystem names → comparators, errors for unknown ecosystems and bad versions.
import { describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import * as lib from '../src/index.ts';
import { compareVersions, ecosystems, hasComparator } from '../src/ecosystems/index.ts';

const COMPARATORS = Object.fromEntries(ecosystems().flatMap((e) => (e.kind === 'os' ? e.osvBases : [e.osv]).map((b) => [b, e.compare])));

function thrown(f: () => unknown): CustomsError {
  try { f(); } catch (e) { if (e instanceof CustomsError) return e; throw e; }
  throw new Error('expected a CustomsError');
}

describe('compareVersions', () => {
  it('is exported from the library entry', () => {
    expect(lib.compareVersions).toBe(compareVersions);
    expect(lib.hasComparator).toBe(hasComparator);
  });

  it('selects the comparator by the base ecosystem name, ignoring the release after ":"', () => {
    // dpkg: ~ sorts before the end of the string
    expect(compareVersions('Debian:12', '1.0~rc1-1', '1.0-1')).toBe(-1);
    expect(compareVersions('Ubuntu:22.04:LTS', '1:1.0', '2.0')).toBe(1);
    // apk: _rc is a pre-release, _p a post-release
    expect(compareVersions('Alpine:v3.19', '1.0_rc1-r0', '1.0-r0')).toBe(-1);
    expect(compareVersions('Wolfi', '1.0_p1', '1.0')).toBe(1);
    expect(compareVersions('Chainguard', '1.0-r1', '1.0-r10')).toBe(-1);
    // digits after the letter count, as apk-tools 2.x reads them (versions in Alpine's secdb history)
    expect(compareVersions('Alpine:v3.4', '6.6.2p1-r0', '6.6.2p2-r0')).toBe(-1);
    expect(compareVersions('Alpine:v3.4', '6.6.2p10-r0', '6.6.2p2-r0')).toBe(1);
    expect(compareVersions('Alpine:v3.4', '1.2a', '1.2a1')).toBe(-1);
    expect(compareVersions('Alpine:v3.4', '1.2a1', '1.2b')).toBe(-1);
    // rpm: ~ before, ^ after
    for (const eco of ['Red Hat', 'Rocky Linux:9', 'AlmaLinux:9', 'SUSE', 'openSUSE', 'Mageia:9']) {
      expect(compareVersions(eco, '1.0~rc1-1.el9', '1.0-1.el9')).toBe(-1);
      expect(compareVersions(eco, '1.0^git20230101-1', '1.0-1')).toBe(1);
    }
    // semver: build metadata ignored, prereleases first; dpkg would say otherwise
    expect(compareVersions('npm', '1.0.0+build', '1.0.0')).toBe(0);
    expect(compareVersions('crates.io', '1.0.0-alpha', '1.0.0')).toBe(-1);
    expect(compareVersions('Debian', '1.0.0-alpha', '1.0.0')).toBe(1);
    // Go: OSV versions without "v", pseudo-versions, stdlib names
    expect(compareVersions('Go', '0.0.0-20191109021931-daa7c04131f5', '0.1.0')).toBe(-1);
    expect(compareVersions('Go', 'go1.21rc1', '1.21.0')).toBe(-1);
    expect(compareVersions('Go', '1.22.0-rc.1', '1.21.9')).toBe(1);
  });

  it('rejects an unknown ecosystem with a message listing the known ones', () => {
    const e = thrown(() => compareVersions('Haiku:r1', '1', '2'));
    expect(e.kind).toBe('unsupported');
    for (const known of ['Debian', 'Alpine', 'Red Hat', 'npm', 'crates.io', 'Go']) expect(e.message).toContain(known);
    expect(hasComparator('Haiku')).toBe(false);
    expect(hasComparator('constructor')).toBe(false);
    expect(hasComparator('Debian:13')).toBe(true);
    expect(hasComparator('Alpine:v3.20')).toBe(true);
  });

  it('keeps the comparators in one map keyed by base ecosystem name', () => {
    expect(Object.keys(COMPARATORS)).toEqual(expect.arrayContaining(['AlmaLinux', 'Alpine', 'Chainguard', 'Debian', 'Go',
      'Mageia', 'Red Hat', 'Rocky Linux', 'SUSE', 'Ubuntu', 'Wolfi', 'crates.io', 'npm', 'openSUSE']));
    for (const k of Object.keys(COMPARATORS)) expect(k).not.toContain(':');
  });

  it('normalises comparator results to -1, 0 and 1', () => {
    expect(compareVersions('Debian', '1.0a', '1.0')).toBe(1); // dpkg's verrevcmp returns 'a' - 0 = 97
    expect(compareVersions('Debian', '1.9', '1.10')).toBe(-1);
  });
});

describe('invalid versions', () => {
  it('dpkg: what dpkg --compare-versions rejects is a usage error', () => {
    for (const bad of ['', '   ', '1.0 1', 'a:1.0', '-1:1.0', '1:', '1.0-', '99999999999:1']) {
      expect(thrown(() => compareVersions('Debian', bad, '1.0')).kind).toBe('usage');
      expect(thrown(() => compareVersions('Debian', '1.0', bad)).kind).toBe('usage');
    }
    // dpkg only warns about these and compares them
    expect(compareVersions('Debian', 'abc', '1.0')).toBe(1);
    expect(compareVersions('Debian', '1.0_1', '1.0')).toBe(1);
  });

  it('rpm and apk reject only the empty string', () => {
    expect(thrown(() => compareVersions('Red Hat', '', '1')).kind).toBe('usage');
    expect(thrown(() => compareVersions('Alpine', '1', '')).kind).toBe('usage');
    expect(compareVersions('Alpine', '1.0', '1.0bc')).toBe(-1);
  });

  it('semver: an invalid version is a usage error', () => {
    for (const bad of ['', '1.2', 'not.a.version', '1.2.3.4']) {
      expect(thrown(() => compareVersions('npm', bad, '1.0.0')).kind).toBe('usage');
      expect(thrown(() => compareVersions('crates.io', '1.0.0', bad)).kind).toBe('usage');
    }
  });

  it('Go: as in golang.org/x/mod, invalid versions sort first and equal each other', () => {
    expect(compareVersions('Go', 'bad', '0.0.1')).toBe(-1);
    expect(compareVersions('Go', 'bad', 'worse')).toBe(0);
  });
});
