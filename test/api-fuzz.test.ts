// No input may produce a 500. Every route the app serves (listed from the app itself, so a new route
// is fuzzed without editing this file) gets hostile path parameters, query strings and bodies over
// real HTTP against a running service with stored data; every answer must be 2xx/3xx/4xx with a body,
// and the service must still be healthy afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client.ts';
import { createApp } from '../src/server/app.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { WEBHOOK_SOURCES } from '../src/config/service-schema.ts';
import { testConfig } from './helpers/registry.ts';

const SECRET = 'fuzz-secret-0123456789';
let dir: string;
let svc: RunningService;
let base: string;

const DIGEST = 'sha256:' + 'a'.repeat(64);
const PARAMS = [
  DIGEST, 'sha256:' + 'A'.repeat(64), 'sha256:zz', '', ' ', 'x'.repeat(5000), '..%2F..%2Fetc%2Fpasswd', '%00', '%FF%FE', '%E2%80%AE',
  "1' OR '1'='1", '${jndi:ldap://x}', 'null', '-1', '1e309', '9'.repeat(40), '%2e%2e', 'default', 'prod',
];
const QUERIES = [
  '', '?limit=-1', '?limit=0', '?limit=1e309', '?limit=abc', '?limit=500&cursor=OTk5OTk5OTk5OTk5OTk5OTk5OTk5', '?cursor=%%%',
  '?cursor=LTE', '?cursor=' + 'A'.repeat(3000), '?state=exploded', '?state=queued&state=failed', '?version=0', '?version=99999999999',
  '?version=-3', '?registry=' + '%00'.repeat(10), '?repository=a&repository=b', '?before=1e99', '?before=abc', '?subject=' + 'x'.repeat(2000),
  '?reason=' + '%F0%9F'.repeat(100),
];
function deep(n: number): string { return '['.repeat(n) + ']'.repeat(n); }
const BODIES: (string | Buffer)[] = [
  '', 'null', '[]', '{}', '"str"', '42', 'true', '{"image":', '{"image": 5}', '{"image": "a b c"}', '{"image": "127.0.0.1:1/x@sha256:00"}',
  '{"reason": {}}', '{"reason": "ok", "repository": 7}', '{"__proto__": {"polluted": true}, "reason": "x"}', deep(10_000),
  '{"a":' + '"x"'.padEnd(200_000, 'x') + '}', Buffer.from([0xff, 0xfe, 0x00, 0x01]), 'apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: [ }',
  'apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: fuzz }\nspec: { rules: [ { type: nope } ] }\n', '&a [*a, *a, *a, *a]\n' + 'b: &b [*a,*a,*a]\n',
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-fuzz-'));
  // zot needs the registry host named (its events never say it)
  const sources = Object.fromEntries(WEBHOOK_SOURCES.map((s) => [s, { secret: SECRET, ...(s === 'zot' ? { registry: 'zot.internal:5000' } : {}) }]));
  svc = await startService(testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    webhooks: { sources }, workers: { concurrency: 0, vulndbRefresh: false },
  }), { snsFetch: async () => { throw new Error('getaddrinfo ENOTFOUND sns.us-east-1.amazonaws.com'); } });
  base = `http://127.0.0.1:${svc.port}`;
}, 60_000);

afterAll(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** the routes the app serves, with their methods (the app lists them itself) */
async function routes(): Promise<{ method: string; path: string }[]> {
  const database = await openDatabase(testConfig({ dataDir: dir, database: { url: `file:${join(dir, 'list.db')}` } }));
  try {
    const app = createApp({ database, cfg: testConfig({ dataDir: dir }) });
    const seen = new Set<string>();
    return app.routes.filter((r) => r.method !== 'ALL' && !seen.has(`${r.method} ${r.path}`) && seen.add(`${r.method} ${r.path}`)).map((r) => ({ method: r.method, path: r.path }));
  } finally {
    database.close();
  }
}

function fill(path: string, value: string): string {
  return path.replace(/:[a-z]+/gi, value);
}

describe('fuzzing every route', () => {
  it('no parameter, query or body gets a 500, and the service stays up', async () => {
    const list = await routes();
    expect(list.length).toBeGreaterThan(20);
    const failures: string[] = [];
    let sent = 0;
    const send = async (method: string, url: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
      sent++;
      let res: Response;
      try {
        res = await fetch(base + url, { method, headers, ...(body !== undefined && method !== 'GET' && method !== 'HEAD' ? { body } : {}) });
      } catch (e) {
        failures.push(`${method} ${url.slice(0, 120)}: ${(e as Error).message}`);
        return;
      }
      const text = await res.text();
      if (res.status >= 500 && !(res.status === 502 && /\/webhooks\/sns/.test(url)) && !(res.status === 503 && url === '/readyz')) failures.push(`${method} ${url.slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`);
    };
    for (const r of list) {
      const sources = r.path.includes(':source') ? [...WEBHOOK_SOURCES, 'nope', '%2e%2e'] : [undefined];
      for (const source of sources) {
        const path = source ? r.path.replace(':source', source) : r.path;
        const params = path.includes(':') ? PARAMS : [''];
        for (const p of params) {
          const url = fill(path, encodeURIComponent(p).replace(/%25/g, '%'));
          for (const q of QUERIES) await send(r.method, url + q);
          if (r.method !== 'GET') {
            for (const b of BODIES) {
              await send(r.method, url, b, { 'content-type': 'application/json' });
              if (source) await send(r.method, url, b, { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' });
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(2000);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  }, 300_000);

  it('an SNS message whose signing certificate cannot be fetched answers 502 with the reason', async () => {
    // well-formed, from an amazonaws.com certificate URL; this service's SNS GET fails as when SNS is unreachable
    const msg = { Type: 'SubscriptionConfirmation', MessageId: 'm1', Token: 't', TopicArn: 'arn:aws:sns:us-east-1:1:x', Message: 'subscribe', SubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription', Timestamp: new Date().toISOString(), SignatureVersion: '2', SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem', Signature: 'AAAA' };
    const res = await fetch(`${base}/webhooks/ecr`, { method: 'POST', headers: { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' }, body: JSON.stringify(msg) });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).detail).toBe('cannot fetch the SNS signing certificate from sns.us-east-1.amazonaws.com (getaddrinfo ENOTFOUND sns.us-east-1.amazonaws.com)');
  });
});
