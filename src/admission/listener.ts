// The admission webhook's own HTTPS listener (admission.tls): the API server calls webhooks over TLS
// only, and this keeps that port to the webhook alone (plus /healthz for probes) while the REST API
// stays where it is. The key pair is re-read when its files change (cert-manager renews the Secret
// and the kubelet updates the mounted files), without a restart.
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { AdmissionTls } from '../config/admission-schema.ts';
import { log } from '../log.ts';

const SERVED = new Set(['/k8s/admission', '/healthz']);

export interface AdmissionListener { port: number; close(): Promise<void> }

export async function startAdmissionListener(tls: AdmissionTls, fetch: (req: Request) => Response | Promise<Response>): Promise<AdmissionListener> {
  const read = () => ({ cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) });
  const stamp = () => `${statSync(tls.certFile).mtimeMs}:${statSync(tls.keyFile).mtimeMs}`;
  let seen = stamp();
  const listener = getRequestListener((req) => {
    const path = new URL(req.url).pathname;
    if (!SERVED.has(path)) return new Response(JSON.stringify({ title: 'Not Found', status: 404, detail: 'this port serves the admission webhook only' }), { status: 404, headers: { 'content-type': 'application/problem+json' } });
    return fetch(req);
  });
  const server: Server = createServer({ ...read(), minVersion: 'TLSv1.2' }, listener);
  const reload = setInterval(() => {
    try {
      const now = stamp();
      if (now === seen) return;
      server.setSecureContext({ ...read(), minVersion: 'TLSv1.2' });
      seen = now;
      log.info({ certFile: tls.certFile }, 'admission TLS key pair reloaded');
    } catch (e) {
      // a half-written Secret update: keep the current pair, try again next time
      log.warn({ err: (e as Error).message }, 'admission TLS key pair could not be reloaded');
    }
  }, tls.reloadIntervalMs);
  reload.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tls.port, tls.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ address: `https://${tls.host}:${port}/k8s/admission` }, 'admission webhook listening');
  return {
    port,
    close: async () => {
      clearInterval(reload);
      await new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); });
    },
  };
}
