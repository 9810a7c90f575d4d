// Failure paths against small local servers that act as (misbehaving) registries.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MT } from '../src/image/media-types.ts';
import { RemoteSource } from '../src/registry/remote-source.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { backoffDelay, parseRetryAfter } from '../src/registry/http.ts';
import { digestOf } from '../src/util/digest.ts';
import { freePort, testConfig } from './helpers/registry.ts';
import { caught, collect } from './helpers/util.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const servers: Server[] = [];
const clients: RegistryClient[] = [];

async function serve(handler: Handler): Promise<{ port: number; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const srv = createServer((req, res) => { requests.push(req); handler(req, res); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return { port: (srv.address() as { port: number }).port, requests };
}

function client(overrides: Record<string, any> = {}): RegistryClient {
  const c = new RegistryClient(testConfig({ dockerConfig: '/nonexistent/config.json', ...overrides }));
  clients.push(c);
  return c;
}


afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
});

const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociManifest, config: { mediaType: MT.ociConfig, digest: digestOf('{}'), size: 2 }, layers: [] }));
const manifestDigest = digestOf(manifest);
function sendManifest(res: ServerResponse, body = manifest, digest = digestOf(body)): void {
  res.writeHead(200, { 'content-type': JSON.parse(body.toString()).mediaType, 'docker-content-digest': digest, 'content-length': body.length }).end(body);
}

describe('redirects', () => {
  it('follows a blob redirect to another host without the Authorization header', async () => {
    const blob = Buffer.from('layer bytes from storage');
    const desc = { mediaType: 'application/octet-stream', digest: digestOf(blob), size: blob.length };
    const storage = await serve((_req, res) => { res.writeHead(200, { 'content-length': blob.length }).end(blob); });
    const registry = await serve((req, res) => {
      res.writeHead(307, { location: `http://localhost:${storage.port}/blobs/abc?sig=1` }).end();
    });
    const host = `127.0.0.1:${registry.port}`;
    const c = client({ registries: { [host]: { token: 'sekrit-registry-token' } } });
    const got = await collect(await c.openBlob(host, 'lab/app', desc));
    expect(got.equals(blob)).toBe(true);
    expect(registry.requests[0]!.headers.authorization).toBe('Bearer sekrit-registry-token');
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]!.headers.authorization).toBeUndefined();
    expect(storage.requests[0]!.url).toBe('/blobs/abc?sig=1');
  });

  it('refuses a redirect to plain HTTP on a non-loopback host, and redirect loops', async () => {
    const registry = await serve((req, res) => {
      if (req.url!.includes('/blobs/')) res.writeHead(307, { location: 'http://storage.example.invalid/x' }).end();
      else res.writeHead(302, { location: req.url! }).end();
    });
    const host = `127.0.0.1:${registry.port}`;
    const e = await caught(client().openBlob(host, 'lab/app', { mediaType: 'x', digest: digestOf('x'), size: 1 }));
    expect(e.kind).toBe('unsupported');
    expect(e.message).toMatch(/plain HTTP/);
    const loop = await caught(client().getManifest(host, 'lab/app', 'v1', 1 << 20));
    expect(loop.message).toMatch(/redirects/);
  });
});

