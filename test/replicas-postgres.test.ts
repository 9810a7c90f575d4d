// Two `customs serve` replicas on one PostgreSQL database and one real registry, behind a
// round-robin front (the load balancer). 50 images are pushed; one replica is killed with SIGKILL
// while it holds a scan. Every acknowledged push ends with exactly one scan and one verdict, the
// surviving replica's gate refuses the quarantined images, and every image's signed attestations
// are published (outbox empty).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { shippedMigrations } from '../src/db/client.ts';
import { readVerdictAttestations } from '../src/signing/read-verdict.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { trustedKey } from '../src/signing/verify-bundle.ts';
import { freshPgDatabase, writeSigningKey } from './helpers/postgres.ts';
import { pushDebianImage, type PushedImage } from './helpers/push.ts';
import { freePort, startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const CUSTOMS = fileURLToPath(new URL('../bin/customs', import.meta.url));
const SECRET = 'replica-webhook-secret-0123456789';
const IMAGES = 50;
const children = new Set<ChildProcess>();
const dir = mkdtempSync(join(tmpdir(), 'customs-replicas-'));
let reg: TestRegistry | undefined;
let front: Server | undefined;
let sql: pg.Client | undefined;
const client = new RegistryClient(testConfig());

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  front?.close();
  await sql?.end();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Replica { name: string; port: number; gatePort: number; child: ChildProcess }

function startReplica(name: string, port: number, gatePort: number, shared: Record<string, unknown>): Replica {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  const cfgFile = join(dataDir, 'customs.json');
  writeFileSync(cfgFile, JSON.stringify({ ...shared, dataDir, server: { host: '127.0.0.1', port }, gate: { ...(shared.gate as object), port: gatePort } }));
  const child = spawn(CUSTOMS, ['serve', '--config', cfgFile], { env: { ...process.env, CUSTOMS_LOG_LEVEL: process.env.DEBUG_REPLICAS ? 'info' : 'warn' }, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d) => process.env.DEBUG_REPLICAS && process.stderr.write(`[${name}] ${d}`));
  children.add(child);
  child.once('exit', () => children.delete(child));
  return { name, port, gatePort, child };
}

/** The load balancer: requests go round-robin; a replica that refuses the connection is skipped. */
function startFront(port: number, targets: () => number[]): Promise<Server> {
  let next = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const ports = targets();
      const attempt = (i: number) => {
        if (i >= ports.length) { res.writeHead(502).end('no replica'); return; }
        const p = ports[(next + i) % ports.length]!;
        const out = request({ host: '127.0.0.1', port: p, method: req.method, path: req.url, headers: req.headers }, (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        });
        out.on('error', () => attempt(i + 1));
        out.end(body);
      };
      next++;
      attempt(0);
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function waitReady(port: number): Promise<void> {
  await waitFor(`customs on ${port} to start`, async () => (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) === 200 ? true : undefined, 30_000);
}

describe('two replicas on PostgreSQL', () => {
  it('kill -9 of one replica mid-scan: every push scanned and judged exactly once, the survivor gates, all attestations published', async () => {
    const pgUrl = await freshPgDatabase();
    sql = new pg.Client({ connectionString: pgUrl });
    await sql.connect();
    const count = async (q: string, ...args: unknown[]) => Number((await sql!.query(q, args)).rows[0].n);
    const [frontPort, portA, portB, gateA, gateB] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    let alive = [portA, portB];
    front = await startFront(frontPort, () => alive);
    reg = await startRegistry({ notifications: { url: `http://127.0.0.1:${frontPort}/webhooks/distribution`, headers: { Authorization: [`Bearer ${SECRET}`] } } });
    const shared = {
      database: { url: pgUrl, postgres: { poolSize: 6 } },
      signing: { keyFile: writeSigningKey(dir) },
      webhooks: { sources: { distribution: { secret: SECRET } } },
      gate: { enabled: true, host: '127.0.0.1', upstream: `http://${reg.host}` },
      workers: { concurrency: 2, pollMs: 50, leaseMs: 1500, backoffMs: 50, maxBackoffMs: 200, vulndbRefresh: false, statusTags: false },
      attestations: { enabled: true, retryMs: 100, maxRetryMs: 500, pollMs: 100, leaseMs: 1500 },
      policy: { reevaluateIntervalMs: 1000, unjudgedAfterMs: 1000 },
      http: { retries: 1, backoffMs: 20, maxBackoffMs: 200 },
    };
    // both start at once: one applies the migrations under the advisory lock, the other waits and finds them applied
    const a = startReplica('a', portA, gateA, shared);
    const b = startReplica('b', portB, gateB, shared);
    await Promise.all([waitReady(portA), waitReady(portB)]);
    expect(await count('SELECT COUNT(*) AS n FROM __drizzle_migrations')).toBe(shippedMigrations('postgres'));

    const policy = `apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: ha }\nspec:\n  scope: { repositories: ["ha/**"] }\n  rules:\n    - { type: deny-packages, packages: ["badpkg"] }\n  actions:\n    fail: [{ type: gate }]\n`;
    expect((await fetch(`http://127.0.0.1:${frontPort}/api/v1/policies/ha`, { method: 'PUT', body: policy })).status).toBe(201);
    const key = trustedKey(Buffer.from(await (await fetch(`http://127.0.0.1:${portB}/api/v1/keys`)).text()), 'customs.pub');
    expect(await (await fetch(`http://127.0.0.1:${portA}/api/v1/keys`)).text()).toBe(await (await fetch(`http://127.0.0.1:${portB}/api/v1/keys`)).text());

    // Push; once replica a holds a scan lease, kill it (its pid is in the lease owner). It is frozen
    // (SIGSTOP) while we look, so the jobs it holds cannot finish between the look and the kill.
    const pushed: PushedImage[] = [];
    let killedWhileScanning = false;
    let orphans: string[] = [];
    const killIfScanning = async () => {
      if (killedWhileScanning) return;
      const mine = `%:${a.child.pid}:%`;
      if (!(await count(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'running' AND lease_owner LIKE $1`, mine))) return;
      a.child.kill('SIGSTOP');
      orphans = (await sql!.query(`SELECT id FROM jobs WHERE state = 'running' AND lease_owner LIKE $1`, [mine])).rows.map((r) => String(r.id));
      if (!orphans.length) { a.child.kill('SIGCONT'); return; }
      a.child.kill('SIGKILL');
      await new Promise((r) => a.child.once('exit', r));
      alive = [portB];
      killedWhileScanning = true;
    };
    for (let i = 0; i < IMAGES; i++) {
      const pkgs: [string, string][] = [['libc6', '2.36-9'], [`pkg${i}`, `1.${i}-1`], ...(i % 2 === 0 ? [['badpkg', '1.0-1'] as [string, string]] : [])];
      pushed.push(await pushDebianImage(client, reg.host, `ha/app${i}`, 'v1', pkgs));
      if (i >= 10) await killIfScanning();
    }
    for (let i = 0; i < 200 && !killedWhileScanning; i++) { await killIfScanning(); await new Promise((r) => setTimeout(r, 10)); }
    expect(killedWhileScanning).toBe(true);

    // Every push: one job succeeded, one scan, one verdict (the killed replica's scan is taken over).
    await waitFor('all scans', async () => (await count(`SELECT COUNT(*) AS n FROM jobs WHERE state = 'succeeded'`)) >= IMAGES ? true : undefined, 120_000);
    await waitFor('all verdicts', async () => (await count('SELECT COUNT(DISTINCT digest) AS n FROM image_verdicts')) >= IMAGES ? true : undefined, 60_000);
    for (const img of pushed) {
      expect(await count('SELECT COUNT(*) AS n FROM jobs WHERE digest = $1', img.manifestDigest), img.manifestDigest).toBe(1);
      expect(await count('SELECT COUNT(*) AS n FROM scans WHERE digest = $1', img.manifestDigest), img.manifestDigest).toBe(1);
      expect(await count('SELECT COUNT(*) AS n FROM image_verdicts WHERE digest = $1', img.manifestDigest), img.manifestDigest).toBe(1);
    }
    expect(await count(`SELECT COUNT(*) AS n FROM jobs WHERE state <> 'succeeded'`)).toBe(0);
    // the scans the killed replica held were taken over: run again, finished once
    for (const id of orphans) expect(await count(`SELECT COUNT(*) AS n FROM jobs WHERE id = $1 AND attempts > 1 AND state = 'succeeded'`, id), id).toBe(1);

    // The survivor's gate refuses exactly the quarantined images.
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    for (let i = 0; i < IMAGES; i++) {
      const res = await fetch(`http://127.0.0.1:${gateB}/v2/ha/app${i}/manifests/v1`, { headers: { accept } });
      await res.arrayBuffer();
      expect(res.status, `ha/app${i}`).toBe(i % 2 === 0 ? 403 : 200);
    }

    // A verdict change made on one replica is what every replica's gate answers with within 1 s:
    // replica a comes back, a quarantined image is released through it, b's gate lets it through.
    const a2 = startReplica('a', portA, gateA, shared);
    await waitReady(portA);
    alive = [portA, portB];
    const released = pushed[0]!;
    const t0 = Date.now();
    const rel = await fetch(`http://127.0.0.1:${portA}/api/v1/quarantine/${released.manifestDigest}/release`, {
      method: 'POST', body: JSON.stringify({ reason: 'replica test', repository: 'ha/app0' }),
    });
    expect(rel.status).toBe(200);
    const open = await waitFor('the other replica\'s gate to open', async () => {
      const res = await fetch(`http://127.0.0.1:${gateB}/v2/ha/app0/manifests/v1`, { headers: { accept } });
      await res.arrayBuffer();
      return res.status === 200 ? Date.now() - t0 : undefined;
    }, 5_000);
    expect(open).toBeLessThan(1_000);
    a2.child.kill('SIGTERM');

    // Every image's signed attestations are in the registry, and the outbox is empty.
    await waitFor('an empty outbox', async () => (await count('SELECT COUNT(*) AS n FROM publications')) === 0 ? true : undefined, 60_000);
    for (const [i, img] of pushed.entries()) {
      const r = await readVerdictAttestations(client, { registry: reg.host, repository: `ha/app${i}`, digest: img.manifestDigest }, [key], 1 << 20);
      expect(r.rejected).toEqual([]);
      expect(new Set(r.verified.map((v) => v.predicate.verdict)), `ha/app${i}`).toEqual(new Set([i % 2 === 0 ? 'fail' : 'pass']));
      if (i === 0) expect(r.verified.every((v) => v.predicate.quarantine?.state === 'released'), 'the release is republished').toBe(true);
    }
  }, 300_000);
});
