// Secrets in layer files: text files under a size cap stream through a sink (so scanned files
// are not recorded in the layer cache unless they hold a secret); binaries stop after their first
// KB; system paths that never hold user secrets are not read at all.
import { createHash } from 'node:crypto';
import { compileScanner, getDefaultScanner, isAllowedPath, scanText, type ScannerOptions, type SecretScanner } from '../secrets/scan.ts';
import type { Analyzer, AnalyzerFinding, FileSink } from './analyzer.ts';

export const DEFAULT_SECRET_FILE_BYTES = 2 * 1024 * 1024;
const BINARY_PROBE = 1024;

/** Distribution content (docs, locales, terminal and time zone data, package metadata, headers). */
const SKIP_DIRS = [
  '/usr/share/doc', '/usr/share/man', '/usr/share/info', '/usr/share/locale', '/usr/lib/locale', '/usr/share/i18n',
  '/usr/share/terminfo', '/lib/terminfo', '/usr/lib/terminfo', '/usr/share/zoneinfo', '/usr/share/common-licenses',
  '/usr/share/mime', '/usr/share/icons', '/usr/share/fonts', '/usr/share/X11', '/usr/share/perl', '/usr/share/lintian',
  '/usr/share/bash-completion', '/usr/share/zsh', '/usr/share/vim', '/usr/include', '/var/lib/dpkg/info',
  '/var/lib/apt/lists', '/var/cache/apt', '/var/cache/debconf', '/var/lib/rpm', '/var/lib/yum', '/var/cache/dnf',
  '/etc/ssl/certs', '/usr/share/ca-certificates', '/etc/pki/ca-trust', '/usr/share/pki', '/proc', '/sys', '/dev',
];
const SKIP_DIR_RE = new RegExp(`^(?:${SKIP_DIRS.map((d) => d.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?:/|$)`);
/** Formats that are binary or compressed even when their first KB has no NUL. */
const SKIP_EXT_RE = /\.(?:png|jpe?g|gif|ico|bmp|webp|svgz|gz|tgz|xz|bz2|zst|lz4|zip|jar|war|whl|egg|so(?:\.[\d.]+)?|a|o|pyc|pyo|class|mo|woff2?|ttf|otf|eot|pdf|db|sqlite3?|wasm|node)$/i;

export function skippedBySecretScan(path: string): boolean {
  return SKIP_DIR_RE.test(path) || SKIP_EXT_RE.test(path);
}

/** Process-wide counters of text scanned (benchmarks and metrics): files, bytes, milliseconds in the scanner. */
export const secretScanStats = { files: 0, bytes: 0, ms: 0 };

export interface SecretsAnalyzerOptions extends ScannerOptions {
  /** largest file scanned, bytes */
  maxFileBytes?: number;
}

/** The secrets analyzer; custom rules/allow lists change its cache name so old layer results are not reused. */
export function makeSecretsAnalyzer(opts: SecretsAnalyzerOptions = {}): Analyzer & { scanner: SecretScanner } {
  const custom = Boolean(opts.rules?.length || opts.allow?.length || opts.allowPaths?.length);
  const scanner = custom ? compileScanner(opts) : getDefaultScanner();
  const maxBytes = opts.maxFileBytes ?? DEFAULT_SECRET_FILE_BYTES;
  const tag = custom || maxBytes !== DEFAULT_SECRET_FILE_BYTES
    ? '+' + createHash('sha256').update(JSON.stringify([opts.rules, opts.allow, opts.allowPaths, maxBytes])).digest('hex').slice(0, 8)
    : '';
  return {
    // version 2: the rule set of issue 21 (≈150 rules, checksums) — layers scanned with the old rules are rescanned
    name: 'secrets' + tag, version: 2, scanner,
    wants: () => false,
    analyze: () => null,
    openSink(entry): FileSink | null {
      if (entry.size === 0 || entry.size > maxBytes || skippedBySecretScan(entry.path) || isAllowedPath(scanner, entry.path)) return null;
      const chunks: Buffer[] = [];
      let got = 0, binary = false;
      return {
        write(chunk) {
          if (got < BINARY_PROBE && chunk.subarray(0, BINARY_PROBE - got).includes(0)) { binary = true; return false; }
          chunks.push(chunk);
          got += chunk.length;
          return got <= maxBytes; // the header's size is trusted only this far
        },
        end(): AnalyzerFinding | null {
          if (binary || got > maxBytes) return null;
          const t0 = performance.now();
          const secrets = scanText(scanner, Buffer.concat(chunks, got).toString('latin1'), { path: entry.path });
          secretScanStats.files++; secretScanStats.bytes += got; secretScanStats.ms += performance.now() - t0;
          return secrets.length ? { secrets } : null;
        },
      };
    },
  };
}

export const secretsAnalyzer = makeSecretsAnalyzer();
