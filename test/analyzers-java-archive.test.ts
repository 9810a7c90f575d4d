// Real jars from Debian's lib*-java packages (/usr/share/java), a Spring-Boot-like fat jar, a war
// and an ear assembled from them with the JDK's `jar` tool, read through the java-archive sink and
// compared with the pom.properties inside them (read with Info-ZIP's unzip). Hostile archives are
// built with yazl.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { javaArchiveAnalyzer, javaArchiveSink } from '../src/analyzers/java-archive.ts';
import { walkArchive } from '../src/analyzers/java/archive-walk.ts';
import { ArchiveBudget } from '../src/analyzers/archive-budget.ts';
import { configSchema } from '../src/config/schema.ts';
import { analyzeLayer } from '../src/image/layer-walker.ts';
import { packagePurl } from '../src/sbom/purl.ts';
import { chunked, gzip, makeTar } from './helpers/tar.ts';
import { buildJavaArchives, JAVA, pomTruth } from './helpers/java-fixtures.ts';
import { feedSink, viaAnalyzerSink } from './helpers/sink.ts';


/** an archive's own budget scope, with some limits changed */
const budget = (o: Record<string, number> = {}) => new ArchiveBudget('archive', { ...configSchema.parse({}).limits, ...o });
const viaSink = (path: string, bytes: Buffer) => viaAnalyzerSink(javaArchiveAnalyzer, path, bytes, undefined, 0o644);

function zipOf(files: Record<string, Buffer | string>, compress = true): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [name, data] of Object.entries(files)) z.addBuffer(Buffer.from(data), name, { compress });
  z.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => parts.push(c)).on('end', () => resolve(Buffer.concat(parts))).on('error', reject);
  });
}

let fx: ReturnType<typeof buildJavaArchives>;
beforeAll(() => { fx = buildJavaArchives(); }, 120_000);

