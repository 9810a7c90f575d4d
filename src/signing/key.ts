import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { localSigner, type Signer } from '../attest/signer.ts';

// Customs' signing key: ECDSA P-256 (what `cosign generate-key-pair` makes and every verifier
// accepts), from `signing.keyFile`, or generated once into the data directory.

const MAX_PEM_BYTES = 64 * 1024;

export function defaultKeyPath(cfg: Config): string {
  return join(cfg.dataDir, 'signing-key.pem');
}

const cache = new Map<string, Signer>();

/** The configured signer (cached per key file): the configured PEM, else the generated key. */
export function loadSigner(cfg: Config): Signer {
  const path = cfg.signing.keyFile ?? defaultKeyPath(cfg);
  let s = cache.get(path);
  if (!s) {
    s = localSigner(cfg.signing.keyFile ? readKey(path) : readOrCreateKey(path));
    cache.set(path, s);
  }
  return s;
}

function readKey(path: string): KeyObject {
  let pem: Buffer;
  try {
    if (statSync(path).size > MAX_PEM_BYTES) throw new CustomsError('config', `signing key ${path} is larger than ${MAX_PEM_BYTES} bytes`);
    pem = readFileSync(path);
  } catch (e: any) {
    if (e instanceof CustomsError) throw e;
    throw new CustomsError('config', `cannot read the signing key ${path}: ${e.code ?? e.message}`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (e: any) {
    throw new CustomsError('config', `signing key ${path} is not a PEM private key (${String(e.message).slice(0, 100)}); an encrypted key must be decrypted first`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CustomsError('config', `signing key ${path} must be ECDSA P-256 (found ${key.asymmetricKeyType}${key.asymmetricKeyDetails?.namedCurve ? ` ${key.asymmetricKeyDetails.namedCurve}` : ''})`);
  }
  return key;
}

function readOrCreateKey(path: string): KeyObject {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' });
  try {
    mkdirSync(join(path, '..'), { recursive: true });
    // 'wx': never overwrite; when another process won the race, its key is read below
    writeFileSync(path, pem, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600); // the umask may have taken bits away, never added: make it exact
    log.info({ path }, 'generated a new signing key');
    return privateKey;
  } catch (e: any) {
    if (e.code !== 'EEXIST') throw new CustomsError('config', `cannot write the signing key ${path}: ${e.code ?? e.message}`);
  }
  return readKey(path);
}
