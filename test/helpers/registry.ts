// Starts Debian's real docker-registry (CNCF distribution 2.8) on 127.0.0.1 for tests and benchmarks.
//
//   const reg = await startRegistry();                                   // anonymous, read/write
//   const reg = await startRegistry({ auth: 'htpasswd', users: { alice: { password: 'pw' } } });
//   const reg = await startRegistry({ auth: 'token', users: { alice: { password: 'pw', access: { 'lab/*': ['pull', 'push'] } } } });
//   ... reg.host === '127.0.0.1:PORT'; reg.tokenRequests() counts token-server hits
//   await reg.stop();                                                      // always, e.g. in afterAll
//
// The registry process is also killed when the test process exits (and by a watchdog if the process
// is killed outright), so a failed or aborted test never leaks it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, sign } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { configSchema, type Config } from '../../src/config/schema.ts';

export const REGISTRY_BIN = process.env.CUSTOMS_TEST_REGISTRY_BIN ?? '/usr/bin/docker-registry';

export interface TestUser {
  password: string;
  /** token auth only: repository name (or prefix ending in '*') → actions granted. Default: everything. */
  access?: Record<string, string[]>;
  /** token auth only: an OAuth2 refresh token (docker identitytoken) that logs in as this user */
  refreshToken?: string;
}

export interface RegistryOptions {
  auth?: 'none' | 'htpasswd' | 'token';
  users?: Record<string, TestUser>;
  /** token auth: actions anonymous callers get per repository pattern (default none) */
  anonymous?: Record<string, string[]>;
  /** token auth: token lifetime in seconds (default 300) */
  tokenTtl?: number;
  /** notify this endpoint of events (distribution `notifications`, with includereferences) */
  notifications?: { url: string; headers?: Record<string, string[]> };
}

export interface TestRegistry {
  /** "127.0.0.1:PORT", as used in references */
  host: string;
  port: number;
  /** filesystem storage root (tests corrupt blobs here) */
  storageDir: string;
  /** path of a blob's data file in the storage */
  blobPath(digest: string): string;
  /** requests the token server has answered (token auth only; 0 otherwise) */
  tokenRequests(): number;
  /** scopes asked for, one entry per token request */
  tokenScopes(): string[];
  stop(): Promise<void>;
}

export const TOKEN_SERVICE = 'customs-test-registry';
const TOKEN_ISSUER = 'customs-test-issuer';
const running = new Set<ChildProcess>();
process.on('exit', () => { for (const c of running) c.kill('SIGKILL'); });

/** A full Config with defaults, for tests: fast retries so failure paths do not take long. */
export function testConfig(overrides: Record<string, any> = {}): Config {
  return configSchema.parse({
    dataDir: tmpdir(),
    ...overrides,
    http: { timeoutMs: 5_000, bodyTimeoutMs: 10_000, retries: 2, backoffMs: 20, maxBackoffMs: 200, ...overrides.http },
  });
}

