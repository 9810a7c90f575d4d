// The three ways an analyzer sees a layer (whole file, streamed sink, entry metadata) and how the
// merge treats what they say: secrets survive deletion, facts follow visibility, owned files mark
// language packages as the OS's.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Analyzer, FileSink } from '../src/analyzers/analyzer.ts';
import { configSchema } from '../src/config/schema.ts';
import { mergeLayers } from '../src/image/merge.ts';
import { inventoryLayers } from './helpers/layers.ts';
import type { TarEntry } from './helpers/tar.ts';

const LIMITS = { ...configSchema.parse({}).limits, maxFileBytes: 64 * 1024 };

/** Streams every executable and counts bytes and ELF magic; never holds the file. */
const elfCounter: Analyzer = {
  name: 'elf-counter', version: 1,
  wants: () => false,
  analyze: () => null,
  openSink(entry) {
    if ((entry.mode & 0o111) === 0) return null;
    let bytes = 0, first: Buffer | undefined;
    const sink: FileSink = {
      write(chunk) { first ??= chunk.subarray(0, 4); bytes += chunk.length; },
      end() {
        if (!first || !first.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]))) return null;
        return { facts: [{ id: 'elf', detail: String(bytes) }] };
      },
    };
    return sink;
  },
};

/** Stops after the first chunk: the walker must not send more. */
const sniffer: Analyzer & { chunks: number } = {
  name: 'sniffer', version: 1, chunks: 0,
  wants: () => false,
  analyze: () => null,
  openSink(entry) {
    if (!entry.path.endsWith('.big')) return null;
    return { write: () => { sniffer.chunks++; return false; }, end: () => ({ facts: [{ id: 'sniffed' }] }) };
  },
};

const setuid: Analyzer = {
  name: 'setuid', version: 1,
  wants: () => false,
  analyze: () => null,
  inspect: (e) => (e.type === 'file' && (e.mode & 0o4000) ? { facts: [{ id: 'setuid', detail: `uid ${e.uid}` }] } : null),
};

const secrets: Analyzer = {
  name: 'secrets', version: 1,
  wants: (p) => p.endsWith('.env'),
  analyze(_p, content) {
    const m = /TOKEN=(\S+)/.exec(content.toString());
    if (!m) return null;
    return { secrets: [{ rule: 'token', severity: 'high', title: 'a token', line: 1, masked: m[1]!.slice(0, 2) + '***', fingerprint: createHash('sha256').update(m[1]!).digest('hex') }] };
  },
};

const dpkgFiles: Analyzer = {
  name: 'owned', version: 1,
  wants: (p) => p.endsWith('.list'),
  analyze: (_p, content) => ({ ownedFiles: content.toString().split('\n').filter(Boolean) }),
};

const pyMeta: Analyzer = {
  name: 'py', version: 1,
  wants: (p) => p.endsWith('/METADATA'),
  analyze: (p, content) => {
    const name = /^Name: (.+)$/m.exec(content.toString())?.[1];
    const version = /^Version: (.+)$/m.exec(content.toString())?.[1];
    return name && version ? { packages: [{ type: 'pypi', name, version, foundIn: p }] } : null;
  },
};

const ALL = [elfCounter, sniffer, setuid, secrets, dpkgFiles, pyMeta];

const build = (layers: TarEntry[][]) => inventoryLayers(layers, ALL, LIMITS);

const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(200_000, 1)]);
const META = (n: string, v: string) => `Metadata-Version: 2.1\nName: ${n}\nVersion: ${v}\n`;

