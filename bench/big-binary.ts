// Benchmark: a 160 MB executable scanned by the binary analyzers, against the same bytes as a
// non-executable file (which no sink looks at) in the same run. The executable is a real Go binary
// with 160 MB of random bytes spliced in after its first 64 kB, so the build info sits at the end and
// every byte passes the Go, Rust and Java sinks.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar-stream';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from '../test/helpers/push.ts';
import { testConfig } from '../test/helpers/registry.ts';
import { buildFixtures } from '../test/helpers/fixtures-build.ts';

async function layerWith(goBinary: Buffer, padBytes: number, mode: number): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const done = pipeline(pack, createGzip({ level: 1 }), new Writable({ write(c, _e, cb) { parts.push(c); cb(); } }));
  const size = goBinary.length + padBytes;
  const e: any = pack.entry({ name: 'usr/local/bin/big', size, mode }, () => {});
  e.write(goBinary.subarray(0, 65536));
  const chunk = randomBytes(4 << 20);
  for (let n = 0; n < padBytes; n += chunk.length) {
    chunk[0] = (chunk[0]! + 1) & 255;
    if (!e.write(chunk.subarray(0, Math.min(chunk.length, padBytes - n)))) await new Promise((r) => e.once('drain', r));
  }
  e.write(goBinary.subarray(65536));
  e.end();
  pack.finalize();
  await done;
  return Buffer.concat(parts);
}

/** Push both images and time `customs scan` on each (GNU time for peak RSS); returns the results. */
export async function benchBigBinary(host: string, customs: string, dataDir: string, padBytes = 160 << 20): Promise<Record<string, unknown>> {
  const goDir = await buildFixtures(join(import.meta.dirname, '../test/fixtures/go/build.sh'), 'go');
  const go = readFileSync(join(goDir, 'hello'));
  const client = new RegistryClient(testConfig());
  const push = async (tag: string, mode: number) => pushImage(client, host, 'bench/binary', tag, {
    layers: [{ data: await layerWith(go, padBytes, mode) }],
    config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
  });
  await push('exec', 0o755);
  await push('plain', 0o644);
  await client.close();
  const run = (tag: string) => {
    const r = spawnSync('/usr/bin/time', ['-f', 'RSS_KB=%M ELAPSED=%e', customs, 'scan', `${host}/bench/binary:${tag}`, '--format', 'json', '--no-cache'], {
      env: { ...process.env, CUSTOMS_DATA: dataDir, CUSTOMS_LOG_LEVEL: 'warn' }, encoding: 'utf8', maxBuffer: 64 << 20,
    });
    const m = /RSS_KB=(\d+) ELAPSED=([\d.]+)/.exec(r.stderr)!;
    const pkgs = JSON.parse(r.stdout).images[0].packages as { name: string }[];
    return { seconds: Number(m[2]), peakRssMb: Number(m[1]) / 1024, golang: pkgs.filter((p) => p.name === 'stdlib').length };
  };
  run('plain'); // warm the registry's page cache
  // alternate the two, median of each (the machine is shared)
  const runs = Number(process.env.BENCH_RUNS ?? 3);
  const plains: ReturnType<typeof run>[] = [], execs: ReturnType<typeof run>[] = [];
  for (let i = 0; i < runs; i++) { plains.push(run('plain')); execs.push(run('exec')); }
  const med = (a: ReturnType<typeof run>[]) => [...a].sort((x, y) => x.seconds - y.seconds)[Math.floor(a.length / 2)]!;
  const plain = med(plains), exec = med(execs);
  return {
    fileBytes: go.length + padBytes, runs,
    executableS: exec.seconds, nonExecutableS: plain.seconds, executableOverNonExecutable: +(exec.seconds / plain.seconds).toFixed(3),
    executablePeakRssMb: +exec.peakRssMb.toFixed(1), nonExecutablePeakRssMb: +plain.peakRssMb.toFixed(1),
    goStdlibFound: exec.golang === 1,
  };
}

// `node bench/big-binary.ts` runs this benchmark alone
if (import.meta.main) {
  const { startRegistry } = await import('../test/helpers/registry.ts');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const reg = await startRegistry({ auth: 'none' });
  const data = mkdtempSync(join(tmpdir(), 'customs-bench-bin-'));
  try {
    console.log(JSON.stringify(await benchBigBinary(reg.host, join(import.meta.dirname, '../bin/customs'), data), null, 2));
  } finally {
    await reg.stop();
    rmSync(data, { recursive: true, force: true });
  }
}
