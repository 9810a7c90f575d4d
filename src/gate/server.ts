// The pull gate: a registry front that clients pull through (docker, skopeo, containerd). Every
// request is classified on its path as the upstream will route it (./path.ts) and only that canonical
// path is forwarded; a manifest GET/HEAD is checked against the stored verdict and refused with a
// registry-style DENIED error when the image is quarantined; everything else (blobs, token challenges,
// referrers, tag lists) streams through. A plain node:http server and an undici pool keep the added
// cost low; blob bytes are relayed socket to socket through one reused buffer.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import type { GateConfig } from '../config/gate-schema.ts';
import type { Database } from '../db/client.ts';
import { MANIFEST_ACCEPT, MT } from '../image/media-types.ts';
import { log } from '../log.ts';
import { governingPolicy } from '../policy/store.ts';
import { verdictFor } from '../quarantine/verdict-store.ts';
import { VerdictLookup, elsewhereMessage } from './lookup.ts';
import { checkBypass, loadBypass } from './bypass.ts';
import { decide } from './decide.ts';
import { classifyTarget, type GateTarget } from './path.ts';
import { collectCapped } from '../util/read-capped.ts';
import { abort } from '../registry/http.ts';

const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** what distribution serves as stored; anything else by tag (schema 1) is a conversion made on the fly */
const STORED_TYPES = new Set<string>([MT.ociIndex, MT.ociManifest, MT.dockerManifestList, MT.dockerManifest]);
/** read buffer of one blob relay: large reads mean few syscalls and callbacks per byte (see README) */
const RELAY_BUFFER_BYTES = 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host']);
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
const WAIT_STEP_MS = 250;

export interface GateStats { allowed: number; denied: number; proxied: number }

export interface Gate {
  server: Server;
  address(): { host: string; port: number };
  stats: GateStats;
  close(): Promise<void>;
}

/** What the gate asks of the service: a scan of a digest pulled where Customs has no verdict for it. */
export interface GateHooks { scanUnseen?: (image: { registry: string; repository: string; digest: string }) => Promise<void> }

