// Keyless verification of a sigstore bundle with sigstore-js: the signing certificate must chain to
// a certificate authority of the trusted root and be valid when the transparency log saw the
// signature (its signed entry timestamp or inclusion proof, checked against the root's log keys);
// the log entry must be for this very signature; and the certificate's identity (issuer extension
// and subject alternative name) must match the authority, exactly or by /regular expression/.
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier, type TrustMaterial } from '@sigstore/verify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { validateTrustedRoot } from './trusted-root.ts';

export interface KeylessIdentity {
  /** OIDC issuer, e.g. https://token.actions.githubusercontent.com, or /regex/ */
  issuer: string;
  /** certificate subject (SAN): an e-mail or a workflow URI, or /regex/ */
  subject: string;
}

export type KeylessCheck = { ok: true; issuer: string; subject: string; bundle: Bundle } | { ok: false; reason: string };

const require = createRequire(import.meta.url);

/**
 * The Sigstore public-good trusted root (Fulcio CAs, Rekor and CT log keys) as embedded in
 * @sigstore/tuf's TUF seed: available offline, current as of that package's release. A key rotation
 * after it needs a newer package, or a trusted_root.json file in signing.trustedRoot.
 */
export function publicGoodRoot(): Buffer {
  const seeds = require('@sigstore/tuf/seeds.json') as Record<string, { targets?: Record<string, string> }>;
  const b64 = seeds['https://tuf-repo-cdn.sigstore.dev']?.targets?.['trusted_root.json'];
  if (!b64) throw new Error('@sigstore/tuf carries no public-good trusted_root.json');
  return Buffer.from(b64, 'base64');
}

/** Trust material from a trusted_root.json document (sigstore's format); a malformed one throws. */
export function trustFromRoot(json: string | Buffer): TrustMaterial {
  const doc = parseUntrustedJson(json, 'trusted root', 32);
  validateTrustedRoot(doc);
  return toTrustMaterial(TrustedRoot.fromJSON(doc));
}

/** The configured trusted root for keyless signatures (signing.trustedRoot); a bad file is a config error. */
export function keylessTrust(cfg: Config): TrustMaterial | undefined {
  const root = cfg.signing.trustedRoot;
  if (root === 'none') return undefined;
  try {
    return trustFromRoot(root === 'public-good' ? publicGoodRoot() : readFileSync(root));
  } catch (e) {
    throw new CustomsError('config', `signing.trustedRoot ${root}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
}

/** `value` matches `pattern`: exact, or a regular expression written /…/ (anchored by the writer). */
export function identityMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const m = /^\/(.*)\/$/s.exec(pattern);
  if (!m) return pattern === value;
  try { return new RegExp(m[1]!).test(value); } catch { return false; }
}

export function verifyKeylessBundle(json: unknown, trust: TrustMaterial, identity: KeylessIdentity, artifact?: Buffer): KeylessCheck {
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(json);
  } catch (e) {
    return { ok: false, reason: `not a valid sigstore bundle: ${String((e as Error).message).slice(0, 200)}` };
  }
  let signer;
  try {
    const entity = toSignedEntity(bundle, artifact);
    if (entity.key.$case !== 'certificate') return { ok: false, reason: 'not a keyless signature (no certificate)' };
    // no CT log in private roots: SCTs are checked when the root has CT logs
    signer = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: trust.ctlogs.length ? 1 : 0, timestampThreshold: 1 }).verify(entity);
  } catch (e) {
    return { ok: false, reason: String((e as Error).message).slice(0, 300) };
  }
  const issuer = signer.identity?.extensions?.issuer;
  const subject = signer.identity?.subjectAlternativeName;
  if (!identityMatches(identity.issuer, issuer)) return { ok: false, reason: `certificate issuer ${JSON.stringify(issuer ?? null)} does not match ${identity.issuer}` };
  if (!identityMatches(identity.subject, subject)) return { ok: false, reason: `certificate subject ${JSON.stringify(subject ?? null)} does not match ${identity.subject}` };
  return { ok: true, issuer: issuer!, subject: subject!, bundle };
}
