import { createPublicKey, X509Certificate } from 'node:crypto';
import { PublicKeyDetails } from '@sigstore/protobuf-specs';

// A trusted_root.json is checked field by field before use. sigstore-js turns a missing validity
// bound into "since the beginning of time" / "forever" (trust/index.js createTLogAuthority), so a
// log key without validFor.start would be trusted for any signing time, and a key or certificate
// that does not parse would only fail later, per signature, with an unhelpful message. The
// conformance suite's trust-root-tlog-missing-validity-start_fail case requires the refusal.

const MEDIA_TYPE = /^application\/vnd\.dev\.sigstore\.trustedroot(\+json;version=0\.1|\.v0\.\d+\+json)$/;
const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;
const HASHES = new Set(['SHA2_256', 'SHA2_384', 'SHA2_512', 'SHA3_256', 'SHA3_384']);
/** key types whose rawBytes are a PKCS#1 RSAPublicKey, not an SPKI (as sigstore-js reads them) */
const PKCS1 = new Set(['PKCS1_RSA_PKCS1V5', 'PKCS1_RSA_PSS']);

class Problem extends Error {}
const fail = (path: string, what: string): never => { throw new Problem(`${path} ${what}`); };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function base64(v: unknown, path: string): Buffer {
  if (typeof v !== 'string' || v === '') fail(path, 'is missing');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v as string) || (v as string).length % 4 !== 0) fail(path, 'is not base64');
  return Buffer.from(v as string, 'base64');
}

function time(v: unknown, path: string): number {
  if (v === undefined || v === null || v === '') fail(path, 'is missing');
  if (typeof v !== 'string' || !RFC3339.test(v) || Number.isNaN(Date.parse(v))) fail(path, `is not an RFC 3339 time (${JSON.stringify(v)?.slice(0, 40)})`);
  return Date.parse(v as string);
}

function validFor(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'is missing (a key or certificate needs a validity start, else it would be trusted for any time)');
  const o = v as Record<string, unknown>;
  const start = time(o.start, `${path}.start`);
  if (o.end !== undefined && o.end !== null && time(o.end, `${path}.end`) < start) fail(`${path}.end`, 'is before its start');
}

function url(v: unknown, path: string): void {
  if (typeof v !== 'string' || v === '') fail(path, 'is missing');
  let u: URL | undefined;
  try { u = new URL(v as string); } catch { /* reported below */ }
  if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) fail(path, `is not an http(s) URL (${JSON.stringify(v).slice(0, 60)})`);
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(path, 'is not a list');
  return v as unknown[];
}

/** A transparency log or CT log instance: base URL, hash, key (that parses), its validity, its log id. */
function logInstance(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'is not an object');
  const o = v as Record<string, any>;
  url(o.baseUrl, `${path}.baseUrl`);
  if (o.hashAlgorithm !== undefined && !HASHES.has(o.hashAlgorithm)) fail(`${path}.hashAlgorithm`, `is not a known hash algorithm (${JSON.stringify(o.hashAlgorithm)?.slice(0, 40)})`);
  if (!isObject(o.publicKey)) fail(`${path}.publicKey`, 'is missing');
  const details = o.publicKey.keyDetails;
  if (typeof details !== 'string' || !(details in PublicKeyDetails) || details === 'PUBLIC_KEY_DETAILS_UNSPECIFIED') fail(`${path}.publicKey.keyDetails`, `is not a known key type (${JSON.stringify(details)?.slice(0, 40)})`);
  const raw = base64(o.publicKey.rawBytes, `${path}.publicKey.rawBytes`);
  try {
    createPublicKey({ key: raw, format: 'der', type: PKCS1.has(details) ? 'pkcs1' : 'spki' });
  } catch {
    fail(`${path}.publicKey.rawBytes`, `is not a ${PKCS1.has(details) ? 'PKCS#1' : 'SPKI'} public key`);
  }
  validFor(o.publicKey.validFor, `${path}.publicKey.validFor`);
  if (!isObject(o.logId)) fail(`${path}.logId`, 'is missing');
  base64(o.logId.keyId, `${path}.logId.keyId`);
  if (o.checkpointKeyId !== undefined) base64(o.checkpointKeyId?.keyId, `${path}.checkpointKeyId.keyId`);
}

/** A certificate authority or timestamp authority: a non-empty chain of certificates that parse, its validity. */
function authority(v: unknown, path: string): void {
  if (!isObject(v)) fail(path, 'is not an object');
  const o = v as Record<string, any>;
  if (o.uri !== undefined && o.uri !== '') url(o.uri, `${path}.uri`);
  const certs = list(o.certChain?.certificates, `${path}.certChain.certificates`);
  if (!certs.length) fail(`${path}.certChain.certificates`, 'is empty');
  certs.forEach((c, i) => {
    const der = base64(isObject(c) ? c.rawBytes : undefined, `${path}.certChain.certificates[${i}].rawBytes`);
    try { new X509Certificate(der); } catch { fail(`${path}.certChain.certificates[${i}].rawBytes`, 'is not an X.509 certificate'); }
  });
  validFor(o.validFor, `${path}.validFor`);
}

/**
 * Throws an Error naming the first malformed field (e.g. `tlogs[1].publicKey.validFor.start is
 * missing …`). Unknown fields are left alone: the format gains fields over time.
 */
export function validateTrustedRoot(doc: unknown): void {
  try {
    if (!isObject(doc)) fail('the document', 'is not a JSON object');
    const o = doc as Record<string, unknown>;
    if (typeof o.mediaType !== 'string' || !MEDIA_TYPE.test(o.mediaType)) fail('mediaType', `is not a sigstore trusted root media type (${JSON.stringify(o.mediaType)?.slice(0, 80)})`);
    list(o.tlogs, 'tlogs').forEach((t, i) => logInstance(t, `tlogs[${i}]`));
    list(o.ctlogs, 'ctlogs').forEach((t, i) => logInstance(t, `ctlogs[${i}]`));
    list(o.certificateAuthorities, 'certificateAuthorities').forEach((c, i) => authority(c, `certificateAuthorities[${i}]`));
    list(o.timestampAuthorities, 'timestampAuthorities').forEach((c, i) => authority(c, `timestampAuthorities[${i}]`));
  } catch (e) {
    if (e instanceof Problem) throw new Error(`malformed trusted root: ${e.message}`);
    throw e;
  }
}
