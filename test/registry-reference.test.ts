import { describe, expect, it } from 'vitest';
import { CustomsError } from '../src/errors.ts';
import { formatReference, parseReference } from '../src/image/reference.ts';
import { parseWwwAuthenticate, TokenCache } from '../src/registry/auth.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  const ok: [string, object][] = [
    ['alpine', { kind: 'registry', registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['alpine:3.20', { kind: 'registry', registry: 'docker.io', repository: 'library/alpine', tag: '3.20' }],
    ['docker.io/alpine', { kind: 'registry', registry: 'docker.io', repository: 'library/alpine', tag: 'latest' }],
    ['index.docker.io/library/alpine:edge', { kind: 'registry', registry: 'docker.io', repository: 'library/alpine', tag: 'edge' }],
    ['bitnami/redis:7', { kind: 'registry', registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
    ['ghcr.io/org/team/app:v1.2.3', { kind: 'registry', registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2.3' }],
    ['127.0.0.1:5000/lab/app:vuln', { kind: 'registry', registry: '127.0.0.1:5000', repository: 'lab/app', tag: 'vuln' }],
    ['localhost/app', { kind: 'registry', registry: 'localhost', repository: 'app', tag: 'latest' }],
    ['localhost:5000/a_b/c__d/e-f--g.h', { kind: 'registry', registry: 'localhost:5000', repository: 'a_b/c__d/e-f--g.h', tag: 'latest' }],
    [`127.0.0.1:5000/lab/app@${D}`, { kind: 'registry', registry: '127.0.0.1:5000', repository: 'lab/app', digest: D }],
    [`127.0.0.1:5000/lab/app:v1@${D}`, { kind: 'registry', registry: '127.0.0.1:5000', repository: 'lab/app', tag: 'v1', digest: D }],
    ['[::1]:5000/app:x', { kind: 'registry', registry: '[::1]:5000', repository: 'app', tag: 'x' }],
    ['Registry.Example/app', { kind: 'registry', registry: 'Registry.Example', repository: 'app', tag: 'latest' }],
    ['oci:/tmp/layout', { kind: 'oci', path: '/tmp/layout' }],
    ['oci:/tmp/layout:app', { kind: 'oci', path: '/tmp/layout', tag: 'app' }],
    ['oci:./rel/dir:v1.0', { kind: 'oci', path: './rel/dir', tag: 'v1.0' }],
    ['oci-archive:/tmp/x.tar', { kind: 'oci-archive', path: '/tmp/x.tar' }],
    ['oci-archive:/tmp/x.tar:latest', { kind: 'oci-archive', path: '/tmp/x.tar', tag: 'latest' }],
    ['docker-archive:/tmp/save.tar', { kind: 'docker-archive', path: '/tmp/save.tar' }],
  ];
  for (const [input, want] of ok) {
    it(`parses ${input}`, () => {
      const r = parseReference(input);
      expect(r).toEqual({ ...want, original: input });
    });
  }

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['Alpine', /repository name/],
    ['lab/App:v1', /repository name/],
    ['ghcr.io/org/app:', /tag/],
    ['ghcr.io/org/app:-x', /tag/],
    [`ghcr.io/org/app:${'t'.repeat(129)}`, /tag/],
    ['ghcr.io/org/app@sha256:abc', /digest/],
    [`ghcr.io/org/app@md5:${'a'.repeat(32)}`, /digest/],
    ['ghcr.io//app', /repository name/],
    ['ghcr.io/org/app/', /repository name/],
    ['ghcr.io/a..b', /repository name/],
    ['bad_host:5000/app', /registry/],
    ['ghcr.io/org/app tag', /whitespace/],
    ['oci:', /needs a path/],
    ['oci:/x:bad tag', /whitespace/],
    ['oci:/x:-bad', /OCI image ref name/],
    ['docker-archive:/x.tar:app:v1', /not supported/],
  ];
  for (const [input, why] of bad) {
    it(`refuses ${JSON.stringify(input).slice(0, 60)}`, () => {
      let err: unknown;
      try { parseReference(input); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(CustomsError);
      expect((err as CustomsError).kind).toBe('usage');
      expect((err as CustomsError).message).toMatch(why);
    });
  }

  it('formats references canonically and round-trips', () => {
    expect(formatReference(parseReference('alpine'))).toBe('docker.io/library/alpine:latest');
    expect(formatReference(parseReference(`127.0.0.1:5000/lab/app:v1@${D}`))).toBe(`127.0.0.1:5000/lab/app:v1@${D}`);
    expect(formatReference(parseReference('oci:/tmp/l:app'))).toBe('oci:/tmp/l:app');
    expect(formatReference(parseReference('docker-archive:/t.tar'))).toBe('docker-archive:/t.tar');
    for (const s of ['ghcr.io/a/b:c', 'oci-archive:/x.tar:t']) expect(formatReference(parseReference(formatReference(parseReference(s))))).toBe(s);
  });
});

describe('WWW-Authenticate', () => {
  it('parses Bearer with quoted values holding commas', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual([
      { scheme: 'bearer', realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull,push' },
    ]);
  });
  it('parses Basic, errors, escapes and several challenges', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', realm: 'Registry Realm' }]);
    expect(parseWwwAuthenticate('bearer realm="http://127.0.0.1:1/t", error="insufficient_scope" , scope="x:y:pull"')).toEqual([
      { scheme: 'bearer', realm: 'http://127.0.0.1:1/t', scope: 'x:y:pull', error: 'insufficient_scope' },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a \\"q\\"", Bearer realm="https://t/"')).toEqual([
      { scheme: 'basic', realm: 'a "q"' }, { scheme: 'bearer', realm: 'https://t/' },
    ]);
    expect(parseWwwAuthenticate('Bearer service="x"')).toEqual([]); // no realm: unusable
    expect(parseWwwAuthenticate('Negotiate')).toEqual([]);
  });
  it('expires cached tokens', () => {
    const c = new TokenCache();
    const k = TokenCache.key('r', 's', 'repository:a:pull');
    c.set(k, { token: 't', expiresAt: 1000 });
    expect(c.get(k, 999)).toBe('t');
    expect(c.get(k, 1000)).toBeUndefined();
  });
});
