import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import { loadSigner } from '../signing/key.ts';

/** GET /api/v1/keys: Customs' public key (PEM), for `cosign verify-attestation --key` and admission policies. Public, no token. */
export function mountKeyRoutes(app: Hono, cfg: Config): void {
  app.get('/api/v1/keys', (c) => {
    const s = loadSigner(cfg);
    return c.body(s.publicKeyPem, 200, { 'content-type': 'application/x-pem-file', 'x-customs-key-id': s.keyId });
  });
}
