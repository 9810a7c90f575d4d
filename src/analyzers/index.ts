import type { Analyzer } from './analyzer.ts';
import { apkAnalyzer } from './apk.ts';
import { dpkgAnalyzer } from './dpkg.ts';
import { goBinaryAnalyzer } from './go-binary.ts';
import { osReleaseAnalyzer } from './os-release.ts';
import { rpmAnalyzer } from './rpm.ts';
import { rustAuditAnalyzer } from './rust-audit.ts';

export type { Analyzer } from './analyzer.ts';

export const defaultAnalyzers: Analyzer[] = [osReleaseAnalyzer, dpkgAnalyzer, apkAnalyzer, rpmAnalyzer,
  goBinaryAnalyzer, rustAuditAnalyzer];

/** Stable key of a set of analyzers and their versions, e.g. "apk@1,dpkg@1,os-release@1" (layer cache key). */
export function analyzersKey(analyzers: readonly Analyzer[]): string {
  return analyzers.map((a) => `${a.name}@${a.version}`).sort().join(',');
}
