// The pull gate: a registry front that clients pull through (docker, skopeo, containerd). Every
// request is classified on its path as the upstream will route it (./path.ts) and only that canonical
// path is forwarded; a manifest GET/HEAD is checked against the stored verdict and refused with a
// registry-style DENIED error when the image is quarantined; everything else (blobs, token challenges,
// referrers, tag lists) streams through. A plain node:http server and an undici pool keep the added
// cost low; blob bytes are relayed socket to socket through one reused buffer. Forwarding is the
// proxy's (proxy.ts), allow or deny the decisions' (decision.ts, policies cached in lookup.ts); this
// routes requests between them and counts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { GateConfig } from '../config/gate-schema.ts';
import type { Database } from '../db/client.ts';
import { log } from '../log.ts';
import { abort } from '../registry/http.ts';
import { VerdictLookup } from './lookup.ts';
import { checkBypass, loadBypass } from './bypass.ts';
import { PullDecisions, type GateHooks } from './decision.ts';
import { classifyTarget, type GateTarget } from './path.ts';
import { RegistryProxy, deny } from './proxy.ts';

export type { GateHooks } from './decision.ts';

export interface GateStats { allowed: number; denied: number; proxied: number }

export interface Gate {
  server: Server;
  address(): { host: string; port: number };
  stats: GateStats;
  close(): Promise<void>;
}

export async function startGate(cfg: GateConfig, database: Database, hooks: GateHooks = {}): Promise<Gate> {
  if (!cfg.upstream) throw new Error('gate.upstream is not set');
  const upstream = new URL(cfg.upstream);
  const registryName = cfg.registry ?? upstream.host;
  const proxy = new RegistryProxy(upstream);
  const stats: GateStats = { allowed: 0, denied: 0, proxied: 0 };
  const bypassCredentials = loadBypass(cfg.bypass);
  const bypassIps = new Set(cfg.bypassIps);
  // the stored-verdict lookup (policy cache included) is shared with the admission webhook
  const decisions = new PullDecisions(cfg, new VerdictLookup(database), hooks, registryName);

  const isBypass = (req: IncomingMessage): boolean => {
    if (bypassIps.size && bypassIps.has(normaliseIp(req.socket.remoteAddress ?? ''))) return true;
    const who = checkBypass(req.headers.authorization, bypassCredentials);
    if (who.refusedUser) log.warn({ user: who.refusedUser, client: req.socket.remoteAddress }, 'gate bypass refused: wrong secret');
    return who.user !== undefined;
  };

  const passThrough = (req: IncomingMessage, res: ServerResponse, path: string) => {
    stats.proxied++;
    return proxy.passThrough(req, res, path);
  };

  const handleManifest = async (req: IncomingMessage, res: ServerResponse, t: Extract<GateTarget, { kind: 'manifest' }>) => {
    const method = req.method as 'GET' | 'HEAD';
    if (isBypass(req)) return passThrough(req, res, t.path + t.query);
    const up = await proxy.request(req, t.path + t.query, method);
    if (up.statusCode !== 200) {
      // errors, 304 and auth challenges carry no manifest; another 2xx or a redirect might, unchecked
      if (up.statusCode < 400 && up.statusCode !== 304) {
        abort(up.body);
        return deny(res, 502, 'UNAVAILABLE', `the upstream answered ${up.statusCode} to a manifest request; the gate passes only a 200 it has checked`);
      }
      stats.proxied++;
      proxy.copyHeaders(res, up.headers);
      res.writeHead(up.statusCode);
      return pipeline(up.body, res);
    }
    const which = await proxy.manifestDigest(req, t, up);
    if ('fail' in which) return deny(res, 502, 'UNAVAILABLE', which.fail);
    const { digest, body } = which;
    const d = await decisions.manifest(t.name, digest);
    if (!d.allow) {
      stats.denied++;
      abort(up.body);
      log.info({ repository: t.name, reference: t.reference, digest, reason: d.message }, 'gate refused a pull');
      return deny(res, 403, 'DENIED', d.message);
    }
    stats.allowed++;
    proxy.copyHeaders(res, up.headers);
    res.writeHead(200);
    if (body) { res.end(method === 'HEAD' ? undefined : body); return; }
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
      const d = await decisions.blob(t.name, t.digest);
      if (d && !d.allow && !isBypass(req)) { stats.denied++; return deny(res, 403, 'DENIED', d.message); }
      if (method === 'GET' && !req.headers.upgrade) {
        // blobs carry no verdict: the bytes go socket to socket (no HTTP parsing of the body in this
        // process), on a connection that closes after this one response
        stats.proxied++;
        return proxy.relayBlob(req, t.path + t.query);
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
      await proxy.close();
    },
  };
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
