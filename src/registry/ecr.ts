import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';

// Amazon ECR: registry passwords are short-lived tokens from GetAuthorizationToken, obtained with
// the AWS default credential chain (env, shared config/SSO, IMDS, ...). Endpoint overrides come from
// the SDK's own AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL support or an explicit option (tests).

const ECR_HOST = /^(\d{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

export interface EcrCredentials { username: string; password: string; expiresAt: number }

export function parseEcrHost(host: string): { accountId: string; region: string } | undefined {
  const m = ECR_HOST.exec(host.toLowerCase());
  return m ? { accountId: m[1]!, region: m[3]! } : undefined;
}

const cache = new Map<string, EcrCredentials>();
/** Renew this long before ECR's expiry (tokens live 12 h). */
const MARGIN_MS = 5 * 60_000;

export async function getEcrCredentials(host: string, opts: { endpoint?: string; now?: number } = {}): Promise<EcrCredentials> {
  const parsed = parseEcrHost(host);
  if (!parsed) throw new CustomsError('usage', `${host} is not an Amazon ECR registry host`);
  const endpoint = opts.endpoint ?? process.env.AWS_ENDPOINT_URL_ECR ?? process.env.AWS_ENDPOINT_URL;
  const key = `${host}\u0000${endpoint ?? ''}`;
  const now = opts.now ?? Date.now();
  const hit = cache.get(key);
  if (hit && hit.expiresAt - MARGIN_MS > now) return hit;

  // loaded on first use: the AWS SDK is heavy and most registries are not ECR
  const { ECRClient, GetAuthorizationTokenCommand } = await import('@aws-sdk/client-ecr');
  const client = new ECRClient({ region: parsed.region, ...(endpoint ? { endpoint } : {}), maxAttempts: 3 });
  try {
    const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [parsed.accountId] }));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken) throw new CustomsError('auth', `ECR returned no authorization token for ${host}`);
    const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
    const sep = decoded.indexOf(':');
    if (sep <= 0) throw new CustomsError('auth', `ECR authorization token for ${host} is malformed`);
    const creds: EcrCredentials = {
      username: decoded.slice(0, sep),
      password: decoded.slice(sep + 1),
      expiresAt: data.expiresAt ? data.expiresAt.getTime() : now + 60 * 60_000,
    };
    cache.set(key, creds);
    log.debug({ host, region: parsed.region, expiresAt: new Date(creds.expiresAt).toISOString() }, 'obtained ECR credentials');
    return creds;
  } catch (e: any) {
    if (e instanceof CustomsError) throw e;
    const name = e?.name ?? 'Error';
    // The SDK's messages name the failing credential provider or API error, never the secret.
    if (/CredentialsProviderError|AccessDenied|UnrecognizedClient|InvalidSignature|ExpiredToken/i.test(name)) {
      throw new CustomsError('auth', `cannot get ECR credentials for ${host}: ${name}: ${e?.message ?? ''}`, { cause: e });
    }
    throw new CustomsError('unreachable', `cannot get ECR credentials for ${host}: ${name}: ${e?.message ?? ''}`, { cause: e, transient: true });
  } finally {
    client.destroy();
  }
}

/** For tests: forget cached ECR credentials. */
export function clearEcrCache(): void { cache.clear(); }
