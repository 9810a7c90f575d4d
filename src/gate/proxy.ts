// The gate's forwarding half: an undici pool to the upstream registry, request and response headers
// rewritten for it (hop-by-hop dropped, absolute Locations made relative so clients stay on the gate),
// bodies streamed straight through, which manifest a response is (its stored digest), and blob GETs
// relayed socket to socket through one reused buffer. It decides nothing (decision.ts does).
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Pool } from 'undici';
import { MANIFEST_ACCEPT, MT } from '../image/media-types.ts';
import { abort } from '../registry/http.ts';
import { collectCapped } from '../util/read-capped.ts';
import type { GateTarget } from './path.ts';
import { isDigest } from '../util/digest.ts';

/** what distribution serves as stored; anything else by tag (schema 1) is a conversion made on the fly */
const STORED_TYPES = new Set<string>([MT.ociIndex, MT.ociManifest, MT.dockerManifestList, MT.dockerManifest]);
/** read buffer of one blob relay: large reads mean few syscalls and callbacks per byte (see README) */
const RELAY_BUFFER_BYTES = 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

type UpstreamResponse = Awaited<ReturnType<Pool['request']>>;

/** A registry-style error answer (`{errors: [{code, message}]}`). */
export function deny(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ errors: [{ code, message }] });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'docker-distribution-api-version': 'registry/2.0' });
  res.end(body);
}

export class RegistryProxy {
  readonly upstream: URL;
  private readonly pool: Pool;
  constructor(upstream: URL) {
    this.upstream = upstream;
    this.pool = new Pool(upstream.origin, { connections: 64, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 60_000 });
  }

