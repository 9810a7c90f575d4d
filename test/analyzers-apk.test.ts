import { describe, expect, it } from 'vitest';
import { apkAnalyzer, parseApkInstalled } from '../src/analyzers/apk.ts';
import { analyzersKey } from '../src/analyzers/index.ts';
import { inventoryAnalyzers } from '../src/ecosystems/index.ts';
import { osReleaseAnalyzer, parseOsRelease } from '../src/analyzers/os-release.ts';

// shaped like Alpine 3.19's /lib/apk/db/installed (F:/R:/Z: lines repeat per file)
const APK_DB = `C:Q1Cu2GRX5U5AMPa2FuWD0j5kyJrKM=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
S:407356
I:663552
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1705482735
c:4d4a24d2c3ea24a8d31f5e2bb4c7d3c7e4dde2bc
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1fZRGMo+LbtT8dQv9S4QDJCd8HkU=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1kQ+0BZ8t7/4HXN3BkzqjU4X4YpE=
P:libcrypto3
V:3.1.4-r5
A:x86_64
S:1709471
I:4407296
T:Crypto library from openssl
U:https://www.openssl.org/
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
t:1707157779
c:ebe9c0ef8f7fc2a7d1b6b1b5f2b0b6bde0f4e6f7
D:so:libc.musl-x86_64.so.1
p:so:libcrypto.so.3=3
F:usr
F:usr/lib
R:libcrypto.so.3
Z:Q1Pbtq1WYrDVXJ8JmQ8dmFg4l5vAE=

C:Q1Xz7n5mEE1wGeuQ0yTTvWDEmOgTA=
P:libssl3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3
F:usr/lib
R:libssl.so.3

C:Q1dKHlJ7ZdTrwcYFeGcMzBfByLqvE=
P:busybox-binsh
V:1.36.1-r15
A:x86_64
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
F:bin
R:sh

C:Q1noorigin00000000000000000000=
P:alpine-baselayout-data
V:3.4.3-r2
A:x86_64
L:GPL-2.0-only
m:Natanael Copa <ncopa@alpinelinux.org>
`;

describe('apk analyzer', () => {
  it('parses an installed database with origins', async () => {
    expect(apkAnalyzer.wants('/lib/apk/db/installed', APK_DB.length)).toBe(true);
    expect(apkAnalyzer.wants('/usr/lib/apk/db/installed', APK_DB.length)).toBe(true);
    expect(apkAnalyzer.wants('/lib/apk/db/triggers', 10)).toBe(false);
    const res = await apkAnalyzer.analyze('/lib/apk/db/installed', Buffer.from(APK_DB));
    const pkgs = res!.packages!;
    expect(pkgs.map((p) => `${p.name}@${p.version}<${p.sourceName}`)).toEqual([
      'musl@1.2.4_git20230717-r4<musl',
      'libcrypto3@3.1.4-r5<openssl',
      'libssl3@3.1.4-r5<openssl',
      'busybox-binsh@1.36.1-r15<busybox',
      'alpine-baselayout-data@3.4.3-r2<alpine-baselayout-data',
    ]);
    expect(pkgs[1]).toEqual({
      type: 'apk', name: 'libcrypto3', version: '3.1.4-r5', arch: 'x86_64', sourceName: 'openssl', sourceVersion: '3.1.4-r5',
      license: 'Apache-2.0', maintainer: 'Ariadne Conill <ariadne@dereferenced.org>', foundIn: '/lib/apk/db/installed',
    });
  });

  it('handles CRLF, missing trailing blank line and junk', () => {
    const pkgs = parseApkInstalled('/usr/lib/apk/db/installed', 'P:a\r\nV:1-r0\r\n\r\n\r\ngarbage line\nP:b\nV:2-r1\nA:aarch64');
    expect(pkgs.map((p) => [p.name, p.version, p.arch])).toEqual([['a', '1-r0', undefined], ['b', '2-r1', 'aarch64']]);
  });
});

describe('os-release analyzer', () => {
  it('parses quoted values and ID_LIKE', async () => {
    const text = 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nNAME="Ubuntu"\nVERSION_ID="22.04"\nVERSION="22.04.4 LTS (Jammy Jellyfish)"\nVERSION_CODENAME=jammy\nID=ubuntu\nID_LIKE=debian\n# comment\nHOME_URL="https://www.ubuntu.com/"\n';
    expect(osReleaseAnalyzer.wants('/etc/os-release', text.length)).toBe(true);
    expect(osReleaseAnalyzer.wants('/usr/lib/os-release', text.length)).toBe(true);
    expect(osReleaseAnalyzer.wants('/etc/lsb-release', text.length)).toBe(false);
    const res = await osReleaseAnalyzer.analyze('/etc/os-release', Buffer.from(text));
    expect(res!.os).toEqual({ id: 'ubuntu', name: 'Ubuntu', versionId: '22.04', versionCodename: 'jammy', prettyName: 'Ubuntu 22.04.4 LTS', idLike: ['debian'], foundIn: '/etc/os-release' });
    expect(parseOsRelease('/x', Buffer.from("ID='alpine'\nVERSION_ID=3.19.1\n"))).toMatchObject({ id: 'alpine', versionId: '3.19.1' });
    expect(parseOsRelease('/x', Buffer.from('garbage\n\u0000\u0001'))).toBeNull();
  });

  it('analyzersKey is stable and sorted', () => {
    // more analyzers join the default set over time: the key lists each once, sorted, whatever the order
    const key = analyzersKey(inventoryAnalyzers());
    expect(key.split(',')).toEqual(expect.arrayContaining(['apk@1', 'dpkg@1', 'os-release@1', 'rpm@1']));
    expect(key.split(',')).toEqual([...key.split(',')].sort());
    expect(analyzersKey([...inventoryAnalyzers()].reverse())).toBe(key);
    for (const a of inventoryAnalyzers()) expect(Number.isInteger(a.version) && a.version >= 1).toBe(true);
  });
});
