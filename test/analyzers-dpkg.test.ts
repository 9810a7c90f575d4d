import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dpkgAnalyzer, parseControlStanzas, parseDpkgStatus } from '../src/analyzers/dpkg.ts';

describe('dpkg analyzer', () => {
  it("parses this machine's /var/lib/dpkg/status exactly like dpkg-query", async () => {
    const status = readFileSync('/var/lib/dpkg/status');
    const ref = execFileSync('dpkg-query', ['-W', '-f', '${Package} ${Architecture} ${Version} ${source:Package} ${source:Version} ${db:Status-Status}\n'], { encoding: 'utf8' })
      .split('\n').filter(Boolean).map((l) => l.split(' '))
      .filter((f) => f[5] === 'installed')
      .map((f) => `${f[0]} ${f[1]} ${f[2]} ${f[3]} ${f[4]}`).sort();
    expect(ref.length).toBeGreaterThan(50);
    expect(dpkgAnalyzer.wants('/var/lib/dpkg/status', status.length)).toBe(true);
    const res = await dpkgAnalyzer.analyze('/var/lib/dpkg/status', status);
    const got = res!.packages!.map((p) => `${p.name} ${p.arch} ${p.version} ${p.sourceName} ${p.sourceVersion}`).sort();
    expect(got).toEqual(ref);
    for (const p of res!.packages!) {
      expect(p.type).toBe('deb');
      expect(p.foundIn).toBe('/var/lib/dpkg/status');
    }
    // at least one package with a maintainer, and source names that differ from binary names
    expect(res!.packages!.some((p) => p.maintainer && p.maintainer.includes('@'))).toBe(true);
    expect(res!.packages!.some((p) => p.sourceName !== p.name)).toBe(true);
  });

  it('keeps only installed packages, reads Source with and without version, continuation lines', () => {
    const text = [
      'Package: libfoo1',
      'Status: install ok installed',
      'Architecture: amd64',
      'Source: foo (1.2-3)',
      'Version: 1.2-3+b1',
      'Maintainer: Foo Team <foo@example.org>',
      'Description: a library',
      ' with a long description',
      ' .',
      ' and more',
      '',
      'Package: held',
      'Status: hold ok installed',
      'Version: 2.0',
      'Source: heldsrc',
      '',
      'Package: gone',
      'Status: deinstall ok config-files',
      'Version: 1.0',
      '',
      'Package: broken',
      'Status: install ok half-installed',
      'Version: 1.0',
      '',
      'Package: unpacked',
      'Status: install ok unpacked',
      'Version: 1.0',
      '',
      'Package: plain',
      'status: install ok installed',
      'version: 3:4.5~rc1-2',
      'architecture: all',
      '',
    ].join('\n');
    const pkgs = parseDpkgStatus('/var/lib/dpkg/status', text);
    expect(pkgs.map((p) => p.name)).toEqual(['libfoo1', 'held', 'plain']);
    expect(pkgs[0]).toMatchObject({ sourceName: 'foo', sourceVersion: '1.2-3', version: '1.2-3+b1', arch: 'amd64', maintainer: 'Foo Team <foo@example.org>' });
    expect(pkgs[1]).toMatchObject({ sourceName: 'heldsrc', sourceVersion: '2.0' });
    expect(pkgs[2]).toMatchObject({ name: 'plain', version: '3:4.5~rc1-2', arch: 'all', sourceName: 'plain', sourceVersion: '3:4.5~rc1-2' });
  });

  it('reads distroless status.d entries, which carry no Status', async () => {
    // as written by distroless/rules_distroless: one file per package, plus .md5sums files
    const base = 'Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\nMaintainer: Santiago Vila <sanvila@debian.org>\nInstalled-Size: 341\nSection: admin\nPriority: required\nDescription: Debian base system miscellaneous files\n';
    const libc = 'Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nMulti-Arch: same\nDescription: GNU C Library: Shared libraries\n Contains the standard libraries.\n';
    expect(dpkgAnalyzer.wants('/var/lib/dpkg/status.d/base-files', base.length)).toBe(true);
    expect(dpkgAnalyzer.wants('/var/lib/dpkg/status.d/libc6.md5sums', 100)).toBe(false);
    expect(dpkgAnalyzer.wants('/var/lib/dpkg/status.d/sub/x', 100)).toBe(false);
    expect(dpkgAnalyzer.wants('/var/lib/dpkg/status-old', 100)).toBe(false);
    const a = await dpkgAnalyzer.analyze('/var/lib/dpkg/status.d/base-files', Buffer.from(base));
    const b = await dpkgAnalyzer.analyze('/var/lib/dpkg/status.d/libc6', Buffer.from(libc));
    expect(a!.packages).toEqual([{ type: 'deb', name: 'base-files', version: '12.4+deb12u5', arch: 'amd64', sourceName: 'base-files', sourceVersion: '12.4+deb12u5', maintainer: 'Santiago Vila <sanvila@debian.org>', foundIn: '/var/lib/dpkg/status.d/base-files' }]);
    expect(b!.packages![0]).toMatchObject({ name: 'libc6', sourceName: 'glibc', sourceVersion: '2.36-9+deb12u4' });
  });

  it('skips fields it does not keep without decoding them, and drops kept values over 64 KiB', () => {
    const huge = ' ' + 'x'.repeat(70 * 1024);
    const text = `Package: a\nStatus: install ok installed\nVersion: 1\nDescription: d\n${huge}\n ${'y'.repeat(100)}\n\n`
      + `Package: b\nStatus: install ok installed\nVersion: ${'9'.repeat(70 * 1024)}\n\n`
      + `Package: c\r\nStatus: install ok installed\r\nVersion: 3\r\n`;
    expect(parseDpkgStatus('/var/lib/dpkg/status', Buffer.from(text)).map((p) => `${p.name}@${p.version}`)).toEqual(['a@1', 'c@3']);
    // all fields when none are named (copyright files): continuation lines joined, a long one dropped
    const stanzas = parseControlStanzas(`A: 1\n 2\nB: x\n${huge}\n more\nC: 3\n`);
    expect([...stanzas[0]!]).toEqual([['a', '1\n2'], ['c', '3']]);
  });
});