describe('java-archive analyzer', () => {
  it('reads every pom.properties of real jars, shaded ones included', async () => {
    for (const j of ['guava-31.1-jre.jar', 'commons-io-2.11.0.jar', 'wagon-http-shaded-3.5.3.jar']) {
      const f = await viaSink(`/usr/share/java/${j}`, readFileSync(join(JAVA, j)));
      const truth = pomTruth(join(JAVA, j));
      expect(f?.packages?.map((p) => `${p.name}@${p.version}`).sort()).toEqual(truth.sort());
      expect(f?.packages?.every((p) => p.type === 'maven' && p.foundIn === `/usr/share/java/${j}`)).toBe(true);
    }
    expect(pomTruth(join(JAVA, 'wagon-http-shaded-3.5.3.jar'))).toHaveLength(5);
  });

  it('falls back to the manifest, then to the file name', async () => {
    // guice-no-aop has no pom.properties; its manifest says Bundle-SymbolicName com.google.inject, 4.2.3
    expect(execFileSync('unzip', ['-Z1', join(JAVA, 'guice-no-aop-4.2.3.jar')], { encoding: 'utf8' })).not.toMatch(/pom\.properties/);
    const guice = await viaSink('/lib/guice-no-aop-4.2.3.jar', readFileSync(join(JAVA, 'guice-no-aop-4.2.3.jar')));
    expect(guice?.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['com.google.inject:guice-no-aop@4.2.3']);
    // aopalliance's manifest names no artifact or version: the file name does
    const aop = await viaSink('/lib/aopalliance-1.0.jar', readFileSync(join(JAVA, 'aopalliance-1.0.jar')));
    expect(aop?.packages?.map((p) => `${p.name}@${p.version}`)).toEqual(['aopalliance@1.0']);
    expect(packagePurl(guice!.packages![0]!, undefined)).toBe('pkg:maven/com.google.inject/guice-no-aop@4.2.3');
    expect(packagePurl(aop!.packages![0]!, undefined)).toBe('pkg:maven/aopalliance/aopalliance@1.0');
  });

  it('descends into Spring Boot, war and ear nesting', async () => {
    const boot = await viaSink('/app/demo-0.0.1-SNAPSHOT.jar', readFileSync(fx.fatJar));
    const names = boot!.packages!.map((p) => `${p.name}@${p.version} ${p.foundIn}`).sort();
    const lib = '/app/demo-0.0.1-SNAPSHOT.jar!/BOOT-INF/lib/';
    expect(names).toEqual([
      ...pomTruth(join(JAVA, 'commons-io-2.11.0.jar')).map((n) => `${n} ${lib}commons-io-2.11.0.jar`),
      `com.google.inject:guice-no-aop@4.2.3 ${lib}guice-no-aop-4.2.3.jar`,
      ...pomTruth(join(JAVA, 'wagon-http-shaded-3.5.3.jar')).map((n) => `${n} ${lib}wagon-http-shaded-3.5.3.jar`),
      'demo@0.0.1-SNAPSHOT /app/demo-0.0.1-SNAPSHOT.jar',
    ].sort());
    const ear = await viaSink('/srv/store.ear', readFileSync(fx.ear));
    expect(ear!.packages!.map((p) => `${p.name}@${p.version} ${p.foundIn}`).sort()).toEqual([
      'aopalliance@1.0 /srv/store.ear!/lib/aopalliance-1.0.jar',
      `${pomTruth(join(JAVA, 'commons-lang3-3.12.0.jar'))[0]} /srv/store.ear!/shop.war!/WEB-INF/lib/commons-lang3-3.12.0.jar`,
    ]);
  });

  it('is fed by the layer walker for archives at any path, by name', async () => {
    const layer = gzip(await makeTar([
      { path: 'opt/app/demo-0.0.1-SNAPSHOT.jar', content: readFileSync(fx.fatJar) },
      { path: 'opt/app/readme.txt', content: 'not a jar' },
    ]));
    const r = await analyzeLayer(chunked(layer), { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: 'sha256:' + '1'.repeat(64), size: layer.length }, [javaArchiveAnalyzer], configSchema.parse({}).limits);
    expect(Object.keys(r.files)).toEqual(['/opt/app/demo-0.0.1-SNAPSHOT.jar']);
    expect(r.files['/opt/app/demo-0.0.1-SNAPSHOT.jar']![0]!.packages).toHaveLength(8);
    expect(r.warnings).toEqual([]);
  });

  it('stops nesting bombs, zip bombs and entry floods with what it found so far', async () => {
    // 12 archives, each inside the next: the first 8 levels below the top are read, the rest reported
    let inner = await zipOf({ 'META-INF/MANIFEST.MF': 'Manifest-Version: 1.0\n' });
    for (let i = 11; i >= 1; i--) inner = await zipOf({ [`lib/level${i}-1.0.jar`]: inner }, false);
    const deep = await viaSink('/deep-1.0.jar', inner);
    expect(deep!.packages!.map((p) => p.name)).toEqual(['deep', ...Array.from({ length: 8 }, (_, i) => `level${i + 1}`)]);
    const tooDeep = expect.stringMatching(/level8-1\.0\.jar!\/lib\/level9-1\.0\.jar: nested deeper than 8/);
    expect(deep!.facts).toEqual([{ id: 'java-archive-incomplete', detail: tooDeep }, { id: 'unread-input', detail: expect.stringMatching(/^java-archive: .*nested deeper than 8/) }]);
    // ten nested jars of 4 MB each (zeros stored uncompressed inside, a few kB once the outer jar
    // deflates them): the inflate budget stops them
    const zeros = await zipOf({ 'META-INF/maven/z/z/pom.properties': 'groupId=z\nartifactId=z\nversion=1\n', 'pad.bin': Buffer.alloc(4 << 20) }, false);
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 10; i++) files[`lib/z${i}-1.0.jar`] = zeros;
    const bomb = await zipOf(files);
    expect(bomb.length).toBeLessThan(1 << 20);
    const limited = await walkArchive(bomb, '/bomb.jar', budget({ maxArchiveBytes: 16 << 20 }));
    expect(limited.problems.some((p) => /more than 16777216 bytes inflated in this archive, nested ones included \(limits\.maxArchiveBytes\)/.test(p))).toBe(true);
    expect(limited.cut).toMatch(/limits\.maxArchiveBytes/);
    expect(limited.archives.length).toBeLessThan(11);
    // an entry flood
    const many: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) many[`c/${i}.class`] = 'x';
    const flood = await walkArchive(await zipOf(many), '/flood.jar', budget({ maxArchiveEntries: 1000 }));
    expect(flood.problems).toEqual(['/flood.jar: more than 1000 zip entries listed in this archive, nested ones included (limits.maxArchiveEntries)']);
    // a metadata file too big to read is skipped and said so
    const fat = await walkArchive(await zipOf({ 'META-INF/MANIFEST.MF': Buffer.alloc(2 << 20, 0x41) }), '/fat.jar', budget());
    expect(fat.problems).toEqual([expect.stringMatching(/MANIFEST\.MF: 2097152 bytes, not read/)]);
    expect(fat.cut).toBeUndefined();
  });

  it('gives clear errors for corrupt archives and keeps the outer packages when a nested one is corrupt', async () => {
    const good = readFileSync(join(JAVA, 'commons-io-2.11.0.jar'));
    await expect(viaSink('/cut.jar', good.subarray(0, good.length - 100))).rejects.toThrow(/not a readable zip archive/);
    await expect(viaSink('/text.jar', Buffer.from('hello, not a zip'))).rejects.toThrow(/not a readable zip archive/);
    const outer = await zipOf({ 'META-INF/maven/o/outer/pom.properties': 'groupId=o\nartifactId=outer\nversion=2.0\n', 'lib/broken-1.0.jar': good.subarray(0, 5000) });
    const f = await viaSink('/outer.jar', outer);
    expect(f!.packages!.map((p) => p.name)).toEqual(['o:outer']);
    expect(f!.facts![0]!.detail).toMatch(/broken-1\.0\.jar: .*not a readable zip archive/);
  });
});

