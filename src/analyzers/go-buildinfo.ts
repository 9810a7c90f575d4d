// Go build information as the linker embeds it (Go's debug/buildinfo): a 32-byte header starting
// with "\xff Go buildinf:", pointer size at byte 14, flags at 15 (bit 1: strings inline, Go 1.18+),
// then the Go version and the module info as uvarint-length strings. The module info is framed by
// 16-byte sentinels and holds lines "path", "mod", "dep", "=>" and "build" (runtime/debug.BuildInfo).
import { CustomsError } from '../errors.ts';

export const BUILDINFO_MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const HEADER = 32;
/** A version string is short ("go1.21.3 X:loopvar"); the module info of the largest real
 *  binaries is well under 1 MiB. Anything bigger is hostile. */
const MAX_VERSION = 256;
export const MAX_MODINFO = 4 * 1024 * 1024;
export const PROBE_BYTES = HEADER + 10 + MAX_VERSION + 10;

/** uvarint at buf[at]: [value, bytes used]; bytes used 0 when incomplete, -1 when overlong */
function uvarint(buf: Buffer, at: number): [number, number] {
  let x = 0, mul = 1;
  for (let i = 0; i < 10; i++) {
    if (at + i >= buf.length) return [0, 0];
    const b = buf[at + i]!;
    x += (b & 0x7f) * mul;
    if (b < 0x80) return [x, i + 1];
    mul *= 128;
  }
  return [0, -1];
}

export type BuildInfoProbe =
  | { kind: 'inline'; total: number }
  | { kind: 'pointer' }  // pre-1.18 layout: strings elsewhere in the file, behind pointers
  | null;               // not build info

/** Judge the bytes at a magic: how many bytes the inline build info spans from its start. */
export function probeBuildInfo(head: Buffer): BuildInfoProbe {
  if (head.length < HEADER || !head.subarray(0, BUILDINFO_MAGIC.length).equals(BUILDINFO_MAGIC)) return null;
  const ptrSize = head[14]!, flags = head[15]!;
  if ((ptrSize !== 4 && ptrSize !== 8) || (flags & ~3) !== 0) return null;
  if ((flags & 2) === 0) return { kind: 'pointer' };
  const [vlen, vn] = uvarint(head, HEADER);
  if (vn <= 0 || vlen < 2 || vlen > MAX_VERSION) return null;
  const vstart = HEADER + vn;
  if (vstart + vlen > head.length) return null;
  const version = head.toString('latin1', vstart, vstart + vlen);
  if (!/^(go\d|devel)/.test(version)) return null;
  const [mlen, mn] = uvarint(head, vstart + vlen);
  if (mn < 0 || mlen > MAX_MODINFO) return null;
  if (mn === 0) return null;
  return { kind: 'inline', total: vstart + vlen + mn + mlen };
}

/** The Go version and raw module info of inline build info (bytes from the magic on). */
export function readInlineBuildInfo(bytes: Buffer): { goVersion: string; modinfo: string } {
  const [vlen, vn] = uvarint(bytes, HEADER);
  if (vn <= 0) throw new CustomsError('corrupt', 'Go build info: bad version length');
  const vstart = HEADER + vn;
  const [mlen, mn] = uvarint(bytes, vstart + vlen);
  if (mn <= 0 || vstart + vlen + mn + mlen > bytes.length) throw new CustomsError('corrupt', 'Go build info: truncated');
  const goVersion = bytes.toString('utf8', vstart, vstart + vlen);
  let mod = bytes.subarray(vstart + vlen + mn, vstart + vlen + mn + mlen);
  // strip the sentinels framing the module info (as debug/buildinfo does)
  if (mod.length >= 33 && mod[mod.length - 17] === 0x0a) mod = mod.subarray(16, mod.length - 16);
  return { goVersion, modinfo: mod.toString('utf8') };
}

export interface GoModule { path: string; version: string; sum?: string; replace?: GoModule }

export interface ModInfo {
  path?: string;
  main?: GoModule;
  deps: GoModule[];
  settings: Record<string, string>;
}

/** Parse runtime/debug.BuildInfo's text form; unknown or malformed lines are skipped. */
export function parseModInfo(text: string): ModInfo {
  const out: ModInfo = { deps: [], settings: {} };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule | undefined => (f[1] ? { path: f[1], version: f[2] ?? '', ...(f[3] ? { sum: f[3] } : {}) } : undefined);
    switch (f[0]) {
      case 'path': if (f[1]) out.path = f[1]; break;
      case 'mod': last = out.main = mod(); break;
      case 'dep': { const m = mod(); if (m) out.deps.push(m); last = m; break; }
      case '=>': { const m = mod(); if (m && last && !last.replace) last.replace = m; break; }
      case 'build': {
        const kv = f.slice(1).join('\t'), eq = kv.indexOf('=');
        if (eq > 0) out.settings[kv.slice(0, eq)] = kv.slice(eq + 1);
        break;
      }
    }
  }
  return out;
}

/** "go1.21.3 X:loopvar" / "go1.22.0-X:rangefunc" -> "go1.21.3" / "go1.22.0" (experiment suffixes). */
export function stripGoExperiments(v: string): string {
  return v.trim().split(/\s+/)[0]!.replace(/-X:.*$/, '');
}
