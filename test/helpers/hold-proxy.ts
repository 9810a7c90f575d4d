// A registry front for crash tests: forwards every request to the real registry, except those the
// test chooses to hold (never answered), so a Customs process can be killed while it waits on
// exactly that step — the registry side of a crash, with no hook inside Customs.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HoldProxy {
  host: string;
  /** requests matching this are held; null: everything passes */
  hold: ((req: IncomingMessage) => boolean) | null;
  /** the held requests so far (method and path) */
  held: string[];
  close(): Promise<void>;
}

export async function startHoldProxy(upstreamHost: string): Promise<HoldProxy> {
  const [uHost, uPort] = upstreamHost.split(':') as [string, string];
  const parked = new Set<ServerResponse>();
  const proxy: HoldProxy = { host: '', hold: null, held: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (proxy.hold?.(req)) {
      proxy.held.push(`${req.method} ${req.url}`);
      req.resume();
      parked.add(res);
      return;
    }
    const up = httpRequest({ host: uHost, port: Number(uPort), method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = async () => {
    for (const res of parked) res.destroy();
    await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
  };
  return proxy;
}
