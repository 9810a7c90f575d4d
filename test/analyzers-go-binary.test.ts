// Go binaries built here by Debian's Go (test/fixtures/go/build.sh: ELF with and without symbols,
// a GOEXPERIMENT build, PE, Mach-O), read by streaming them through the go-binary sink and
// compared with `go version -m`, the Go toolchain's own reading of the same files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { goBinaryAnalyzer } from '../src/analyzers/go-binary.ts';
import { packagePurl } from '../src/sbom/purl.ts';
import { canonicalGo } from '../src/versions/go.ts';
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { BUILDINFO_MAGIC } from '../src/analyzers/go-buildinfo.ts';
import { configSchema } from '../src/config/schema.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { chunked, gzip, makeTar } from './helpers/tar.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { fileEntry as entry, viaAnalyzerSink } from './helpers/sink.ts';

const LIMITS = configSchema.parse({}).limits;
let dir = '';
beforeAll(async () => { dir = await buildFixtures('test/fixtures/go/build.sh', 'go'); }, 240_000);


/** Feed a file through the analyzer's sink in chunks of `chunk` bytes, as the layer walker does. */
const viaSink = (path: string, bytes: Buffer, chunk?: number) => viaAnalyzerSink(goBinaryAnalyzer, path, bytes, chunk);

/** Expected packages from `go version -m`: "file: go1.x.y [X:…]", then tab-separated lines. */
function groundTruth(text: string) {
  const lines = text.split('\n');
  const goVersion = lines[0]!.split(': ')[1]!.trim().split(' ')[0]!;
  // Go release tags as the Go vulnerability database spells them (canonicalGo is tested against x/vuln)
  const out = [{ name: 'stdlib', version: canonicalGo(goVersion) }];
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i]!.trim().split('\t');
    const next = lines[i + 1]?.trim().split('\t');
    if (f[0] === 'mod') {
      // "(devel)" built from a VCS checkout: the pseudo-version Go gives that commit (x/mod PseudoVersion)
      const rev = /\tvcs\.revision=([0-9a-f]{12})/.exec(text)?.[1], time = /\tvcs\.time=(\S+)/.exec(text)?.[1];
      const pseudo = rev && time ? `v0.0.0-${time.replace(/[-:TZ]/g, '').slice(0, 14)}-${rev}` : undefined;
      out.push({ name: f[1]!, version: f[2] === '(devel)' && pseudo ? pseudo : f[2]! });
    }
    if (f[0] === 'dep') {
      // a replacement by a module (it has a version) names what was built; a local directory keeps
      // the required module
      const rep = next?.[0] === '=>' && next[2] && next[2] !== '(devel)' ? { name: next[1]!, version: next[2]! } : undefined;
      out.push(rep ?? { name: f[1]!, version: f[2]! });
    }
  }
  return out;
}