describe('scheme policy', () => {
  it('uses HTTPS, except that loopback/insecure registries fall back to plain HTTP; Docker Hub goes to registry-1', async () => {
    const c = client({ registries: { 'lab.internal:5000': { insecure: true } } });
    for (const h of ['127.0.0.1:5000', 'localhost:5000', '[::1]:5000', 'lab.internal:5000', 'localhost.example.com', 'ghcr.io']) {
      expect(c.http.baseUrl(h)).toBe(`https://${h}`);
    }
    expect(c.http.baseUrl('docker.io')).toBe('https://registry-1.docker.io');
    const plain = await serve((_req, res) => sendManifest(res));
    const host = `127.0.0.1:${plain.port}`;
    expect((await c.getManifest(host, 'lab/app', 'v1', 1 << 20)).digest).toBe(manifestDigest);
    expect(c.http.baseUrl(host)).toBe(`http://${host}`);
    expect(plain.requests).toHaveLength(1);
  });

  it('talks unverified TLS to a loopback registry with a self-signed certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'customs-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const srv = createHttpsServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_req, res) => sendManifest(res));
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
      servers.push(srv);
      const host = `127.0.0.1:${(srv.address() as { port: number }).port}`;
      const c = client();
      expect((await c.getManifest(host, 'lab/app', 'v1', 1 << 20)).digest).toBe(manifestDigest);
      expect(c.http.baseUrl(host)).toBe(`https://${host}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('retries', () => {
  it('retries a 503 honouring Retry-After, then succeeds', async () => {
    let n = 0;
    const registry = await serve((_req, res) => {
      if (n++ === 0) res.writeHead(503, { 'retry-after': '1' }).end('busy');
      else sendManifest(res);
    });
    const c = client({ http: { backoffMs: 1, maxBackoffMs: 5000 } });
    const t0 = Date.now();
    const m = await c.getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'v1', 1 << 20);
    expect(m.digest).toBe(manifestDigest);
    expect(registry.requests).toHaveLength(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
  });

  it('retries after a connection reset, then succeeds', async () => {
    let n = 0;
    const registry = await serve((req, res) => {
      if (n++ === 0) req.socket.destroy();
      else sendManifest(res);
    });
    const m = await client().getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'v1', 1 << 20);
    expect(m.digest).toBe(manifestDigest);
    expect(registry.requests).toHaveLength(2);
  });

  it('gives up on a persistent 5xx as a transient registry error', async () => {
    const registry = await serve((_req, res) => { res.writeHead(500).end(); });
    const e = await caught(client({ http: { retries: 2 } }).getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('registry');
    expect(e.transient).toBe(true);
    expect(registry.requests).toHaveLength(3);
  });

  it('fails a 404 fast, without retries', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
    });
    const e = await caught(client({ http: { retries: 5, backoffMs: 1000 } }).getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('not-found');
    expect(e.message).toContain('MANIFEST_UNKNOWN');
    expect(registry.requests).toHaveLength(1);
  });

  it('reports a closed port as unreachable', async () => {
    const port = await freePort();
    const e = await caught(client({ http: { retries: 1 } }).getManifest(`127.0.0.1:${port}`, 'lab/app', 'v1', 1 << 20));
    expect(e.kind).toBe('unreachable');
    expect(e.transient).toBe(true);
    expect(e.exitCode).toBe(5);
  });

  it('computes backoff with Retry-After (seconds and HTTP date) capped by maxBackoffMs', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(backoffDelay(0, { backoffMs: 100, maxBackoffMs: 1000 }, 60_000)).toBe(1000);
    for (let i = 0; i < 20; i++) {
      const d = backoffDelay(2, { backoffMs: 100, maxBackoffMs: 10_000 });
      expect(d).toBeGreaterThanOrEqual(200);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('hostile content', () => {
  it('aborts a 50 MB manifest at maxManifestBytes without buffering it', async () => {
    const total = 50 * 1024 * 1024;
    let written = 0;
    let finished = false;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MT.ociManifest }); // chunked, no Content-Length
      res.on('finish', () => { finished = true; });
      const pump = () => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) { res.once('drain', pump); return; }
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const c = client({ limits: { maxManifestBytes: 1024 * 1024 } });
    const heapBefore = process.memoryUsage().heapUsed;
    const e = await caught(c.getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'big', 1024 * 1024));
    expect(e.kind).toBe('limit');
    expect(e.exitCode).toBe(10);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(30 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    expect(finished).toBe(false);
    expect(written).toBeLessThan(total);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': MT.ociManifest, 'content-length': String(50 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    const e = await caught(client().getManifest(`127.0.0.1:${registry.port}`, 'lab/app', 'big', 1024 * 1024));
    expect(e.kind).toBe('limit');
    expect(e.message).toContain('52428800');
  });

  it('refuses a manifest whose Docker-Content-Digest does not match its bytes, or the requested digest', async () => {
    const registry = await serve((_req, res) => sendManifest(res, manifest, digestOf('something else')));
    const host = `127.0.0.1:${registry.port}`;
    expect((await caught(client().getManifest(host, 'lab/app', 'v1', 1 << 20))).kind).toBe('digest-mismatch');
    const e = await caught(client().getManifest(host, 'lab/app', digestOf('other'), 1 << 20));
    expect(e.kind).toBe('digest-mismatch');
    expect(e.message).toContain(digestOf('other'));
  });

  it('refuses a blob whose Content-Length exceeds its descriptor up front', async () => {
    const registry = await serve((_req, res) => { res.writeHead(200, { 'content-length': '1000' }).end(Buffer.alloc(1000)); });
    const e = await caught(client().openBlob(`127.0.0.1:${registry.port}`, 'lab/app', { mediaType: 'x', digest: digestOf(Buffer.alloc(10)), size: 10 }));
    expect(e.kind).toBe('digest-mismatch');
  });

  it('refuses an index that points to itself', async () => {
    // The registry answers every manifest request with the same index, which lists "itself".
    const self = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.ociIndex, manifests: [{ mediaType: MT.ociIndex, digest: digestOf('placeholder'), size: 10, platform: { os: 'linux', architecture: 'amd64' } }] }));
    const registry = await serve((_req, res) => sendManifest(res, self));
    const host = `127.0.0.1:${registry.port}`;
    const cfg = testConfig();
    const src = new RemoteSource(client(), { kind: 'registry', registry: host, repository: 'lab/app', tag: 'loop', original: `${host}/lab/app:loop` }, cfg.limits);
    const e = await caught(src.resolve());
    expect(['digest-mismatch', 'corrupt']).toContain(e.kind);
    expect(e.message).toContain(digestOf('placeholder'));
    expect(registry.requests.length).toBeLessThanOrEqual(2);
  });

  it('resumes an interrupted blob download with Range', async () => {
    const data = Buffer.alloc(200_000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const registry = await serve((req, res) => {
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
      if (!range) {
        res.writeHead(200, { 'content-length': String(data.length) });
        res.write(data.subarray(0, 70_000), () => setTimeout(() => res.socket?.destroy(), 20));
        return;
      }
      const from = Number(range[1]);
      res.writeHead(206, { 'content-length': String(data.length - from), 'content-range': `bytes ${from}-${data.length - 1}/${data.length}` }).end(data.subarray(from));
    });
    const s = await client().openBlob(`127.0.0.1:${registry.port}`, 'lab/app', { mediaType: 'x', digest: digestOf(data), size: data.length });
    expect((await collect(s)).equals(data)).toBe(true);
    expect(registry.requests).toHaveLength(2);
    expect(registry.requests[1]!.headers.range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(registry.requests[1]!.headers.range!)![0])).toBeGreaterThan(0);
  });

  it('bounds a truncated blob body with an error', async () => {
    const data = Buffer.alloc(5000, 7);
    const registry = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': String(data.length) });
      res.write(data.subarray(0, 1000));
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const s = await client({ http: { retries: 0 } }).openBlob(`127.0.0.1:${registry.port}`, 'lab/app', { mediaType: 'x', digest: digestOf(data), size: data.length });
    const e = await caught(collect(s));
    expect(['unreachable', 'corrupt']).toContain(e.kind);
  });
});