describe('analyzer interface', () => {
  it('streams files larger than maxFileBytes through sinks, by mode, without buffering them', async () => {
    const { results } = await build([[
      { path: 'opt/app', content: ELF, mode: 0o755 },
      { path: 'opt/not-exec', content: ELF, mode: 0o644 },
      { path: 'opt/script', content: '#!/bin/sh\n', mode: 0o755 },
    ]]);
    const r = results[0]!;
    expect(r.files['/opt/app']).toEqual([{ analyzer: 'elf-counter', facts: [{ id: 'elf', detail: String(ELF.length) }] }]);
    expect(r.files['/opt/not-exec']).toBeUndefined();
    expect(r.files['/opt/script']).toBeUndefined(); // sink found nothing: not recorded
    expect(r.warnings).toEqual([]);
  });

  it('stops feeding a sink that said it has seen enough', async () => {
    sniffer.chunks = 0;
    const { results } = await build([[{ path: 'x.big', content: Buffer.alloc(1_000_000, 3) }]]);
    expect(sniffer.chunks).toBe(1);
    expect(results[0]!.files['/x.big']).toEqual([{ analyzer: 'sniffer', facts: [{ id: 'sniffed' }] }]);
  });

  it('gives every entry to inspect, content unread', async () => {
    const { results } = await build([[
      { path: 'usr/bin/sudo', content: 'x', mode: 0o4755 },
      { path: 'usr/bin/ls', content: 'x', mode: 0o755 },
    ]]);
    expect(results[0]!.files['/usr/bin/sudo']).toEqual([{ analyzer: 'setuid', facts: [{ id: 'setuid', detail: 'uid 0' }] }]);
    expect(results[0]!.files['/usr/bin/ls']).toBeUndefined();
  });

  it('keeps a secret deleted or replaced by a later layer, marked not visible; facts follow visibility', async () => {
    const { results, descs } = await build([
      [
        { path: 'app/.env', content: 'TOKEN=s3cr3tvalue\n' },
        { path: 'app/other.env', content: 'TOKEN=another\n' },
        { path: 'usr/bin/sudo', content: 'x', mode: 0o4755 },
        { path: 'usr/bin/passwd', content: 'x', mode: 0o4755 },
      ],
      [
        { path: 'app/.wh..env', content: '' },
        { path: 'app/other.env', content: 'nothing here\n' },
        { path: 'usr/bin/.wh.sudo', content: '' },
        { path: 'srv/new.env', content: 'TOKEN=third\n' },
      ],
    ]);
    const m = mergeLayers(results, descs);
    const s = m.secrets.map((x) => `${x.path}@${x.layerIndex}:${x.visible}:${x.masked}`).sort();
    expect(s).toEqual(['/app/.env@0:false:s3***', '/app/other.env@0:false:an***', '/srv/new.env@1:true:th***']);
    expect(m.secrets.find((x) => x.path === '/srv/new.env')!.layer).toBe(descs[1]!.digest);
    expect(m.secrets.every((x) => !JSON.stringify(x).includes('s3cr3tvalue'))).toBe(true);
    expect(m.facts.map((f) => `${f.path}:${f.id}`)).toEqual(['/usr/bin/passwd:setuid']);
  });

  it('marks language packages in files an OS package owns, and lists one package per location', async () => {
    const site = 'usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA';
    const pip = 'usr/local/lib/python3.11/dist-packages/requests-2.31.0.dist-info/METADATA';
    const venv = 'opt/venv/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA';
    const { results, descs } = await build([
      [{ path: 'var/lib/dpkg/info/python3-requests.list', content: `/usr\n/${site}\n` }, { path: site, content: META('requests', '2.28.1') }],
      [{ path: pip, content: META('requests', '2.31.0') }, { path: venv, content: META('requests', '2.31.0') }],
    ]);
    const m = mergeLayers(results, descs);
    expect(m.packages.map((p) => `${p.foundIn}:${p.version}:${p.osOwned ?? false}`).sort()).toEqual([
      `/${venv}:2.31.0:false`, `/${site}:2.28.1:true`, `/${pip}:2.31.0:false`,
    ].sort());
  });

  it('a failing sink or inspect is a warning, not a failed layer', async () => {
    const bad: Analyzer = {
      name: 'bad', version: 1, wants: () => false, analyze: () => null,
      openSink: () => ({ write: () => { throw new Error('boom'); }, end: () => null }),
      inspect: () => { throw new Error('bang'); },
    };
    const { results: [r] } = await inventoryLayers([[{ path: 'a', content: 'x' }]], [bad], LIMITS);
    expect(r!.warnings.join('\n')).toMatch(/bad failed on \/a: boom/);
    expect(r!.warnings.join('\n')).toMatch(/bad failed on inspect\(\/a\): bang/);
  });
});
