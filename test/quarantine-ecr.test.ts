// The `untag` quarantine action on Amazon ECR, with AWS mocked at the wire: a local server speaking
// ECR's JSON 1.1 BatchDeleteImage, so the real @aws-sdk/client-ecr signs and sends the request.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runActions } from '../src/quarantine/actions.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { testConfig } from './helpers/registry.ts';

const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = 'sha256:' + 'e'.repeat(64);
const saved = { ...process.env };
const calls: { target: string; auth: string; body: any }[] = [];
const tags = new Map<string, string>([['prod/api:1.4', DIGEST]]);
let server: Server;
let endpoint: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const parsed = JSON.parse(body || '{}');
      calls.push({ target, auth: String(req.headers.authorization ?? ''), body: parsed });
      if (target !== 'AmazonEC2ContainerRegistry_V20150921.BatchDeleteImage') {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'UnknownOperationException' }));
        return;
      }
      const imageIds: object[] = [], failures: object[] = [];
      for (const id of parsed.imageIds as { imageTag: string }[]) {
        const key = `${parsed.repositoryName}:${id.imageTag}`;
        const digest = tags.get(key);
        if (digest) { tags.delete(key); imageIds.push({ imageTag: id.imageTag, imageDigest: digest }); }
        else failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'r' }).end(JSON.stringify({ imageIds, failures }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: 'AKIDCUSTOMSTEST', AWS_SECRET_ACCESS_KEY: 'secret-key-for-tests',
    AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials', AWS_EC2_METADATA_DISABLED: 'true',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  process.env = saved;
  await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
});

describe('untag on ECR', () => {
  it('removes exactly the pushed tag with BatchDeleteImage, and reports ECR refusing', async () => {
    const client = new RegistryClient(testConfig());
    const ctx = { client, ecrEndpoint: endpoint };
    const msg = { verdict: 'fail', summary: 'x', policy: 'prod@1' };
    const [ok] = await runActions(ctx, [{ type: 'untag' }], { registry: HOST, repository: 'prod/api', digest: DIGEST, tag: '1.4' }, msg);
    expect(ok).toEqual({ type: 'untag', ok: true, detail: 'tag 1.4 removed', undo: { tags: ['1.4'] } });
    expect(calls[0]!.body).toEqual({ registryId: '123456789012', repositoryName: 'prod/api', imageIds: [{ imageTag: '1.4' }] });
    expect(calls[0]!.auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDCUSTOMSTEST\/\d{8}\/eu-west-1\/ecr\/aws4_request/);
    expect(tags.has('prod/api:1.4')).toBe(false);

    const [gone] = await runActions(ctx, [{ type: 'untag' }], { registry: HOST, repository: 'prod/api', digest: DIGEST, tag: '1.4' }, msg);
    expect(gone).toMatchObject({ type: 'untag', ok: false, detail: 'ECR refused to delete tag 1.4: ImageNotFound Requested image not found' });
    const [noTag] = await runActions(ctx, [{ type: 'untag' }], { registry: HOST, repository: 'prod/api', digest: DIGEST }, msg);
    expect(noTag).toMatchObject({ ok: false, detail: 'no tag known for this push' });
    await client.close();
  });
});