export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'none';
  const dir = mkdtempSync(join(tmpdir(), 'customs-registry-'));
  const storageDir = join(dir, 'storage');
  let tokenServer: TokenServer | undefined;
  try {
    const authConfig: Record<string, unknown> = {};
    if (auth === 'htpasswd') {
      const lines = Object.entries(opts.users ?? {}).map(([u, t]) => execFileSync('htpasswd', ['-Bbn', u, t.password], { encoding: 'utf8' }).trim());
      writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
      authConfig.htpasswd = { realm: 'customs-test', path: join(dir, 'htpasswd') };
    } else if (auth === 'token') {
      tokenServer = await startTokenServer(dir, opts);
      authConfig.token = { realm: `http://127.0.0.1:${tokenServer.port}/token`, service: TOKEN_SERVICE, issuer: TOKEN_ISSUER, rootcertbundle: tokenServer.certPath };
    }

    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort();
      const config = {
        version: '0.1',
        log: { level: 'error', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: storageDir }, delete: { enabled: true }, maintenance: { uploadpurging: { enabled: false } } },
        http: { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') },
        ...(auth === 'none' ? {} : { auth: authConfig }),
        ...(opts.notifications ? {
          notifications: {
            events: { includereferences: true },
            endpoints: [{ name: 'customs', url: opts.notifications.url, headers: opts.notifications.headers ?? {}, timeout: '2s', threshold: 3, backoff: '200ms' }],
          },
        } : {}),
      };
      const cfgPath = join(dir, 'config.yml');
      writeFileSync(cfgPath, JSON.stringify(config, null, 2)); // JSON is YAML
      const logPath = join(dir, `registry-${attempt}.log`);
      const logFd = openSync(logPath, 'w');
      const child = spawn(REGISTRY_BIN, ['serve', cfgPath], { stdio: ['ignore', logFd, logFd] });
      closeSync(logFd);
      running.add(child);
      watchdog(child, dir);
      let exited = false;
      child.once('exit', () => { exited = true; running.delete(child); });
      const up = await waitUp(port, () => exited);
      if (up) {
        const tokens = tokenServer;
        return {
          host: `127.0.0.1:${port}`, port, storageDir,
          blobPath: (digest) => {
            const [alg, hex] = digest.split(':');
            return join(storageDir, 'docker/registry/v2/blobs', alg!, hex!.slice(0, 2), hex!, 'data');
          },
          tokenRequests: () => tokens?.requests.length ?? 0,
          tokenScopes: () => tokens?.requests.slice() ?? [],
          stop: async () => {
            await killChild(child);
            await tokens?.close();
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await killChild(child);
      if (attempt === 4) {
        let tail = '';
        try { tail = readFileSync(logPath, 'utf8').slice(-2000); } catch { /* none */ }
        throw new Error(`docker-registry did not start (${REGISTRY_BIN}):\n${tail}`);
      }
    }
    throw new Error('unreachable');
  } catch (e) {
    await tokenServer?.close();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function waitUp(port: number, exited: () => boolean): Promise<boolean> {
  for (let i = 0; i < 150; i++) {
    if (exited()) return false;
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return true;
    } catch { /* not yet */ }
    await sleep(100);
  }
  return false;
}

/** A detached shell that kills the registry once this process is gone, even after SIGKILL of the
 *  test worker (where no 'exit' handler runs). It ends by itself when the registry exits. */
function watchdog(child: ChildProcess, dir: string): void {
  if (!child.pid) return;
  // $1 test process, $2 registry, $3 its temp dir (removed only when the test process died)
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; '
    + 'if ! kill -0 "$1" 2>/dev/null; then kill -9 "$2" 2>/dev/null; rm -rf -- "$3"; fi; exit 0';
  const w = spawn('sh', ['-c', script, 'watchdog', String(process.pid), String(child.pid), dir], { stdio: 'ignore', detached: true });
  w.unref();
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) { running.delete(child); return; }
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
  running.delete(child);
}

// ---- token server ----------------------------------------------------------------------------

interface TokenServer { port: number; certPath: string; requests: string[]; close(): Promise<void> }

function b64url(b: Buffer | string): string { return Buffer.from(b).toString('base64url'); }

function allowed(rules: Record<string, string[]> | undefined, name: string): string[] {
  if (!rules) return ['pull', 'push', 'delete', '*'];
  const out = new Set<string>();
  for (const [pattern, actions] of Object.entries(rules)) {
    if (pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1)))) actions.forEach((a) => out.add(a));
  }
  return [...out];
}

async function startTokenServer(dir: string, opts: RegistryOptions): Promise<TokenServer> {
  const keyPath = join(dir, 'token-key.pem');
  const certPath = join(dir, 'token-cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=customs-test-token'], { stdio: 'ignore' });
  const key = readFileSync(keyPath, 'utf8');
  const certDer = readFileSync(certPath, 'utf8').replace(/-----[^-]+-----|\s+/g, '');
  const users = opts.users ?? {};
  const ttl = opts.tokenTtl ?? 300;
  const requests: string[] = [];

  const issue = (user: string | undefined, scopes: string[]) => {
    const access = scopes.flatMap((s) => {
      const first = s.indexOf(':');
      const last = s.lastIndexOf(':');
      if (first < 0 || last <= first) return [];
      const type = s.slice(0, first);
      const name = s.slice(first + 1, last);
      const wanted = s.slice(last + 1).split(',');
      const may = user ? allowed(users[user]!.access, name) : allowed(opts.anonymous ?? {}, name);
      const actions = wanted.filter((a) => may.includes(a) || may.includes('*'));
      return actions.length ? [{ type, name, actions }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const head = { typ: 'JWT', alg: 'ES256', x5c: [certDer] };
    const claims = { iss: TOKEN_ISSUER, sub: user ?? '', aud: TOKEN_SERVICE, exp: now + ttl, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access };
    const input = `${b64url(JSON.stringify(head))}.${b64url(JSON.stringify(claims))}`;
    const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${b64url(sig)}`;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => { if (chunks.reduce((n, b) => n + b.length, 0) < 65536) chunks.push(c); });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      let user: string | undefined;
      let scopes: string[];
      if (req.method === 'POST') {
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const rt = form.get('refresh_token');
        user = Object.entries(users).find(([, u]) => u.refreshToken && u.refreshToken === rt)?.[0];
        if (form.get('grant_type') !== 'refresh_token' || !user) { res.writeHead(401).end('{"error":"invalid_grant"}'); requests.push(''); return; }
        scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
      } else {
        scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
        const authz = req.headers.authorization;
        if (authz) {
          const m = /^Basic (.+)$/.exec(authz);
          const decoded = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
          const i = decoded.indexOf(':');
          const name = decoded.slice(0, i);
          if (i < 0 || !users[name] || users[name]!.password !== decoded.slice(i + 1)) {
            requests.push(scopes.join(' '));
            res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
            return;
          }
          user = name;
        }
      }
      requests.push(scopes.join(' '));
      const token = issue(user, scopes);
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token, access_token: token, expires_in: ttl, issued_at: new Date().toISOString() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port, certPath, requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** sha256 of a buffer, "sha256:<hex>" (tests build descriptors with it). */
export function sha256(b: Buffer | string): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}
