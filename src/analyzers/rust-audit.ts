// Rust binaries built with cargo-auditable: the `.dep-v0` linker section holds the crate tree as
// zlib-compressed JSON ({"packages":[{name, version, source, kind?, dependencies?, root?}]}).
// Section tables sit at the end of ELF files, so instead of seeking, the streamed file is searched
// for a zlib stream whose first inflated bytes are that JSON: the same bytes in ELF, PE and Mach-O,
// found with a small carry, a probe inflate per zlib-header candidate, and a bounded capture.
import { inflateSync, constants as zc } from 'node:zlib';
import type { Analyzer, AnalyzerFinding } from './analyzer.ts';
import type { FoundPackage } from '../types.ts';
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { executableOnly, mayBeExecutable } from './binary/executable.ts';
import { createMarkerScanner } from './binary/marker-scan.ts';
import { plausibleZlibStart } from './binary/deflate-sniff.ts';

/** cargo-auditable caps its own section far below these */
const MAX_COMPRESSED = 8 * 1024 * 1024;
const MAX_JSON = 8 * 1024 * 1024;
const PROBE = 512;
const FIRST_CAPTURE = 16 * 1024;
/** second byte of a zlib header with a 32K window (0x78) at each compression level */
const ZLIB_SECOND = new Set([0x01, 0x5e, 0x9c, 0xda]);
const JSON_START = /^\{\s*"(packages|format)"\s*:/;

function inflatePartial(bytes: Buffer): string | null {
  try {
    // 512 input bytes inflate to at most ~530 kB (deflate tops out near 1032:1)
    return inflateSync(bytes, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 1 << 20 }).toString('latin1', 0, 64);
  } catch {
    return null;
  }
}

interface AuditPackage { name?: unknown; version?: unknown; source?: unknown; kind?: unknown; root?: unknown }

/** Packages of a cargo-auditable JSON document: every crate linked in (build-only ones are not). */
export function parseAuditJson(json: Buffer, foundIn: string): FoundPackage[] {
  const doc = parseUntrustedJson<{ packages?: unknown }>(json, `${foundIn}: cargo-auditable data`);
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.packages)) {
    throw new CustomsError('corrupt', `${foundIn}: cargo-auditable data has no packages list`);
  }
  const out: FoundPackage[] = [];
  for (const p of doc.packages as AuditPackage[]) {
    if (!p || typeof p.name !== 'string' || typeof p.version !== 'string' || !p.name || !p.version) continue;
    if (p.kind === 'build') continue;
    out.push({ type: 'cargo', name: p.name, version: p.version, foundIn });
  }
  return out;
}

export const rustAuditAnalyzer: Analyzer = {
  name: 'rust-audit',
  version: 1,
  wants: () => false,
  analyze: () => null,
  openSink(entry) {
    if (!mayBeExecutable(entry)) return null;
    const scanner = createMarkerScanner({
      markerBytes: 2,
      probeBytes: PROBE,
      maxCapture: MAX_COMPRESSED,
      find(buf, from) {
        for (let i = buf.indexOf(0x78, from); i >= 0; i = buf.indexOf(0x78, i + 1)) {
          if (i + 1 >= buf.length || ZLIB_SECOND.has(buf[i + 1]!)) return i;
        }
        return -1;
      },
      probe(head) {
        if (!plausibleZlibStart(head, 0, 0x7b /* { */)) return 0;
        const start = inflatePartial(head);
        return start !== null && JSON_START.test(start) ? FIRST_CAPTURE : 0;
      },
      complete(captured) {
        try {
          inflateSync(captured, { maxOutputLength: MAX_JSON });
          return true;
        } catch (e) {
          // the stream goes on past what was captured: capture more (the cap ends it)
          return (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? captured.length * 4 : true;
        }
      },
    });
    return executableOnly({
      write: (chunk) => scanner.write(chunk),
      end(): AnalyzerFinding | null {
        const found = scanner.finish();
        if (!found) return null;
        let json: Buffer;
        try {
          json = inflateSync(found.bytes, { maxOutputLength: MAX_JSON });
        } catch (e) {
          const err = e as NodeJS.ErrnoException;
          if (err.code === 'ERR_BUFFER_TOO_LARGE') throw new CustomsError('limit', `${entry.path}: cargo-auditable data inflates beyond ${MAX_JSON} bytes`);
          throw new CustomsError('corrupt', `${entry.path}: cargo-auditable data is not a complete zlib stream (${err.message})`);
        }
        const packages = parseAuditJson(json, entry.path);
        return packages.length ? { packages } : null;
      },
    });
  },
};
