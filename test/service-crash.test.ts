// Crash safety: `bin/customs serve` is killed with SIGKILL while docker-registry delivers 200 push
// notifications and Customs scans them. After a restart, every acknowledged push ends with exactly
// one completed scan (the registry re-delivers what was not acknowledged; expired leases are retaken).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { pushImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';

const CUSTOMS = fileURLToPath(new URL('../bin/customs', import.meta.url));
const SECRET = 'crash-test-secret-0123456789';
const PUSHES = 200;

const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'customs-crash-'));
let reg: TestRegistry | undefined;
const client = new RegistryClient(testConfig());

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

function startCustoms(port: number, cfgFile: string): ChildProcess {
  const child = spawn(CUSTOMS, ['serve', '--config', cfgFile], { env: { ...process.env, CUSTOMS_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.resume();
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function waitHealthy(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try { if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return; } catch { /* not yet */ }
    await sleep(50);
  }
  throw new Error('customs did not start');
}

describe('crash safety', () => {
  it('kill -9 during 200 notified pushes: each acknowledged push ends with exactly one completed scan', async () => {
    const port = await freePort();
    const dbFile = join(dir, 'customs.db');
    const cfgFile = join(dir, 'customs.json');
    writeFileSync(cfgFile, JSON.stringify({
      dataDir: dir, database: { url: `file:${dbFile}` }, server: { host: '127.0.0.1', port },
      webhooks: { sources: { distribution: { secret: SECRET } } },
      workers: { concurrency: 2, perRegistry: 2, pollMs: 100, leaseMs: 1500, backoffMs: 100, maxBackoffMs: 1000, vulndbRefresh: false },
      http: { retries: 1, backoffMs: 20, maxBackoffMs: 200 },
    }));
    let customs = startCustoms(port, cfgFile);
    await waitHealthy(port);
    reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${port}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });

    const layer = gzip(await makeTar([{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.19.1\n' }]));
    const digests: string[] = [];
    for (let i = 0; i < PUSHES; i++) {
      const img = await pushImage(client, reg.host, 'crash/app', `t${i}`, {
        layers: [{ data: layer }],
        config: { architecture: 'amd64', os: 'linux', config: { Labels: { n: String(i) } }, rootfs: { type: 'layers', diff_ids: [] } },
      });
      digests.push(img.manifestDigest);
      if (i === 80) { customs.kill('SIGKILL'); await new Promise((r) => customs.once('exit', r)); }
      if (i === 110) { customs = startCustoms(port, cfgFile); await waitHealthy(port); }
    }

    const db = createClient({ url: `file:${dbFile}` });
    try {
      const count = async (sql: string) => Number((await db.execute(sql)).rows[0]!.n);
      // The registry re-delivers what was refused while Customs was down; workers finish the rest.
      for (let i = 0; i < 600; i++) {
        const acked = await count(`SELECT COUNT(DISTINCT digest) AS n FROM webhook_events WHERE outcome IN ('queued', 'duplicate')`);
        const open = await count(`SELECT COUNT(*) AS n FROM jobs WHERE state IN ('queued', 'running')`);
        if (acked === PUSHES && open === 0) break;
        await sleep(100);
      }
      const acked = (await db.execute(`SELECT DISTINCT digest FROM webhook_events WHERE outcome IN ('queued', 'duplicate')`)).rows.map((r) => String(r.digest));
      expect(acked.sort()).toEqual([...digests].sort());
      const perDigest = await db.execute(`SELECT digest, COUNT(*) AS jobs, SUM(state = 'succeeded') AS ok FROM jobs GROUP BY digest`);
      expect(perDigest.rows).toHaveLength(PUSHES);
      expect(perDigest.rows.filter((r) => Number(r.jobs) !== 1 || Number(r.ok) !== 1)).toEqual([]);
      const scans = await db.execute(`SELECT digest, COUNT(*) AS n FROM scans GROUP BY digest`);
      expect(scans.rows).toHaveLength(PUSHES);
      expect(scans.rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
      // Each job points at its own scan.
      expect(await count(`SELECT COUNT(*) AS n FROM jobs j JOIN scans s ON s.id = j.scan_id AND s.digest = j.digest`)).toBe(PUSHES);
    } finally {
      db.close();
    }
    customs.kill('SIGTERM');
    expect(await new Promise((r) => customs.once('exit', r))).toBe(0);
  }, 120_000);
});
