// Who may pull whatever the verdict: HTTP Basic with a configured user and its secret. The secrets
// are read once at start and only their sha256 is kept; a presented password is hashed and compared
// with every entry in constant time (timingSafeEqual over equal-length digests, no early exit), so
// neither the secret nor which user names exist leaks through timing. Nothing here logs a secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BypassCredentialConfig } from '../config/gate-schema.ts';
import { CustomsError } from '../errors.ts';

/** a secret read from a file or the environment shorter than this is refused (brute force) */
const MIN_SECRET_LENGTH = 16;

interface Credential { user: string; userHash: Buffer; secretHash: Buffer }

export interface BypassCheck {
  /** the configured user the request proved to be, if any */
  user?: string;
  /** a configured user name with a wrong secret (worth a log line, never the secret) */
  refusedUser?: string;
}

export function loadBypass(entries: BypassCredentialConfig[], env: NodeJS.ProcessEnv = process.env): Credential[] {
  return entries.map((e, i) => {
    const where = `gate.bypass[${i}]`;
    let secretHash: Buffer;
    if (e.passwordHash) secretHash = Buffer.from(e.passwordHash.slice('sha256:'.length), 'hex');
    else {
      let secret: string | undefined;
      if (e.passwordFile) {
        try { secret = readFileSync(e.passwordFile, 'utf8').replace(/\r?\n$/, ''); } catch (err) {
          throw new CustomsError('config', `${where}.passwordFile: cannot read ${e.passwordFile}: ${(err as { code?: string }).code ?? (err as Error).message}`);
        }
      } else {
        secret = env[e.passwordEnv!];
        if (secret === undefined) throw new CustomsError('config', `${where}.passwordEnv: the environment variable ${e.passwordEnv} is not set`);
      }
      if (secret.length < MIN_SECRET_LENGTH) throw new CustomsError('config', `${where}: the secret is shorter than ${MIN_SECRET_LENGTH} characters (use e.g. openssl rand -hex 32)`);
      secretHash = sha256(secret);
    }
    return { user: e.user, userHash: sha256(e.user), secretHash };
  });
}

export function checkBypass(authorization: string | undefined, credentials: Credential[]): BypassCheck {
  if (!credentials.length) return {};
  const basic = parseBasic(authorization);
  if (!basic) return {};
  const userHash = sha256(basic.user);
  const secretHash = sha256(basic.password);
  let user: string | undefined;
  let named: string | undefined;
  for (const c of credentials) {
    const sameUser = timingSafeEqual(userHash, c.userHash);
    const sameSecret = timingSafeEqual(secretHash, c.secretHash);
    if (sameUser && sameSecret) user ??= c.user;
    if (sameUser) named = c.user;
  }
  return user ? { user } : named ? { refusedUser: named } : {};
}

/** `Basic base64(user:password)`, strictly: malformed base64 or no colon is no credential at all */
function parseBasic(auth: string | undefined): { user: string; password: string } | undefined {
  const m = auth && /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(auth.trim());
  if (!m || m[1]!.length % 4 !== 0) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
