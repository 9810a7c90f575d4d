// A registry that trickles: every byte arrives before the idle timeout, so only an overall deadline
// ends the wait. The manifest (or a layer) of a real image is served one byte per 400 ms from a front
// to the real registry; the CLI ends with exit 5 naming the deadline, in bounded time, and a service
// job fails with the scan deadline as a transient error.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.ts';
import { startService } from '../src/server/service.ts';
import { CUSTOMS_BIN } from './helpers/cli.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

let reg: TestRegistry;
let front: Server;
let frontHost: string;
let work: string;
const client = new RegistryClient(testConfig());
let slow: RegExp = /$^/;

beforeAll(async () => {
  reg = await startRegistry();
  work = mkdtempSync(join(tmpdir(), 'customs-slow-'));
  const [host, port] = reg.host.split(':') as [string, string];
  // forwards to the real registry; responses to paths matching `slow` are trickled a byte at a time
  front = createServer((req, res) => {
    const up = httpRequest({ host, port: Number(port), method: req.method, path: req.url, headers: req.headers }, (r) => {
      if (!slow.test(req.url ?? '') || req.method !== 'GET') { res.writeHead(r.statusCode ?? 502, r.headers); r.pipe(res); return; }
      const headers = { ...r.headers };
      res.writeHead(r.statusCode ?? 502, headers);
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => {
        const all = Buffer.concat(chunks);
        let i = 0;
        const t = setInterval(() => {
          if (res.destroyed || i >= all.length) { clearInterval(t); res.end(); return; }
          res.write(all.subarray(i, i + 1));
          i++;
        }, 400);
        res.on('close', () => clearInterval(t));
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', () => r()));
  frontHost = `127.0.0.1:${(front.address() as AddressInfo).port}`;
  await pushDebianImage(client, reg.host, 'slow/app', 'v1', [['libc6', '2.36-9']]);
}, 60_000);

afterAll(async () => {
  front.closeAllConnections();
  front.close();
  await reg.stop();
  await client.close();
  rmSync(work, { recursive: true, force: true });
});

function cli(args: string[], config: string): Promise<{ code: number; stderr: string; ms: number }> {
  const cfgFile = join(work, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(cfgFile, config);
  const t0 = Date.now();
  return new Promise((res) => execFile(CUSTOMS_BIN, args, { env: { ...process.env, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn' }, timeout: 60_000 },
    (err, _out, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr, ms: Date.now() - t0 })));
}

const FAST_RETRIES = 'http:\n  retries: 1\n  backoffMs: 10\n  maxBackoffMs: 50\n  timeoutMs: 3000\n  bodyTimeoutMs: 3000\n';

describe('a registry that trickles bytes', () => {
  it('a manifest at 2.5 bytes/s ends at http.requestDeadlineMs with exit 5, although no byte is ever 3 s late', async () => {
    slow = /\/manifests\//;
    const r = await cli(['scan', `${frontHost}/slow/app:v1`, '--no-cache'], `${FAST_RETRIES}  requestDeadlineMs: 2000\n`);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/slow\/app:v1 manifest: no complete answer within 2000 ms \(http\.requestDeadlineMs/);
    expect(r.ms).toBeLessThan(20_000);
  }, 60_000);

  it('--timeout bounds the whole scan: a trickled layer ends with exit 5 naming --timeout', async () => {
    slow = /\/blobs\/sha256:/;
    const r = await cli(['scan', `${frontHost}/slow/app:v1`, '--no-cache', '--timeout', '3s'], FAST_RETRIES);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stderr).toMatch(/did not finish within 3000 ms \(--timeout 3s\)/);
    expect(r.ms).toBeLessThan(20_000);
    const bad = await cli(['scan', `${frontHost}/slow/app:v1`, '--timeout', 'soon'], FAST_RETRIES);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--timeout must be a number with ms, s, m, h or d/);
  }, 60_000);

  it('a service scan ends at workers.scanTimeoutMs: the job records why and is retried as transient', async () => {
    slow = /\/blobs\/sha256:/;
    const dir = join(work, 'svc');
    const svc = await startService(testConfig({
      dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
      workers: { concurrency: 1, pollMs: 50, leaseMs: 5000, backoffMs: 60_000, maxBackoffMs: 60_000, scanTimeoutMs: 2000, vulndbRefresh: false },
      http: { retries: 1, backoffMs: 10, maxBackoffMs: 50, timeoutMs: 3000, bodyTimeoutMs: 3000 },
    }));
    try {
      const res = await fetch(`http://127.0.0.1:${svc.port}/api/v1/scans`, { method: 'POST', body: JSON.stringify({ image: `${frontHost}/slow/app:v1` }) });
      const { jobId } = await res.json() as any;
      const job = await waitFor('the job to fail its attempt', async () => {
        const j = await (await fetch(`http://127.0.0.1:${svc.port}/api/v1/jobs/${jobId}`)).json() as any;
        return j.lastError ? j : undefined;
      }, 30_000);
      expect(job).toMatchObject({ state: 'queued', attempts: 1, lastErrorKind: 'unreachable' });
      expect(job.lastError).toMatch(/did not finish within 2000 ms \(the scan deadline, workers\.scanTimeoutMs\)/);
    } finally {
      await svc.stop();
    }
  }, 60_000);
});
