import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { getEcrCredentials, parseEcrHost } from './ecr.ts';

// Where a registry's credentials come from, first match wins:
//   1. Customs config `registries[host]` (username/password, or a bearer token used as-is)
//   2. docker config.json: credHelpers[host], then auths[host], then credsStore
//   3. Amazon ECR hosts: GetAuthorizationToken with the AWS default credential chain
//   4. anonymous
// A credential helper that says "credentials not found" (exit ≠ 0 with that message, like docker)
// falls through to the next source; any other helper failure (missing binary, timeout, garbage
// output) is an 'auth' error, because silently pulling anonymously would hide the misconfiguration
// behind a confusing 401 later.

export interface Credentials {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (docker's identitytoken), exchanged at the token realm */
  identityToken?: string;
  /** bearer token sent as-is, no token exchange */
  registryToken?: string;
  /** where these came from, for messages (never the secret itself) */
  source: string;
  /** epoch ms after which these must be looked up again (ECR passwords expire) */
  expiresAt?: number;
}

export const ANONYMOUS: Credentials = { source: 'anonymous' };

const HELPER_TIMEOUT_MS = 15_000;
const MAX_DOCKER_CONFIG = 4 * 1024 * 1024;
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io', 'https://index.docker.io/v1', 'https://registry-1.docker.io'];

export function isDockerHub(host: string): boolean {
  return host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io';
}

export function dockerConfigPath(cfg: Pick<Config, 'dockerConfig'>, env: NodeJS.ProcessEnv = process.env): string {
  if (cfg.dockerConfig) return cfg.dockerConfig;
  if (env.DOCKER_CONFIG) return join(env.DOCKER_CONFIG, 'config.json');
  return join(homedir(), '.docker', 'config.json');
}

export async function lookupCredentials(host: string, cfg: Pick<Config, 'registries' | 'dockerConfig'>, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const own = cfg.registries[host];
  if (own?.token) return { registryToken: own.token, source: 'customs config' };
  if (own?.username !== undefined && own.password !== undefined) return { username: own.username, password: own.password, source: 'customs config' };

  const fromDocker = await fromDockerConfig(host, dockerConfigPath(cfg, env), env);
  if (fromDocker) return fromDocker;

  if (parseEcrHost(host)) {
    const ecr = await getEcrCredentials(host);
    return { username: ecr.username, password: ecr.password, source: 'Amazon ECR', expiresAt: ecr.expiresAt };
  }
  return ANONYMOUS;
}

async function fromDockerConfig(host: string, path: string, env: NodeJS.ProcessEnv): Promise<Credentials | undefined> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (e: any) {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw new CustomsError('config', `cannot read docker config ${path}: ${e.code ?? e.message}`);
  }
  if (text.length > MAX_DOCKER_CONFIG) throw new CustomsError('config', `docker config ${path} is larger than ${MAX_DOCKER_CONFIG} bytes`);
  let doc: any;
  try {
    doc = parseUntrustedJson(text, `docker config ${path}`, 32);
  } catch (e: any) {
    throw new CustomsError('config', e.message);
  }
  if (!doc || typeof doc !== 'object') return undefined;
  const keys = isDockerHub(host) ? DOCKER_HUB_KEYS : [host];

  const helpers = doc.credHelpers && typeof doc.credHelpers === 'object' ? doc.credHelpers : {};
  for (const k of keys) {
    if (typeof helpers[k] === 'string') return runHelper(helpers[k], isDockerHub(host) ? DOCKER_HUB_KEYS[0]! : host, env);
  }

  const auths = doc.auths && typeof doc.auths === 'object' ? doc.auths : {};
  for (const [k, entry] of Object.entries<any>(auths)) {
    if (!keyMatches(k, keys) || !entry || typeof entry !== 'object') continue;
    const c = authEntry(entry, `${path} auths["${k}"]`);
    if (c) return c;
  }

  if (typeof doc.credsStore === 'string' && doc.credsStore) {
    return runHelper(doc.credsStore, isDockerHub(host) ? DOCKER_HUB_KEYS[0]! : host, env);
  }
  return undefined;
}

/** auths keys may be hosts or URLs ("https://ghcr.io", "http://127.0.0.1:5000/v2/"). */
function keyMatches(key: string, wanted: string[]): boolean {
  if (wanted.includes(key)) return true;
  const k = /^[a-z]+:\/\//i.test(key) ? safeHost(key) : key.split('/')[0];
  return k !== undefined && wanted.includes(k);
}

function safeHost(url: string): string | undefined {
  try { return new URL(url).host; } catch { return undefined; }
}

function authEntry(entry: any, where: string): Credentials | undefined {
  const source = `docker config`;
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) {
    const user = typeof entry.username === 'string' ? entry.username : undefined;
    return { identityToken: entry.identitytoken, ...(user ? { username: user } : {}), source };
  }
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i <= 0) throw new CustomsError('config', `${where}: "auth" is not base64 of username:password`);
    return { username: decoded.slice(0, i), password: decoded.slice(i + 1), source };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password, source };
  }
  return undefined;
}

/** docker-credential-<name> get, server URL on stdin, `{ServerURL, Username, Secret}` on stdout. */
export function runHelper(name: string, serverUrl: string, env: NodeJS.ProcessEnv = process.env): Promise<Credentials | undefined> {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return Promise.reject(new CustomsError('config', `invalid docker credential helper name ${JSON.stringify(name.slice(0, 100))}`));
  const bin = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['get'], { timeout: HELPER_TIMEOUT_MS, maxBuffer: 1024 * 1024, env }, (err, stdout, stderr) => {
      const out = String(stdout).trim();
      if (err) {
        if (/credentials not found/i.test(out + String(stderr))) {
          log.debug({ helper: bin, server: serverUrl }, 'credential helper has no credentials; continuing anonymously');
          resolve(undefined);
          return;
        }
        const why = (err as any).code === 'ENOENT' ? 'not found on PATH' : (err as any).killed ? `timed out after ${HELPER_TIMEOUT_MS} ms` : `exited with ${(err as any).code}`;
        reject(new CustomsError('auth', `credential helper ${bin} for ${serverUrl} failed: ${why}`));
        return;
      }
      let doc: any;
      try { doc = JSON.parse(out); } catch {
        reject(new CustomsError('auth', `credential helper ${bin} for ${serverUrl} printed invalid JSON`));
        return;
      }
      if (!doc || typeof doc.Secret !== 'string' || typeof doc.Username !== 'string') {
        reject(new CustomsError('auth', `credential helper ${bin} for ${serverUrl} printed no Username/Secret`));
        return;
      }
      // Docker convention: Username "<token>" means the secret is an identity (refresh) token.
      resolve(doc.Username === '<token>'
        ? { identityToken: doc.Secret, source: `credential helper ${name}` }
        : { username: doc.Username, password: doc.Secret, source: `credential helper ${name}` });
    });
    child.stdin?.on('error', () => undefined); // helper may exit before reading stdin
    child.stdin?.end(serverUrl);
  });
}
