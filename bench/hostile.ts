// Benchmark: the hostile images of issue 19 at the sizes it reported, each scanned by `bin/customs
// scan` as its own process under GNU time: exit code, wall time and peak RSS. The target is a clear
// answer (the exit code each case should end with), in bounded time, under 256 MB peak RSS.
// `node bench/hostile.ts` runs it alone (BENCH_HOSTILE=case1,case2 picks cases); results go to
// bench/out/hostile.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { RegistryClient } from '../src/registry/client.ts';
import { MT } from '../src/image/media-types.ts';
import { dpkgStatus, pushImage, pushIndex } from '../test/helpers/push.ts';
import { startRegistry, testConfig } from '../test/helpers/registry.ts';
import { gzip, makeTar, type TarEntry } from '../test/helpers/tar.ts';
import {
  bzip2Tar, hugeDescriptionStatus, nestedJarBomb, overlappingJarBomb, paxLengthOverrun, pzstdFrames, workDir, zstdTwoFrames, zstdZeroBomb,
} from '../test/helpers/hostile.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CUSTOMS = join(ROOT, 'bin/customs');
const RSS_TARGET_MB = 256;
const OS_RELEASE: TarEntry = { path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' };
const CONFIG = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } };
const ZST = 'application/vnd.oci.image.layer.v1.tar+zstd';

interface Case { name: string; expect: number; push(client: RegistryClient, host: string, repo: string): Promise<void> }

const oneLayer = (data: Buffer, mediaType?: string) => ({ layers: [{ data, ...(mediaType ? { mediaType } : {}) }], config: CONFIG });
const jarLayer = async (jar: string) => gzip(await makeTar([OS_RELEASE, { path: 'app/bomb.jar', content: readFileSync(jar) }]));

export const HOSTILE_CASES: Case[] = [
  { name: 'jar-nested-copies-4x200', expect: 0, push: async (c, h, r) => { await pushImage(c, h, r, 'v1', oneLayer(await jarLayer(nestedJarBomb(workDir('b'), 4, 200)))); } },
  {
    // six bombs in one layer: each cut at its own limits.maxNestedArchives, the layer ends at limits.maxArchivesPerLayer
    name: 'jar-nested-six-in-one-layer', expect: 10, push: async (c, h, r) => {
      const jar = readFileSync(nestedJarBomb(workDir('b'), 4, 200));
      const layer = gzip(await makeTar([OS_RELEASE, ...Array.from({ length: 6 }, (_, i) => ({ path: `app/bomb-${i}.jar`, content: jar }))]));
      await pushImage(c, h, r, 'v1', oneLayer(layer));
    },
  },
  { name: 'jar-overlapping-4x200', expect: 0, push: async (c, h, r) => { await pushImage(c, h, r, 'v1', oneLayer(await jarLayer(overlappingJarBomb(workDir('b'), 4, 200)))); } },
  {
    name: 'zstd-two-frames', expect: 0, push: async (c, h, r) => {
      const tar = await makeTar([OS_RELEASE, { path: 'var/lib/dpkg/status', content: dpkgStatus([['bash', '5.2.15-2']]) }]);
      await pushImage(c, h, r, 'v1', oneLayer(zstdTwoFrames(tar), ZST));
    },
  },
  {
    name: 'pzstd-frames', expect: 0, push: async (c, h, r) => {
      const tar = await makeTar([OS_RELEASE, { path: 'usr/share/big', content: Buffer.alloc(24 << 20, 1) }, { path: 'var/lib/dpkg/status', content: dpkgStatus([['bash', '5.2.15-2']]) }]);
      await pushImage(c, h, r, 'v1', oneLayer(pzstdFrames(tar), ZST));
    },
  },
  { name: 'zstd-bomb-8GiB', expect: 10, push: async (c, h, r) => { await pushImage(c, h, r, 'v1', oneLayer(zstdZeroBomb(8 * 2 ** 30), ZST)); } },
  // the largest window libzstd decodes by default (128 MiB), filled before the ratio cap trips
  { name: 'zstd-bomb-long-window', expect: 10, push: async (c, h, r) => { await pushImage(c, h, r, 'v1', oneLayer(zstdZeroBomb(2 ** 30, '--long=27 -3'), ZST)); } },
  {
    name: 'dpkg-60MB-description', expect: 0, push: async (c, h, r) => {
      await pushImage(c, h, r, 'v1', oneLayer(gzip(await makeTar([OS_RELEASE, { path: 'var/lib/dpkg/status', content: hugeDescriptionStatus(60 << 20) }]))));
    },
  },
  {
    name: 'index-one-manifest-10000-times', expect: 10, push: async (c, h, r) => {
      const img = await pushImage(c, h, r, undefined, oneLayer(gzip(await makeTar([OS_RELEASE]))));
      await pushIndex(c, h, r, 'v1', Array.from({ length: 10_000 }, () => img.descriptor({ os: 'linux', architecture: 'amd64' })));
    },
  },
  {
    name: 'pax-length-overrun', expect: 9, push: async (c, h, r) => {
      const tar = paxLengthOverrun([[`opt/${'d'.repeat(120)}/x`, 'x'], ['etc/os-release', 'ID=debian\nVERSION_ID="12"\n']]);
      await pushImage(c, h, r, 'v1', oneLayer(gzip(tar)));
    },
  },
  {
    name: 'tar-bzip2', expect: 8, push: async (c, h, r) => {
      await pushImage(c, h, r, 'v1', oneLayer(bzip2Tar([['etc/os-release', 'ID=debian\n']]), 'application/vnd.oci.image.layer.v1.tar+bzip2'));
    },
  },
];

