// Crash safety of the verdict path: `bin/customs serve` is killed with SIGKILL (1) after a scan is
// stored but while its verdict is still being reached, and (2) after the verdict is recorded but
// while its attestations are being written to the registry. A front to the real registry holds the
// exact request the process waits on (no hook inside Customs). After a restart, both images end with
// a verdict and signed attestations a deploy tool can read, and the outbox is empty.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createClient } from '@libsql/client';
import { afterAll, describe, expect, it } from 'vitest';
import { readVerdictAttestations } from '../src/signing/read-verdict.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { trustedKey } from '../src/signing/verify-bundle.ts';
import { startHoldProxy, type HoldProxy } from './helpers/hold-proxy.ts';
import { pushDebianImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const CUSTOMS = fileURLToPath(new URL('../bin/customs', import.meta.url));
const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'customs-pubcrash-'));
let reg: TestRegistry | undefined;
let proxy: HoldProxy | undefined;
const client = new RegistryClient(testConfig());

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await proxy?.close();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

function startCustoms(cfgFile: string): ChildProcess {
  const child = spawn(CUSTOMS, ['serve', '--config', cfgFile], { env: { ...process.env, CUSTOMS_LOG_LEVEL: process.env.DEBUG_CRASH ? 'info' : 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => process.env.DEBUG_CRASH && process.stderr.write(d));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function waitReady(port: number): Promise<void> {
  await waitFor('customs to start', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200 ? true : undefined, 20_000);
}

async function kill9(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
}

describe('crash between the steps of a verdict', () => {
  it('kill -9 before the verdict and before its publication: after a restart both images are judged and published', async () => {
    reg = await startRegistry();
    proxy = await startHoldProxy(reg.host);
    const port = await freePort();
    const dbFile = join(dir, 'customs.db');
    const cfgFile = join(dir, 'customs.json');
    writeFileSync(cfgFile, JSON.stringify({
      dataDir: dir, database: { url: `file:${dbFile}` }, server: { host: '127.0.0.1', port },
      workers: { concurrency: 1, pollMs: 50, leaseMs: 2000, backoffMs: 50, maxBackoffMs: 200, vulndbRefresh: false, statusTags: true },
      attestations: { enabled: true, retryMs: 100, maxRetryMs: 500, pollMs: 100, leaseMs: 1500 },
      policy: { reevaluateIntervalMs: 1000, unjudgedAfterMs: 1000 },
      http: { retries: 1, backoffMs: 20, maxBackoffMs: 200 },
    }));
    // a signature rule makes the verdict read the registry (the image's .sig tag) after the scan is stored
    const pem = (await import('node:crypto')).generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const policy = `apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: crash }\nspec:\n  rules:\n    - type: signature\n      outcome: warn\n      authorities: [{ name: team, key: ${JSON.stringify(pem)} }]\n  actions:\n    fail: [{ type: gate }]\n`;
    let customs = startCustoms(cfgFile);
    await waitReady(port);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/policies/crash`, { method: 'PUT', body: policy })).status).toBe(201);
    const key = trustedKey(Buffer.from(await (await fetch(`http://127.0.0.1:${port}/api/v1/keys`)).text()), 'customs.pub');
    const db = createClient({ url: `file:${dbFile}` });
    const count = async (sql: string, ...args: string[]) => Number((await db.execute({ sql, args })).rows[0]!.n);
    try {
      // (1) the scan is stored; the verdict waits on the signature lookup, which is held
      const a = await pushDebianImage(client, reg.host, 'crash/a', 'v1', [['libc6', '2.36-9']]);
      proxy.hold = (req) => /\/crash\/a\/manifests\/sha256-[0-9a-f]{64}\.sig$/.test(req.url ?? '');
      const scanA = await fetch(`http://127.0.0.1:${port}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${proxy.host}/crash/a@${a.manifestDigest}` }) });
      expect(scanA.status).toBe(202);
      await waitFor('the verdict step to wait on the registry', async () => proxy!.held.length ? true : undefined);
      await sleep(100);
      await kill9(customs);
      expect(await count(`SELECT COUNT(*) AS n FROM scans WHERE digest = ?`, a.manifestDigest)).toBe(1);
      expect(await count(`SELECT COUNT(*) AS n FROM image_verdicts WHERE digest = ?`, a.manifestDigest)).toBe(0);

      // (2) with writes held, the next image's verdict is recorded and its publication waits on the registry
      proxy.hold = (req) => req.method !== 'GET' && req.method !== 'HEAD';
      proxy.held = [];
      customs = startCustoms(cfgFile);
      await waitReady(port);
      const b = await pushDebianImage(client, reg.host, 'crash/b', 'v1', [['libc6', '2.36-9'], ['bash', '5.2.15-2']]);
      await fetch(`http://127.0.0.1:${port}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${proxy.host}/crash/b@${b.manifestDigest}` }) });
      await waitFor('the publication to wait on a registry write', async () => proxy!.held.some((h) => h.includes('/crash/b/')) ? true : undefined);
      await kill9(customs);
      expect(await count(`SELECT COUNT(*) AS n FROM image_verdicts WHERE digest = ?`, b.manifestDigest)).toBe(1);
      expect(await count(`SELECT COUNT(*) AS n FROM publications WHERE digest = ?`, b.manifestDigest)).toBe(1);
      expect(await client.listTags(reg.host, 'crash/b')).toEqual(['v1']); // nothing reached the registry

      // restart with the registry answering: the unjudged scan is judged, every publication drains
      proxy.hold = null;
      customs = startCustoms(cfgFile);
      await waitReady(port);
      for (const [repo, img] of [['crash/a', a], ['crash/b', b]] as const) {
        const image = { registry: proxy.host, repository: repo, digest: img.manifestDigest };
        const read = await waitFor(`signed verdicts of ${repo}`, async () => {
          const r = await readVerdictAttestations(client, image, [key], 1 << 20).catch(() => undefined);
          return r && new Set(r.verified.map((v) => v.source)).size === 2 ? r : undefined;
        }, 30_000);
        expect(read.rejected).toEqual([]);
        expect(read.verified.map((v) => v.predicate.verdict)).toEqual(['warn', 'warn']); // unsigned: the warn rule
        const hex = img.manifestDigest.slice(7);
        const want = [`sha256-${hex}`, `sha256-${hex}.att`, `sha256-${hex}.scan`, 'v1'];
        expect(await waitFor(`the status tag of ${repo}`, async () => { const t = (await client.listTags(reg!.host, repo)).sort(); return t.length === want.length ? t : undefined; })).toEqual(want);
      }
      await waitFor('an empty outbox', async () => (await count('SELECT COUNT(*) AS n FROM publications')) === 0 ? true : undefined);
      expect(await count(`SELECT COUNT(*) AS n FROM image_verdicts WHERE digest = ?`, a.manifestDigest)).toBe(1);
    } finally {
      db.close();
    }
  }, 120_000);
});
