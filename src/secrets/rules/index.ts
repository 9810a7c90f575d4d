// The built-in secret rules, by provider family, in the order they run: self-identifying formats
// first, then rules that recognise a value by the name it is assigned to, then the generic ones —
// a value found by an earlier rule is not reported again by a later one.
import type { SecretRule } from '../rule-types.ts';
import { AI_RULES } from './ai.ts';
import { CLOUD_RULES } from './cloud.ts';
import { CODE_HOSTING_RULES } from './code-hosting.ts';
import { DEVTOOLS_RULES } from './devtools.ts';
import { GENERIC_RULES } from './generic.ts';
import { KEY_RULES } from './keys.ts';
import { MESSAGING_RULES } from './messaging.ts';
import { OBSERVABILITY_RULES } from './observability.ts';
import { PAYMENT_RULES } from './payments.ts';
import { REGISTRY_RULES } from './registries.ts';
import { SOCIAL_RULES } from './social.ts';

export { NOT_A_SECRET_VALUE, SECRET_ENV_NAME } from './generic.ts';

/** Rule families (README's precision/recall table is per family). */
export const RULE_FAMILIES: Record<string, SecretRule[]> = {
  cloud: CLOUD_RULES, 'code-hosting': CODE_HOSTING_RULES, registries: REGISTRY_RULES, ai: AI_RULES,
  messaging: MESSAGING_RULES, payments: PAYMENT_RULES, social: SOCIAL_RULES, observability: OBSERVABILITY_RULES,
  devtools: DEVTOOLS_RULES, keys: KEY_RULES, generic: GENERIC_RULES,
};

/** Self-identifying tokens run before the name-anchored rules, and all before the generic family; a
 *  provider's key file (a GCP service account) before the private key inside it. */
export const DEFAULT_RULES: SecretRule[] = (() => {
  const specific = Object.entries(RULE_FAMILIES).filter(([f]) => f !== 'generic').flatMap(([, rules]) => rules);
  const named = (r: SecretRule) => r.regex.startsWith('(?<key>');
  return [...specific.filter((r) => !named(r)), ...specific.filter(named), ...GENERIC_RULES];
})();

/** Values that are documentation examples or placeholders everywhere (case-sensitive unless marked). */
export const GLOBAL_ALLOW: string[] = [
  'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // AWS documentation keys
  '2YotnFZFEjr1zCsicMWpAA', 'tGzv3JOkF0XG5Qx2TlKWIA', 'SlAV32hkKG', // RFC 6749 examples
  '^kdloedMFGdGla2P1zacGjAQh$', // the OAuth client secret of Debian's Chromium, shipped in the package (/etc/chromium.d/apikeys)
  String.raw`(?i:(?:^|[^a-z])(?:example|sample|dummy|placeholder|changeme|change_me|redacted|fake|your[_-]?\w{0,20}[_-]?here|insert[_-]?\w{0,20}[_-]?here|replace[_-]?me)(?:[^a-z]|$))`,
  String.raw`^(.)\1{5,}$`, String.raw`^\$\{?\w{1,80}\}?$`, String.raw`^%\w{1,80}%$`, // references to a variable
  '(?i:x{6,})', String.raw`\*{4,}`, String.raw`\.{3,}`, '#{4,}', '\u2022{3,}', '\u2026', '\u00e2\u0080\u00a6', // masked, redacted
  '<[^>]{0,60}>', String.raw`\$\{[^}]{0,80}\}`, String.raw`\{\{[^}]{0,80}\}\}`, // templates
  'abcdefghij|ABCDEFGHIJ|0123456789|1234567890|qwertyuiop|QWERTYUIOP', // keyboard and alphabet runs (one case: abcDEFghi… is not one)
];

/** Paths whose content is documentation, examples or test data (regexes on the absolute path). */
export const GLOBAL_ALLOW_PATHS: string[] = [
  '/(?:tests?|testdata|testing|__tests__|fixtures?|spec|specs|examples?|samples?|docs?)/',
  '\\.(?:md|rst|markdown|adoc|example|sample|template|dist|pub)$',
  '(?:^|/)(?:README|CHANGELOG|CHANGES|NEWS|HISTORY)[^/]*$',
  '\\.(?:egg-info|dist-info)/(?:PKG-INFO|METADATA|DESCRIPTION\\.rst)$', // package long descriptions (READMEs)
];
