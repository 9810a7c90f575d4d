import type { Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { loadSigner } from '../signing/key.ts';
import { signaturesOf } from '../signing/signature-store.ts';
import { isDigest } from '../util/digest.ts';
import { requireRole } from '../http/api-auth.ts';
import { problem } from '../http/problem.ts';

export function mountSigningRoutes(app: Hono, deps: { cfg: Config; database: Database }): void {
  /** Customs' public key (PEM), for `cosign verify-attestation --key` and admission policies. Public, no token. */
  app.get('/api/v1/keys', (c) => {
    const s = loadSigner(deps.cfg);
    return c.body(s.publicKeyPem, 200, { 'content-type': 'application/x-pem-file', 'x-customs-key-id': s.keyId });
  });
  /** The signatures found at the image's last evaluation under a policy with a signature rule. */
  app.get('/api/v1/images/:digest/signatures', requireRole(deps.cfg.api, 'reader'), async (c) => {
    const digest = c.req.param('digest');
    if (!isDigest(digest)) return problem(c, 400, 'Bad Request', 'not a digest (sha256:<64 hex>)');
    return c.json({ items: await signaturesOf(deps.database, digest) });
  });
}
