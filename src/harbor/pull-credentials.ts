// Harbor hands a short-lived registry credential with each scan request (a robot account as Basic, or
// a registry token as Bearer). It is used for that image's pull only: held in this process's memory,
// never written to the database or a log, dropped after use or after a TTL. A job that outlives the
// process (a restart) has no credential any more and fails with an auth error Harbor sees as 500.
import type { Credentials } from '../registry/credentials.ts';

const TTL_MS = 30 * 60_000;
const MAX_ENTRIES = 10_000;

interface Held { registry: string; creds: Credentials; until: number }

export type ImageKey = { registry: string; repository: string; digest: string };
const keyOf = (i: ImageKey) => `${i.registry}/${i.repository}@${i.digest}`;

/** The credential in an `Authorization` header value, or undefined when it is neither Basic nor Bearer. */
export function parseAuthorization(value: string): Credentials | undefined {
  const m = /^(Basic|Bearer)\s+(\S+)$/i.exec(value.trim());
  if (!m) return undefined;
  if (m[1]!.toLowerCase() === 'bearer') return { registryToken: m[2]!, source: 'the Harbor scan request (bearer token)' };
  const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source: `the Harbor scan request (user ${decoded.slice(0, colon).slice(0, 64)})` };
}

export class PullCredentials {
  private readonly held = new Map<string, Held>();

  put(image: ImageKey, creds: Credentials): void {
    this.sweep();
    if (this.held.size >= MAX_ENTRIES) this.held.delete(this.held.keys().next().value!);
    this.held.set(keyOf(image), { registry: image.registry, creds, until: Date.now() + TTL_MS });
  }

  /** Credentials for this image's pull, as RegistryClient takes them (registry → credentials). */
  get(image: ImageKey): Record<string, Credentials> | undefined {
    const h = this.held.get(keyOf(image));
    if (!h || h.until < Date.now()) return undefined;
    return { [h.registry]: h.creds };
  }

  forget(image: ImageKey): void { this.held.delete(keyOf(image)); }

  private sweep(): void {
    const now = Date.now();
    for (const [k, h] of this.held) if (h.until < now) this.held.delete(k);
  }
}
