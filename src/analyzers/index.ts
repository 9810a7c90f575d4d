import type { Analyzer } from './analyzer.ts';
import { apkAnalyzer } from './apk.ts';
import { composerAnalyzer } from './composer.ts';
import { dotnetAnalyzer } from './dotnet.ts';
import { dpkgFilesAnalyzer } from './dpkg-files.ts';
import { npmAnalyzer } from './npm.ts';
import { pythonAnalyzer } from './python.ts';
import { rubyAnalyzer } from './ruby.ts';
import { dpkgAnalyzer } from './dpkg.ts';
import { goBinaryAnalyzer } from './go-binary.ts';
import { javaArchiveAnalyzer } from './java-archive.ts';
import { osReleaseAnalyzer } from './os-release.ts';
import { rpmAnalyzer } from './rpm.ts';
import { rustAuditAnalyzer } from './rust-audit.ts';

export type { Analyzer } from './analyzer.ts';

export const defaultAnalyzers: Analyzer[] = [osReleaseAnalyzer, dpkgAnalyzer, apkAnalyzer, rpmAnalyzer,
  // language metadata files (npm, Python, Ruby, PHP, .NET) and the dpkg file lists that own them
  npmAnalyzer, pythonAnalyzer, rubyAnalyzer, composerAnalyzer, dotnetAnalyzer, dpkgFilesAnalyzer,
  goBinaryAnalyzer, rustAuditAnalyzer, javaArchiveAnalyzer];

/**
 * What the layer walker itself records besides the analyzers' findings; bumped when that changes
 * (2: `unread-input` facts on files that could not be analysed; 3: archive budget use in the layer's stats,
 * charged to the image budget when the layer comes from the cache), so cached layers are analysed again.
 */
export const WALKER_VERSION = 3;

/** Stable key of a set of analyzers and their versions, e.g. "apk@1,dpkg@1,os-release@1,walker@3" (layer cache key). */
export function analyzersKey(analyzers: readonly Analyzer[]): string {
  return [...analyzers.map((a) => `${a.name}@${a.version}`), `walker@${WALKER_VERSION}`].sort().join(',');
}
