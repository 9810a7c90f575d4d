import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { loadSigner } from '../signing/key.ts';
import { signaturesOf } from '../signing/signature-store.ts';
import { requireRole } from '../http/api-auth.ts';
import { digestParam, validParams } from '../http/validate.ts';

export function mountSigningRoutes(app: Hono, deps: { cfg: Config; database: Database }): void {
  /** Customs' public key (PEM), for `cosign verify-attestation --key` and admission policies. Public, no token. */
  app.get('/api/v1/keys', (c) => {
    const s = loadSigner(deps.cfg);
    return c.body(s.publicKeyPem, 200, { 'content-type': 'application/x-pem-file', 'x-customs-key-id': s.keyId });
  });
  /** The signatures found at the image's last evaluation under a policy with a signature rule. */
  app.get('/api/v1/images/:digest/signatures', requireRole(deps.cfg.api, 'reader'), validParams(digestParam), async (c) => {
    return c.json({ items: await signaturesOf(deps.database, c.req.valid('param').digest) });
  });
}
