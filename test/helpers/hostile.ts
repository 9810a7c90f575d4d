// Hostile image inputs of issue 19, built with the real tools wherever one can make them (the JDK's
// `jar`, Info-ZIP `zip`, the `zstd`/`pzstd` CLIs, GNU `tar`, `bzip2`). Only what no tool writes on
// purpose is patched by hand, each patch a documented field: overlapping zip entries (central
// directory records sharing one local header) and a PAX record whose length overruns it.
// Shared by the tests (small sizes) and bench/hostile.ts (the sizes the issue reported).
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarFileHeader } from './tar.ts';

export function workDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `customs-hostile-${tag}-`));
}

/** A small real jar (made by `jar`) naming itself in a pom.properties. */
export function innerJar(dir: string, name = 'inner'): string {
  const src = join(dir, `${name}-src`);
  mkdirSync(join(src, `META-INF/maven/bomb/${name}`), { recursive: true });
  writeFileSync(join(src, `META-INF/maven/bomb/${name}/pom.properties`), `groupId=bomb\nartifactId=${name}\nversion=1.0\n`);
  const jar = join(dir, `${name}-1.0.jar`);
  execFileSync('jar', ['--create', '--file', jar, '-C', src, '.']);
  return jar;
}

/** `levels` jars, each made by `wrap(level, lib, inner)` from a lib/ directory and the jar below. */
function nest(dir: string, levels: number, wrap: (level: number, lib: string, inner: string) => string): string {
  let jar = innerJar(dir);
  for (let level = 1; level <= levels; level++) {
    const lib = join(dir, `level${level}`, 'lib');
    mkdirSync(lib, { recursive: true });
    jar = wrap(level, lib, jar);
  }
  return jar;
}

const copyName = (i: number) => `copy-${String(i).padStart(4, '0')}.jar`;

/**
 * Nested archive bomb made of real copies: each level a jar (JDK `jar`, deflated) holding `fanout`
 * copies of the level below under lib/. Identical copies deflate to almost nothing at the next
 * level, so the file stays small while walking it means fanout^levels archives.
 */
export function nestedJarBomb(dir: string, levels: number, fanout: number): string {
  return nest(dir, levels, (level, lib, inner) => {
    for (let i = 0; i < fanout; i++) linkSync(inner, join(lib, copyName(i)));
    const out = join(dir, `bomb-l${level}.jar`);
    execFileSync('jar', ['--create', '--file', out, '-C', join(lib, '..'), '.']);
    return out;
  });
}

/**
 * Overlapping-entry nested bomb (the zip bomb technique): each level is a one-entry zip made by
 * `zip -0` holding the level below, whose central directory record is then repeated `fanout` times,
 * every copy pointing at the same local header (offset 0) under a new name of the same length.
 */
export function overlappingJarBomb(dir: string, levels: number, fanout: number): string {
  return nest(dir, levels, (level, lib, inner) => {
    linkSync(inner, join(lib, copyName(0)));
    const one = join(dir, `one-l${level}.jar`);
    execFileSync('zip', ['-q', '-0', '-X', one, `lib/${copyName(0)}`], { cwd: join(lib, '..') });
    const out = join(dir, `overlap-l${level}.jar`);
    writeFileSync(out, repeatCentralRecord(readFileSync(one), fanout));
    return out;
  });
}

/** APPNOTE 4.3.12/4.3.16: repeat a one-entry zip's central directory record `n` times (names copy-NNNN). */
function repeatCentralRecord(zip: Buffer, n: number): Buffer {
  const eocdAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const cdSize = zip.readUInt32LE(eocdAt + 12), cdAt = zip.readUInt32LE(eocdAt + 16);
  const record = zip.subarray(cdAt, cdAt + cdSize);
  const nameLen = record.readUInt16LE(28);
  const name = record.toString('latin1', 46, 46 + nameLen);
  const records: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const r = Buffer.from(record);
    r.write(name.replace('0000', String(i).padStart(4, '0')), 46, 'latin1');
    records.push(r);
  }
  const cd = Buffer.concat(records);
  const eocd = Buffer.from(zip.subarray(eocdAt, eocdAt + 22));
  eocd.writeUInt16LE(n, 8); eocd.writeUInt16LE(n, 10);
  eocd.writeUInt32LE(cd.length, 12); eocd.writeUInt32LE(cdAt, 16);
  return Buffer.concat([zip.subarray(0, cdAt), cd, eocd]);
}

