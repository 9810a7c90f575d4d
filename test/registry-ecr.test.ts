// Amazon ECR credentials, with AWS mocked at the wire: a local server speaking ECR's JSON 1.1 protocol.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import { lookupCredentials } from '../src/registry/credentials.ts';
import { clearEcrCache, getEcrCredentials, parseEcrHost } from '../src/registry/ecr.ts';

interface Seen { headers: Record<string, string | string[] | undefined>; body: string; url: string }
const seen: Seen[] = [];
let server: Server;
let port: number;
let mode: 'ok' | 'denied' = 'ok';
const saved = { ...process.env };
const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), url: req.url ?? '' });
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnknownOperationException', message: 'bad target' }));
        return;
      }
      if (mode === 'denied') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r1' })
          .end(JSON.stringify({ __type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'The security token included in the request is invalid.' }));
        return;
      }
      const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r2' }).end(JSON.stringify({
        authorizationData: [{ authorizationToken: Buffer.from('AWS:ecr-password-123').toString('base64'), expiresAt, proxyEndpoint: `https://${HOST}` }],
      }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIDCUSTOMSTEST', AWS_SECRET_ACCESS_KEY: 'secret-key-for-tests',
    AWS_ENDPOINT_URL_ECR: `http://127.0.0.1:${port}`,
    AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});
afterAll(async () => {
  process.env = saved;
  await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
});
beforeEach(() => { clearEcrCache(); seen.length = 0; mode = 'ok'; });

describe('ECR credentials', () => {
  it('recognises ECR hosts', () => {
    expect(parseEcrHost(HOST)).toEqual({ accountId: '123456789012', region: 'eu-west-1' });
    expect(parseEcrHost('123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com')).toEqual({ accountId: '123456789012', region: 'us-gov-west-1' });
    expect(parseEcrHost('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn')?.region).toBe('cn-north-1');
    expect(parseEcrHost('ghcr.io')).toBeUndefined();
    expect(parseEcrHost('12345.dkr.ecr.eu-west-1.amazonaws.com')).toBeUndefined();
  });

  it('calls GetAuthorizationToken signed with SigV4 (endpoint from AWS_ENDPOINT_URL_ECR) and caches the result', async () => {
    const c = await getEcrCredentials(HOST);
    expect(c.username).toBe('AWS');
    expect(c.password).toBe('ecr-password-123');
    expect(c.expiresAt).toBeGreaterThan(Date.now() + 11 * 3600_000);
    expect(seen).toHaveLength(1);
    const auth = String(seen[0]!.headers.authorization);
    expect(auth.startsWith('AWS4-HMAC-SHA256 ')).toBe(true);
    expect(auth).toContain('Credential=AKIDCUSTOMSTEST/');
    expect(auth).toContain('/eu-west-1/ecr/aws4_request');
    expect(seen[0]!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(JSON.parse(seen[0]!.body)).toEqual({ registryIds: ['123456789012'] });
    await getEcrCredentials(HOST);
    expect(seen).toHaveLength(1);
  });

  it('is used by lookupCredentials for ECR hosts without other credentials', async () => {
    const creds = await lookupCredentials(HOST, { registries: {}, dockerConfig: '/nonexistent/config.json' });
    expect(creds).toMatchObject({ username: 'AWS', password: 'ecr-password-123', source: 'Amazon ECR' });
    expect(creds.expiresAt).toBeGreaterThan(Date.now());
    // the Customs config wins
    const own = await lookupCredentials(HOST, { registries: { [HOST]: { username: 'u', password: 'p', insecure: false } }, dockerConfig: '/nonexistent/config.json' });
    expect(own.source).toBe('customs config');
  });

  it('accepts an explicit endpoint and maps a refusal to an auth error without secrets', async () => {
    delete process.env.AWS_ENDPOINT_URL_ECR;
    try {
      mode = 'denied';
      let err: unknown;
      try { await getEcrCredentials(HOST, { endpoint: `http://127.0.0.1:${port}` }); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CustomsError);
      expect((err as CustomsError).kind).toBe('auth');
      expect((err as CustomsError).message).toContain(HOST);
      expect((err as CustomsError).message).not.toContain('secret-key-for-tests');
      expect(seen.length).toBeGreaterThanOrEqual(1);
    } finally {
      process.env.AWS_ENDPOINT_URL_ECR = `http://127.0.0.1:${port}`;
    }
  });
});