  forwardHeaders(req: IncomingMessage): Record<string, string | string[]> {
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) h[k] = v;
    h.host = this.upstream.host;
    return h;
  }

  copyHeaders(res: ServerResponse, headers: Record<string, string | string[] | undefined>): void {
    const origin = this.upstream.origin;
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      // absolute Locations pointing at the upstream are made relative, so clients stay on the gate
      if (k === 'location' && typeof v === 'string' && v.startsWith(origin)) res.setHeader(k, v.slice(origin.length) || '/');
      else res.setHeader(k, v);
    }
  }

  /** the client's request sent on to the upstream (headers rewritten), the response not yet read */
  request(req: IncomingMessage, path: string, method: 'GET' | 'HEAD'): Promise<UpstreamResponse> {
    return this.pool.request({ path, method, headers: this.forwardHeaders(req) });
  }

  /** straight through (token challenges, tag lists, referrers, bypass pulls): the upstream body is
   *  written into the response as it arrives (undici's stream API: no intermediate Readable) */
  async passThrough(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method as 'GET';
    await this.pool.stream({
      path, method, headers: this.forwardHeaders(req),
      ...(method !== 'GET' && method !== 'HEAD' ? { body: req } : {}),
    }, ({ statusCode, headers }) => {
      this.copyHeaders(res, headers);
      res.writeHead(statusCode);
      return res;
    });
  }

  /** the digest a tag names as stored, asked with every stored media type so nothing is converted */
  async storedDigest(req: IncomingMessage, path: string): Promise<string | undefined> {
    const r = await this.pool.request({ path, method: 'HEAD', headers: { ...this.forwardHeaders(req), accept: MANIFEST_ACCEPT } });
    abort(r.body);
    const d = headerValue(r.headers['docker-content-digest']);
    return r.statusCode === 200 && d && isDigest(d) ? d : undefined;
  }

  /**
   * Which image a 200 manifest answer is: its digest as stored (a schema 1 conversion by tag is asked
   * again as stored; a missing digest header is computed from the body, which is then kept in `body`).
   * `{ fail }` when it cannot be told (the answer's body is then aborted).
   */
  async manifestDigest(req: IncomingMessage, t: Extract<GateTarget, { kind: 'manifest' }>, up: UpstreamResponse): Promise<{ digest: string; body?: Buffer } | { fail: string }> {
    const method = req.method as 'GET' | 'HEAD';
    let digest = headerValue(up.headers['docker-content-digest']);
    const mediaType = (headerValue(up.headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
    if (t.tag && !STORED_TYPES.has(mediaType)) {
      // distribution converts a v2 manifest (or a list's amd64 child) fetched by tag without a
      // matching Accept into a schema 1 manifest with a new digest no verdict knows: judge what the
      // tag names as stored instead
      digest = await this.storedDigest(req, t.path);
      if (!digest) { abort(up.body); return { fail: `cannot tell which image ${t.name}:${t.reference} is (the upstream sent ${mediaType || 'no media type'})` }; }
    } else if (!t.tag && isDigest(t.reference)) digest = t.reference;
    else if (!digest || !isDigest(digest)) {
      if (method === 'GET') {
        const body = await readCapped(up.body, MAX_MANIFEST_BYTES);
        return { digest: 'sha256:' + createHash('sha256').update(body).digest('hex'), body };
      }
      // HEAD without a digest header: ask again with GET to know what the tag points at
      abort(up.body);
      const again = await this.pool.request({ path: t.path + t.query, method: 'GET', headers: this.forwardHeaders(req) });
      if (again.statusCode !== 200) { abort(again.body); return { fail: `cannot tell which image ${t.name}:${t.reference} is (no digest header, GET answered ${again.statusCode})` }; }
      const b = await readCapped(again.body, MAX_MANIFEST_BYTES);
      digest = 'sha256:' + createHash('sha256').update(b).digest('hex');
    }
    return { digest };
  }

  /** a blob GET relayed socket to socket (see relayBlob) */
  relayBlob(req: IncomingMessage, path: string): Promise<void> { return relayBlob(req, path, this.upstream); }

  close(): Promise<void> { return this.pool.close(); }
}

/**
 * One blob GET as a raw TCP relay: the request is written to a fresh upstream connection with
 * `Connection: close`, and the upstream's response (status, headers, body) is copied back unchanged
 * to the client socket, which is closed after it — so no later request on that connection can skip
 * the manifest check. Over plain TCP the upstream is read into one reused 1 MiB buffer (`onread`):
 * no Buffer per chunk, far fewer reads and callbacks than a pipe of 64 KiB chunks; while the client
 * has not taken a chunk, reading pauses (the buffer is still referenced by the pending write), which
 * is also the backpressure towards the upstream.
 */
function relayBlob(req: IncomingMessage, path: string, upstream: URL): Promise<void> {
  return new Promise<void>((resolve) => {
    const client = req.socket;
    const tls = upstream.protocol === 'https:';
    const port = Number(upstream.port || (tls ? 443 : 80));
    const relay = (n: number, buf: Buffer): boolean => {
      const write = { paused: false };
      client.write(buf.subarray(0, n), () => { if (write.paused) up.resume(); });
      if (client.writableLength === 0) return true; // the kernel took it all: the buffer is free again
      write.paused = true;
      return false;
    };
    const up = tls
      ? tlsConnect({ host: upstream.hostname, port, servername: upstream.hostname })
      : netConnect({ host: upstream.hostname, port, noDelay: true, onread: { buffer: Buffer.allocUnsafe(RELAY_BUFFER_BYTES), callback: relay } });
    const head = [`GET ${path} HTTP/1.1`, `Host: ${upstream.host}`, 'Connection: close'];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i]!;
      if (HOP_BY_HOP.has(name.toLowerCase())) continue;
      head.push(`${name}: ${req.rawHeaders[i + 1]!.replace(/[\r\n]/g, '')}`);
    }
    const done = () => { client.destroy(); up.destroy(); resolve(); };
    client.setNoDelay(true);
    up.once(tls ? 'secureConnect' : 'connect', () => {
      up.write(head.join('\r\n') + '\r\n\r\n');
      if (tls) up.pipe(client); // onread is for plain sockets; TLS decryption dominates there anyway
    });
    up.once('end', () => { client.end(); resolve(); });
    up.once('error', (e) => {
      if (!client.writableEnded && up.bytesRead === 0) {
        const body = JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: `upstream registry: ${e.message.slice(0, 200)}` }] });
        client.end(`HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        resolve();
      } else done();
    });
    client.once('error', done);
    client.once('close', () => { up.destroy(); resolve(); });
  });
}

export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function readCapped(body: AsyncIterable<Buffer>, cap: number): Promise<Buffer> {
  return collectCapped(body, cap, () => new Error(`manifest larger than ${cap} bytes`));
}
