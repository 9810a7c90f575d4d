// A transparency log under test control, shaped like Rekor v1: canonical entry bodies, a signed
// entry timestamp (SET) over {body, integratedTime, logID, logIndex}, and a one-leaf tree whose
// checkpoint (a signed note) the log key signs. Written from Rekor's formats, not from Customs.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export interface TestLog {
  privateKey: KeyObject;
  spki: Buffer;
  /** SHA-256 of the SPKI DER, as Rekor v1 log ids are */
  logId: Buffer;
  origin: string;
  baseUrl: string;
}

export function makeTestLog(origin = 'rekor.customs.test'): TestLog {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' }) as Buffer;
  return { privateKey, spki, logId: createHash('sha256').update(spki).digest(), origin, baseUrl: `https://${origin}` };
}

/** the log as a trustedroot tlogs[] entry */
export function tlogInstance(log: TestLog): object {
  return {
    baseUrl: log.baseUrl, hashAlgorithm: 'SHA2_256', logId: { keyId: log.logId.toString('base64') },
    publicKey: { rawBytes: log.spki.toString('base64'), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '2020-01-01T00:00:00Z' } },
  };
}

export function trustedRootWith(logs: TestLog[]): string {
  return JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: logs.map(tlogInstance), certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] });
}

/** Rekor's canonical JSON (sorted keys, no spaces) */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as any)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();

/** a Rekor v1 `dsse` 0.0.1 entry body for a DSSE envelope signed by `pem` */
export function dsseBody(env: { payloadType: string; payload: Buffer; sig: Buffer }, pem: string): Buffer {
  const envelope = JSON.stringify({ payloadType: env.payloadType, payload: env.payload.toString('base64'), signatures: [{ keyid: '', sig: env.sig.toString('base64') }] });
  return Buffer.from(canonical({
    apiVersion: '0.0.1', kind: 'dsse',
    spec: {
      envelopeHash: { algorithm: 'sha256', value: sha256(envelope).toString('hex') },
      payloadHash: { algorithm: 'sha256', value: sha256(env.payload).toString('hex') },
      signatures: [{ signature: env.sig.toString('base64'), verifier: Buffer.from(pem).toString('base64') }],
    },
  }));
}

/** a Rekor v1 `hashedrekord` 0.0.1 entry body for a signature over `artifact` */
export function hashedrekordBody(artifact: Buffer, sig: Buffer, pem: string): Buffer {
  return Buffer.from(canonical({
    apiVersion: '0.0.1', kind: 'hashedrekord',
    spec: { data: { hash: { algorithm: 'sha256', value: sha256(artifact).toString('hex') } }, signature: { content: sig.toString('base64'), publicKey: { content: Buffer.from(pem).toString('base64') } } },
  }));
}

export interface Logged { body: Buffer; integratedTime: number; logIndex: number; set: Buffer; checkpoint: string; rootHash: Buffer }

/** Enter `body` as the only leaf of the log: its SET and a checkpoint over the one-leaf tree. */
export function enter(log: TestLog, body: Buffer, opts: { integratedTime?: number; signer?: TestLog } = {}): Logged {
  const signer = opts.signer ?? log;
  const integratedTime = opts.integratedTime ?? Math.floor(Date.now() / 1000) - 60;
  const logIndex = 0;
  const set = sign('sha256', Buffer.from(canonical({ body: body.toString('base64'), integratedTime, logID: log.logId.toString('hex'), logIndex })), signer.privateKey);
  const rootHash = sha256(Buffer.concat([Buffer.from([0]), body])); // RFC 6962 leaf hash = root of a one-leaf tree
  const note = `${log.origin}\n1\n${rootHash.toString('base64')}\n`;
  const noteSig = sign('sha256', Buffer.from(note), signer.privateKey);
  const checkpoint = `${note}\n\u2014 ${log.origin} ${Buffer.concat([log.logId.subarray(0, 4), noteSig]).toString('base64')}\n`;
  return { body, integratedTime, logIndex, set, checkpoint, rootHash };
}

/** the entry as a bundle v0.3 tlogEntries[] item (inclusion promise and proof) */
export function bundleEntry(log: TestLog, l: Logged, kind: string): object {
  return {
    logIndex: String(l.logIndex), logId: { keyId: log.logId.toString('base64') }, kindVersion: { kind, version: '0.0.1' },
    integratedTime: String(l.integratedTime), inclusionPromise: { signedEntryTimestamp: l.set.toString('base64') },
    inclusionProof: { logIndex: String(l.logIndex), rootHash: l.rootHash.toString('base64'), treeSize: '1', hashes: [], checkpoint: { envelope: l.checkpoint } },
    canonicalizedBody: l.body.toString('base64'),
  };
}

/** the entry as cosign's legacy `dev.sigstore.cosign/bundle` annotation */
export function cosignBundleAnnotation(log: TestLog, l: Logged): string {
  return JSON.stringify({ SignedEntryTimestamp: l.set.toString('base64'), Payload: { body: l.body.toString('base64'), integratedTime: l.integratedTime, logIndex: l.logIndex, logID: log.logId.toString('hex') } });
}