export async function startGate(cfg: GateConfig, database: Database, hooks: GateHooks = {}): Promise<Gate> {
  if (!cfg.upstream) throw new Error('gate.upstream is not set');
  const upstream = new URL(cfg.upstream);
  const registryName = cfg.registry ?? upstream.host;
  const pool = new Pool(upstream.origin, { connections: 64, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 60_000 });
  const stats: GateStats = { allowed: 0, denied: 0, proxied: 0 };
  const bypassCredentials = loadBypass(cfg.bypass);
  const bypassIps = new Set(cfg.bypassIps);

  // the stored-verdict lookup (policy cache included) is shared with the admission webhook
  const verdicts = new VerdictLookup(database);
  const currentPolicies = () => verdicts.currentPolicies();

  const isBypass = (req: IncomingMessage): boolean => {
    if (bypassIps.size && bypassIps.has(normaliseIp(req.socket.remoteAddress ?? ''))) return true;
    const who = checkBypass(req.headers.authorization, bypassCredentials);
    if (who.refusedUser) log.warn({ user: who.refusedUser, client: req.socket.remoteAddress }, 'gate bypass refused: wrong secret');
    return who.user !== undefined;
  };

  const forwardHeaders = (req: IncomingMessage): Record<string, string | string[]> => {
    const h: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) h[k] = v;
    h.host = upstream.host;
    return h;
  };

  const copyHeaders = (res: ServerResponse, headers: Record<string, string | string[] | undefined>) => {
    for (const [k, v] of Object.entries(headers)) {
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      // absolute Locations pointing at the upstream are made relative, so clients stay on the gate
      if (k === 'location' && typeof v === 'string' && v.startsWith(upstream.origin)) res.setHeader(k, v.slice(upstream.origin.length) || '/');
      else res.setHeader(k, v);
    }
  };

  const deny = (res: ServerResponse, status: number, code: string, message: string) => {
    const body = JSON.stringify({ errors: [{ code, message }] });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'docker-distribution-api-version': 'registry/2.0' });
    res.end(body);
  };

  /** the verdict decision, waiting for a scan when the policy refuses unscanned images and a wait is configured */
  const check = async (repository: string, digest: string) => {
    const found = await verdicts.lookup(registryName, repository, digest);
    const governing = { policy: found.policy };
    let v = found.verdict;
    if (!v) {
      // verdicts are per repository, but a digest is the same bytes wherever it is pulled from: one
      // quarantined anywhere in this registry is refused here too (until released there)
      if (found.gatedElsewhere) return { allow: false as const, message: elsewhereMessage(found.gatedElsewhere) };
      if (cfg.scanOnPull && hooks.scanUnseen) {
        await hooks.scanUnseen({ registry: registryName, repository, digest }).catch((e) => log.warn({ repository, digest, err: (e as Error).message }, 'gate could not queue a scan of an unseen digest'));
      }
    }
    if (!v && (governing.policy.spec.missingScan === 'fail' || (cfg.scanOnPull && hooks.scanUnseen)) && cfg.waitForScanMs > 0) {
      const deadline = Date.now() + cfg.waitForScanMs;
      while (!v && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, Math.min(WAIT_STEP_MS, Math.max(1, deadline - Date.now()))));
        v = await verdicts.verdict(registryName, repository, digest);
      }
    }
    return decide(v, governing.policy);
  };

  /** straight through (token challenges, tag lists, referrers, bypass pulls): the upstream body is
   *  written into the response as it arrives (undici's stream API: no intermediate Readable) */
  const passThrough = async (req: IncomingMessage, res: ServerResponse, path: string) => {
    stats.proxied++;
    const method = req.method as 'GET';
    await pool.stream({
      path, method, headers: forwardHeaders(req),
      ...(method !== 'GET' && method !== 'HEAD' ? { body: req } : {}),
    }, ({ statusCode, headers }) => {
      copyHeaders(res, headers);
      res.writeHead(statusCode);
      return res;
    });
  };

  /** the digest a tag names as stored, asked with every stored media type so nothing is converted */
  const storedDigest = async (req: IncomingMessage, path: string): Promise<string | undefined> => {
    const r = await pool.request({ path, method: 'HEAD', headers: { ...forwardHeaders(req), accept: MANIFEST_ACCEPT } });
    abort(r.body);
    const d = headerValue(r.headers['docker-content-digest']);
    return r.statusCode === 200 && d && DIGEST.test(d) ? d : undefined;
  };

  const handleManifest = async (req: IncomingMessage, res: ServerResponse, t: Extract<GateTarget, { kind: 'manifest' }>) => {
    const method = req.method as 'GET' | 'HEAD';
    const url = t.path + t.query;
    if (isBypass(req)) return passThrough(req, res, url);
    const up = await pool.request({ path: url, method, headers: forwardHeaders(req) });
    if (up.statusCode !== 200) {
      // errors, 304 and auth challenges carry no manifest; another 2xx or a redirect might, unchecked
      if (up.statusCode < 400 && up.statusCode !== 304) {
        abort(up.body);
        return deny(res, 502, 'UNAVAILABLE', `the upstream answered ${up.statusCode} to a manifest request; the gate passes only a 200 it has checked`);
      }
      stats.proxied++;
      copyHeaders(res, up.headers);
      res.writeHead(up.statusCode);
      return pipeline(up.body, res);
    }
    let digest = headerValue(up.headers['docker-content-digest']);
    let bodyBuf: Buffer | undefined;
    const mediaType = (headerValue(up.headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
    if (t.tag && !STORED_TYPES.has(mediaType)) {
      // distribution converts a v2 manifest (or a list's amd64 child) fetched by tag without a
      // matching Accept into a schema 1 manifest with a new digest no verdict knows: judge what the
      // tag names as stored instead
      digest = await storedDigest(req, t.path);
      if (!digest) { abort(up.body); return deny(res, 502, 'UNAVAILABLE', `cannot tell which image ${t.name}:${t.reference} is (the upstream sent ${mediaType || 'no media type'})`); }
    } else if (!t.tag && DIGEST.test(t.reference)) digest = t.reference;
    else if (!digest || !DIGEST.test(digest)) {
      if (method === 'GET') {
        bodyBuf = await readCapped(up.body, MAX_MANIFEST_BYTES);
        digest = 'sha256:' + createHash('sha256').update(bodyBuf).digest('hex');
      } else {
        // HEAD without a digest header: ask again with GET to know what the tag points at
        abort(up.body);
        const again = await pool.request({ path: url, method: 'GET', headers: forwardHeaders(req) });
        if (again.statusCode !== 200) { abort(again.body); return deny(res, 502, 'UNAVAILABLE', `cannot tell which image ${t.name}:${t.reference} is (no digest header, GET answered ${again.statusCode})`); }
        const b = await readCapped(again.body, MAX_MANIFEST_BYTES);
        digest = 'sha256:' + createHash('sha256').update(b).digest('hex');
      }
    }
    const d = await check(t.name, digest);
    if (!d.allow) {
      stats.denied++;
      abort(up.body);
      log.info({ repository: t.name, reference: t.reference, digest, reason: d.message }, 'gate refused a pull');
      return deny(res, 403, 'DENIED', d.message);
    }
    stats.allowed++;
    copyHeaders(res, up.headers);
    res.writeHead(200);
    if (bodyBuf) { res.end(method === 'HEAD' ? undefined : bodyBuf); return; }
    return pipeline(up.body, res);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const t = classifyTarget(req.url ?? '/');
    if (t.kind === 'refuse') return deny(res, t.status, t.code, t.message);
    if (t.kind === 'redirect') {
      res.writeHead(301, { location: t.location, 'content-length': 0 });
      return void res.end();
    }
    const pull = method === 'GET' || method === 'HEAD';
    if (!pull && !cfg.allowPush) return deny(res, 405, 'UNSUPPORTED', 'this is a pull gate: push to the registry directly');
    if (t.kind === 'manifest') {
      if (pull) return handleManifest(req, res, t);
      // pushes (allowPush): a manifest is written or deleted, never read, by these two
      if (method !== 'PUT' && method !== 'DELETE') return deny(res, 405, 'UNSUPPORTED', `${method} on a manifest is not passed on`);
    }
    if (t.kind === 'blob' && pull) {
      // a quarantined manifest fetched as a blob (registries that keep manifests in the blob store
      // serve it so) is refused like the manifest; plain layers have no verdict of their own
      const v = await verdictFor(database, registryName, t.name, t.digest);
      const d = v && decide(v, governingPolicy(await currentPolicies(), registryName, t.name).policy);
      if (d && !d.allow && !isBypass(req)) { stats.denied++; return deny(res, 403, 'DENIED', d.message); }
      if (method === 'GET' && !req.headers.upgrade) {
        // blobs carry no verdict: the bytes go socket to socket (no HTTP parsing of the body in this
        // process), on a connection that closes after this one response
        stats.proxied++;
        return relayBlob(req, t.path + t.query, upstream);
      }
    }
    return passThrough(req, res, t.path + t.query);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      const msg = (e as Error)?.message ?? String(e);
      if (!res.headersSent) deny(res, 502, 'UNAVAILABLE', `upstream registry: ${msg.slice(0, 200)}`);
      else res.destroy();
      if ((e as { code?: string })?.code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn({ err: msg, url: req.url?.slice(0, 300) }, 'gate request failed');
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as { port: number };
  log.info({ address: `http://${cfg.host}:${addr.port}`, upstream: upstream.origin, registry: registryName }, 'pull gate listening');
  return {
    server, stats,
    address: () => ({ host: cfg.host, port: addr.port }),
    close: async () => {
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
      await pool.close();
    },
  };
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


function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function readCapped(body: AsyncIterable<Buffer>, cap: number): Promise<Buffer> {
  return collectCapped(body, cap, () => new Error(`manifest larger than ${cap} bytes`));
}
