// A real Rust binary (cargo, crates.io dependencies vendored by Debian) carrying cargo-auditable's
// .dep-v0 section (test/fixtures/rust/build.sh says how it is made), read by streaming it through
// the rust-audit sink and compared with the JSON embedded.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { rustAuditAnalyzer } from '../src/analyzers/rust-audit.ts';
import { packagePurl } from '../src/sbom/purl.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { fileEntry as entry, viaAnalyzerSink } from './helpers/sink.ts';

let dir = '';
beforeAll(async () => { dir = await buildFixtures('test/fixtures/rust/build.sh', 'rust'); }, 240_000);


const viaSink = (path: string, bytes: Buffer, chunk?: number) => viaAnalyzerSink(rustAuditAnalyzer, path, bytes, chunk);

/** The real binary with its .dep-v0 section replaced by `section` (binutils objcopy). */
function withSection(section: Buffer): Buffer {
  const tmp = mkdtempSync(join(tmpdir(), 'customs-rust-'));
  writeFileSync(join(tmp, 'sec'), section);
  execFileSync('objcopy', ['--update-section', `.dep-v0=${join(tmp, 'sec')}`, join(dir, 'rust-app'), join(tmp, 'out')]);
  return readFileSync(join(tmp, 'out'));
}

describe('rust-audit analyzer', () => {
  it('lists every crate of the embedded dependency tree', async () => {
    const truth = JSON.parse(readFileSync(join(dir, 'rust-app.json'), 'utf8')).packages as { name: string; version: string; source: string }[];
    expect(truth.map((p) => `${p.name}@${p.version}:${p.source}`)).toEqual([
      'adler@1.0.2:crates.io', 'customs-rust-fixture@0.1.0:local', 'itoa@1.0.1:crates.io', 'local-helper@0.2.0:local',
    ]);
    const bytes = readFileSync(join(dir, 'rust-app'));
    for (const size of [64 * 1024, 4093, 777]) {
      const f = await viaSink('/usr/bin/rust-app', bytes, size);
      expect(f?.packages).toEqual(truth.map((p) => ({ type: 'cargo', name: p.name, version: p.version, foundIn: '/usr/bin/rust-app' })));
    }
    const f = await viaSink('/usr/bin/rust-app', bytes);
    expect(f!.packages!.map((p) => packagePurl(p, undefined))).toEqual(['pkg:cargo/adler@1.0.2', 'pkg:cargo/customs-rust-fixture@0.1.0', 'pkg:cargo/itoa@1.0.1', 'pkg:cargo/local-helper@0.2.0']);
  });

  it('leaves out build-only crates and finds nothing in binaries without the section', async () => {
    const doc = { packages: [{ name: 'app', version: '1.0.0', source: 'local', root: true, dependencies: [1, 2] }, { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build' }, { name: 'libc', version: '0.2.150', source: 'crates.io' }] };
    const f = await viaSink('/app', withSection(deflateSync(JSON.stringify(doc), { level: 9 })));
    expect(f?.packages?.map((p) => p.name)).toEqual(['app', 'libc']);
    expect(await viaSink('/bin/bash', readFileSync('/bin/bash'))).toBeNull();
    expect(rustAuditAnalyzer.openSink!(entry('/doc.txt', 1000, 0o644))).toBeNull();
  });

  it('warns about truncated, oversized and malformed sections without crashing', async () => {
    const bytes = readFileSync(join(dir, 'rust-app'));
    const tmp = mkdtempSync(join(tmpdir(), 'customs-rust-'));
    execFileSync('objcopy', ['--dump-section', `.dep-v0=${join(tmp, 'sec')}`, join(dir, 'rust-app'), join(tmp, 'copy')]);
    const section = readFileSync(join(tmp, 'sec'));
    const at = bytes.indexOf(section);
    expect(at).toBeGreaterThan(0);
    await expect(viaSink('/cut', bytes.subarray(0, at + section.length - 10))).rejects.toThrow(/not a complete zlib stream/);
    // a bomb: 9 MB of spaces inflate from a few kB
    const bomb = deflateSync(Buffer.concat([Buffer.from('{"packages":['), Buffer.alloc(9 << 20, 0x20), Buffer.from(']}')]), { level: 9 });
    await expect(viaSink('/bomb', withSection(bomb))).rejects.toThrow(/inflates beyond/);
    const deep = deflateSync('{"packages":[' + '['.repeat(10000) + ']'.repeat(10000) + ']}');
    await expect(viaSink('/deep', withSection(deep))).rejects.toThrow(/deeper than/);
    const noList = deflateSync('{"packages":{"name":"x"}}');
    await expect(viaSink('/nolist', withSection(noList))).rejects.toThrow(/no packages list/);
  });
});
