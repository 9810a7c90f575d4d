// Installed gems: the spec files RubyGems writes under `specifications/` (and `specifications/default/`
// for gems bundled with Ruby). They are Ruby code; they are read with patterns for the few forms
// RubyGems (Gem::Specification#to_ruby) and older generators write — never evaluated.
import type { FoundPackage } from '../types.ts';
import { packageFileAnalyzer } from './package-file-analyzer.ts';
import { isGemspecPath } from './language-paths.ts';
import { joinLicenses, metadataText, stringField } from './metadata-fields.ts';

// a Ruby string literal as to_ruby writes it: "x" / 'x' / %q{x} / %q<x> / %q(x), maybe .freeze
const STR = String.raw`(?:"([^"\\\n]*)"|'([^'\\\n]*)'|%q\{([^}\n]*)\}|%q<([^>\n]*)>|%q\(([^)\n]*)\))(?:\.freeze)?`;
const NAME_RE = new RegExp(String.raw`^[ \t]*\w+\.name[ \t]*=[ \t]*${STR}`, 'm');
const VERSION_RE = new RegExp(String.raw`^[ \t]*\w+\.version[ \t]*=[ \t]*(?:Gem::Version\.new\([ \t]*${STR}[ \t]*\)|${STR})`, 'm');
const LICENSES_RE = /^[ \t]*\w+\.licenses?[ \t]*=[ \t]*(\[[^\]\n]*\]|[^\n]*)/m;
const STRINGS_RE = new RegExp(STR, 'g');
// "# stub: rake 13.0.6 ruby lib": the header RubyGems writes first, used when the body is unusual
const STUB_RE = /^# stub: (\S+) (\S+)/m;

function firstGroup(m: RegExpExecArray | RegExpMatchArray | null): string | undefined {
  return m?.slice(1).find((g) => g !== undefined);
}

/** A gemspec's text → its package, or null without a readable name and version. */
export function parseGemspec(path: string, content: Buffer | string): FoundPackage | null {
  const text = typeof content === 'string' ? content : metadataText(content);
  const stub = STUB_RE.exec(text);
  const name = stringField(firstGroup(NAME_RE.exec(text)) ?? stub?.[1], 200);
  const version = stringField(firstGroup(VERSION_RE.exec(text)) ?? stub?.[2], 100);
  if (!name || !version || !/^[A-Za-z0-9._-]+$/.test(name)) return null;
  const pkg: FoundPackage = { type: 'gem', name, version, foundIn: path };
  const lic = LICENSES_RE.exec(text)?.[1];
  if (lic) {
    const parts = [...lic.matchAll(STRINGS_RE)].slice(0, 16).map((m) => stringField(firstGroup(m), 200)).filter((x): x is string => !!x);
    if (parts.length) pkg.license = joinLicenses(parts);
  }
  return pkg;
}

export const rubyAnalyzer = packageFileAnalyzer('ruby', 1, isGemspecPath, parseGemspec);