describe('go-binary analyzer', () => {
  for (const name of ['hello', 'hello-stripped', 'hello-exp', 'hello.exe', 'hello-darwin']) {
    it(`reads ${name} exactly as go version -m does`, async () => {
      const bytes = readFileSync(join(dir, name));
      const truth = groundTruth(readFileSync(join(dir, `${name}.version-m`), 'utf8'));
      const f = await viaSink(`/usr/local/bin/${name}`, bytes);
      expect(f?.packages?.map((p) => ({ name: p.name, version: p.version }))).toEqual(truth);
      expect(f?.packages?.every((p) => p.type === 'golang' && p.foundIn === `/usr/local/bin/${name}`)).toBe(true);
      expect(truth.map((p) => p.name)).toEqual(['stdlib', 'example.com/customs-fixture', 'example.com/greet', 'github.com/google/uuid', 'github.com/pkg/errors']);
    });
  }

  it('reads every Go binary installed on this machine as go version -m does', async () => {
    // Debian's docker-registry, skopeo, go and gofmt (GOPATH builds: no module lines) at least, and
    // whatever else is installed (module builds with hundreds of deps, experiment suffixes)
    const files: string[] = [];
    for (const d of ['/usr/bin', '/usr/local/bin']) {
      const out = execFileSync('go', ['version', d], { encoding: 'utf8', maxBuffer: 16 << 20 });
      for (const m of out.matchAll(/^(\/\S+): go/gm)) if (statSync(m[1]!).size < 300 << 20) files.push(m[1]!);
    }
    expect(files).toEqual(expect.arrayContaining(['/usr/bin/docker-registry', '/usr/bin/skopeo', '/usr/bin/go']));
    for (const file of files) {
      const truth = groundTruth(execFileSync('go', ['version', '-m', file], { encoding: 'utf8', maxBuffer: 16 << 20 }));
      const f = await viaSink(file, readFileSync(file));
      expect({ file, pkgs: f?.packages?.map((p) => ({ name: p.name, version: p.version })) }).toEqual({ file, pkgs: truth });
    }
    // non-Go executables give nothing
    for (const file of ['/usr/bin/bash', '/usr/bin/apt', '/usr/bin/python3']) expect(await viaSink(file, readFileSync(file))).toBeNull();
  });

  it('strips experiment suffixes and maps the Go version like the Go vulnerability database', async () => {
    const text = readFileSync(join(dir, 'hello-exp.version-m'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/ go1\.\d+\.\d+ X:fieldtrack$/);
    const f = await viaSink('/app', readFileSync(join(dir, 'hello-exp')));
    expect(f?.packages?.[0]).toMatchObject({ name: 'stdlib', version: expect.stringMatching(/^v1\.\d+\.\d+$/) });
    const purls = f!.packages!.map((p) => packagePurl(p, undefined));
    expect(purls[0]).toMatch(/^pkg:golang\/stdlib@v1\.\d+\.\d+$/);
    // the main module built from a directory is "(devel)": no version in its purl
    expect(purls.slice(1)).toEqual(['pkg:golang/example.com/customs-fixture', 'pkg:golang/example.com/greet@v1.2.3', 'pkg:golang/github.com/google/uuid@v1.3.0', 'pkg:golang/github.com/pkg/errors@v0.9.1']);
  });

  it('finds build info whatever the chunk boundaries', async () => {
    const bytes = readFileSync(join(dir, 'hello-stripped'));
    const at = bytes.indexOf(BUILDINFO_MAGIC);
    const expected = (await viaSink('/a', bytes))!.packages;
    // boundaries cutting the magic, the header and the module info
    for (const size of [at + 5, at + 20, at + 40, at + 100, 4093, 1 << 20]) {
      expect((await viaSink('/a', bytes, size))?.packages).toEqual(expected);
    }
  });

  it('looks at executables at any path by mode, and only at them', async () => {
    const bytes = readFileSync(join(dir, 'hello'));
    const layer = gzip(await makeTar([
      { path: 'opt/weird/place/tool', content: bytes, mode: 0o755 },
      { path: 'srv/data.bin', content: bytes, mode: 0o644 },
      { path: 'usr/bin/script', content: '#!/bin/sh\necho go\n', mode: 0o755 },
    ]));
    const r = await analyzeLayer(chunked(layer), { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:' + '0'.repeat(64), size: layer.length }, [goBinaryAnalyzer], LIMITS);
    expect(Object.keys(r.files)).toEqual(['/opt/weird/place/tool']);
    expect(r.files['/opt/weird/place/tool']![0]!.packages!.length).toBe(5);
    expect(r.warnings).toEqual([]);
  });

  it('gives a warning, not a crash or hang, for truncated and hostile build info', async () => {
    const bytes = readFileSync(join(dir, 'hello-stripped'));
    const at = bytes.indexOf(BUILDINFO_MAGIC);
    // cut inside the module info: the file ends before the build info does
    await expect(viaSink('/cut', bytes.subarray(0, at + 120))).rejects.toThrow(/truncated/);
    // an absurd module-info length: the candidate is rejected, nothing is captured
    const absurd = Buffer.from(bytes);
    const vlen = absurd[at + 32]!;
    absurd.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], at + 33 + vlen);
    expect(await viaSink('/absurd', absurd)).toBeNull();
    // a 10-byte varint that never ends
    const overlong = Buffer.from(bytes);
    overlong.fill(0xff, at + 32, at + 48);
    expect(await viaSink('/overlong', overlong)).toBeNull();
    // an ELF full of aligned magics with garbage after them
    const spam = Buffer.alloc(4 << 20);
    spam.writeUInt32BE(0x7f454c46, 0);
    for (let i = 4096; i + 32 < spam.length; i += 4096) { BUILDINFO_MAGIC.copy(spam, i); spam[i + 14] = 8; spam[i + 15] = 2; spam[i + 32] = 0x7f; }
    expect(await viaSink('/spam', spam)).toBeNull();
    // the pointer format of Go < 1.18 is recognised and reported as not read
    const old = Buffer.from(bytes);
    old[at + 15] = 0;
    await expect(viaSink('/old', old)).rejects.toThrow(/pre-Go-1.18/);
    // not an executable: nothing beyond the first bytes is read
    expect(goBinaryAnalyzer.openSink!(entry('/x', 100, 0o644))).toBeNull();
    expect(await viaSink('/text', Buffer.concat([Buffer.from('#!/bin/sh\n'), bytes]))).toBeNull();
  });
});