/** `customs scan` under GNU time: exit code, seconds, peak RSS (MB), the first stderr line. */
export function scanMeasured(ref: string, dataDir: string): { code: number; seconds: number; maxRssMb: number; message: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M', CUSTOMS, 'scan', ref, '--format', 'inventory', '--no-cache'], {
    env: { ...process.env, CUSTOMS_DATA: dataDir, CUSTOMS_LOG_LEVEL: 'error' }, encoding: 'utf8', maxBuffer: 512 << 20, timeout: 600_000,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const kb = Number(/RSS_KB=(\d+)/.exec(r.stderr)?.[1] ?? NaN);
  const message = r.stderr.split('\n').filter((l) => l && !l.startsWith('RSS_KB=') && !l.startsWith('Command exited')).slice(0, 2).join(' | ').slice(0, 300);
  return { code: r.status ?? -1, seconds: Math.round(seconds * 100) / 100, maxRssMb: Math.round(kb / 1024), message };
}

export async function benchHostile(host: string, dataDir: string, only?: string[]): Promise<Record<string, unknown>> {
  const client = new RegistryClient(testConfig());
  const out: Record<string, unknown> = {};
  try {
    for (const c of HOSTILE_CASES) {
      if (only && !only.includes(c.name)) continue;
      const repo = `hostile/${c.name.toLowerCase()}`;
      await c.push(client, host, repo);
      const m = scanMeasured(`${host}/${repo}:v1`, dataDir);
      const ok = m.code === c.expect && m.maxRssMb <= RSS_TARGET_MB;
      out[c.name] = { ...m, expectedCode: c.expect, rssTargetMb: RSS_TARGET_MB, ok };
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.name}: exit ${m.code} (want ${c.expect}), ${m.seconds} s, ${m.maxRssMb} MB — ${m.message}`);
    }
  } finally {
    await client.close();
  }
  return out;
}

if (import.meta.main) {
  const reg = await startRegistry();
  try {
    const only = process.env.BENCH_HOSTILE?.split(',').filter(Boolean);
    const results = await benchHostile(reg.host, mkdtempSync(join(tmpdir(), 'customs-bench-hostile-')), only);
    mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
    writeFileSync(join(ROOT, 'bench/out/hostile.json'), JSON.stringify(results, null, 2) + '\n');
  } finally {
    await reg.stop();
  }
}