describe('java-archive analyzer on archives too big to hold', () => {
  /** Stream through the sink that reads local headers (the archive is one byte above the cap). */
  async function streamed(path: string, bytes: Buffer, maxInMemory = bytes.length - 1, chunk = 65536) {
    return feedSink(javaArchiveSink(path, bytes.length, maxInMemory), bytes, chunk);
  }
  const names = (f: Awaited<ReturnType<typeof streamed>>) => f!.packages!.map((p) => `${p.name}@${p.version} ${p.foundIn}`).sort();

  it('finds what the central-directory reader finds, in real jars and in jar-tool archives with data descriptors', async () => {
    const archives: [string, Buffer][] = [
      ...['guava-31.1-jre.jar', 'wagon-http-shaded-3.5.3.jar', 'guice-no-aop-4.2.3.jar', 'aopalliance-1.0.jar'].map((j) => [`/usr/share/java/${j}`, readFileSync(join(JAVA, j))] as [string, Buffer]),
      ['/app/demo-0.0.1-SNAPSHOT.jar', readFileSync(fx.fatJar)], ['/srv/store.ear', readFileSync(fx.ear)],
    ];
    for (const [path, bytes] of archives) {
      const inMemory = await viaSink(path, bytes);
      for (const chunk of [65536, 1000, 7]) {
        if (chunk === 7 && bytes.length > 1 << 20) continue;
        expect({ path, chunk, got: names(await streamed(path, bytes, bytes.length - 1, chunk)) }).toEqual({ path, chunk, got: names(inMemory) });
      }
    }
    // nested archives themselves above the cap are reported, not read
    const f = await streamed('/app/demo-0.0.1-SNAPSHOT.jar', readFileSync(fx.fatJar), 100_000);
    expect(f!.packages!.map((p) => p.name)).toEqual(['demo']);
    expect(f!.facts!.map((x) => x.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/wagon-http-shaded-3\.5\.3\.jar: \d+ bytes, not read/)]));
  });

  it('reports truncation and non-zip content clearly', async () => {
    const bytes = readFileSync(fx.fatJar);
    const cut = await streamed('/cut.jar', bytes.subarray(0, Math.floor(bytes.length / 2)));
    expect(cut!.facts!.some((x) => /archive ends inside this entry/.test(x.detail!))).toBe(true);
    await expect(streamed('/text-1.0.jar', Buffer.alloc(4096, 0x41))).rejects.toThrow(/not a zip archive/);
    const many: Record<string, string> = {};
    for (let i = 0; i < 300; i++) many[`c/${i}.class`] = 'x';
    // a nested bomb (8 MB of zeros in a few kB): its declared size is above the cap, never inflated
    const bomb = await zipOf({ 'lib/bomb-1.0.jar': Buffer.alloc(8 << 20), ...many });
    expect(bomb.length).toBeLessThan(1 << 20);
    const f = await streamed('/b-2.0.jar', bomb);
    expect(f!.packages!.map((p) => p.name)).toEqual(['b']);
    expect(f!.facts!.map((x) => x.detail)).toEqual(['/b-2.0.jar!/lib/bomb-1.0.jar: 8388608 bytes, not read']);
    // what a streamed archive keeps for later is bounded as a whole (twice the in-memory cap)
    const io = readFileSync(join(JAVA, 'commons-io-2.11.0.jar'));
    const five: Record<string, Buffer> = {};
    for (let i = 1; i <= 5; i++) five[`lib/io${i}-2.11.0.jar`] = io;
    const fat = await streamed('/fat-1.0.jar', await zipOf(five, false), io.length + 1000);
    expect(f).toBeTruthy();
    expect(fat!.packages!.filter((p) => p.name === 'commons-io:commons-io').length).toBe(2);
    expect(fat!.facts!.map((x) => x.detail)).toEqual([3, 4, 5].map((i) => `/fat-1.0.jar!/lib/io${i}-2.11.0.jar: not read, the archive's kept entries would exceed ${2 * (io.length + 1000)} bytes`));
  });
});