/** Run a shell pipeline with `input` on stdin, return stdout (maxBuffer generous for layers). */
function sh(script: string, input?: Buffer, cwd?: string): Buffer {
  return execFileSync('bash', ['-o', 'pipefail', '-c', script], { input, cwd, maxBuffer: 1 << 30 });
}

/** A tar split in two byte halves, each compressed by the zstd CLI: two frames concatenated (valid). */
export function zstdTwoFrames(tar: Buffer): Buffer {
  const half = Math.floor(tar.length / 2);
  return Buffer.concat([sh('zstd -q -c', tar.subarray(0, half)), sh('zstd -q -c', tar.subarray(half))]);
}

/** pzstd (Debian's zstd package) writes one frame per chunk of input: many frames. */
export function pzstdFrames(tar: Buffer): Buffer {
  return sh('pzstd -q -p 2 -c', tar);
}

/**
 * A skippable frame (RFC 8878 3.1.2: magic 0x184D2A5?, 4-byte size, user data), as zstd:chunked
 * puts its table of contents in one; no CLI writes them alone.
 */
export function skippableFrame(data: Buffer, nibble = 0xe): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32LE(0x184d2a50 + nibble, 0);
  h.writeUInt32LE(data.length, 4);
  return Buffer.concat([h, data]);
}

/** A zstd bomb: a tar holding one file of `size` zero bytes, streamed from /dev/zero into `zstd -19` (or `flags`). */
export function zstdZeroBomb(size: number, flags = '-19'): Buffer {
  const dir = workDir('zbomb');
  writeFileSync(join(dir, 'header'), tarFileHeader('zeros.bin', size));
  const pad = (512 - (size % 512)) % 512 + 1024;
  return sh(`{ cat header; head -c ${size} /dev/zero; head -c ${pad} /dev/zero; } | zstd -q ${flags} -c`, undefined, dir);
}

/** GNU tar (pax format) of `files` (relative path → content), in that order. */
export function gnuTarPax(files: [string, string | Buffer][]): Buffer {
  const dir = workDir('pax');
  for (const [p, c] of files) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return sh(`tar --format=pax --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - ${files.map(([p]) => `'${p}'`).join(' ')}`, undefined, dir);
}

/**
 * A PAX extended header whose first record claims more bytes than the header holds: GNU tar writes
 * the header for a long name, then its record length field ("NNN path=...") is raised by 400.
 */
export function paxLengthOverrun(files: [string, string | Buffer][]): Buffer {
  const tar = gnuTarPax(files);
  // the first 'x' header block: type flag at 156; its data (the records) follows in the next block
  let at = 0;
  while (at < tar.length && tar[at + 156] !== 0x78) at += 512;
  if (at >= tar.length) throw new Error('no PAX header in the tar');
  const data = at + 512;
  const sp = tar.indexOf(0x20, data);
  const len = Number(tar.toString('ascii', data, sp));
  const bigger = String(len + 400);
  if (bigger.length !== sp - data) throw new Error('length field changes width');
  tar.write(bigger, data, 'ascii');
  return tar;
}

/** `tar | bzip2`: a layer compressed with bzip2 (which docker load once read; no OCI type names it). */
export function bzip2Tar(files: [string, string | Buffer][]): Buffer {
  return sh('bzip2 -c', gnuTarPax(files));
}

/** A dpkg status whose one package carries a Description of `bytes` (lines of 'x', as dpkg folds them). */
export function hugeDescriptionStatus(bytes: number): Buffer {
  const head = 'Package: bigdesc\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\nDescription: huge\n';
  const line = ' ' + 'x'.repeat(79) + '\n';
  const n = Math.ceil(bytes / line.length);
  return Buffer.concat([Buffer.from(head), Buffer.from(line.repeat(n)), Buffer.from('\nPackage: after\nStatus: install ok installed\nVersion: 2.0\n')]);
}
