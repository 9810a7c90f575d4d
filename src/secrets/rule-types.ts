// A secret rule is plain data (custom rules come from the configuration); the built-in ones may
// add a `verify` function for formats that carry a checksum or a decodable structure.
import type { SecretHit } from '../types.ts';

export type Severity = SecretHit['severity'];

export interface SecretRule {
  id: string;
  title: string;
  severity: Severity;
  /** lower-case substrings; the regex runs only near their occurrences (one Aho–Corasick pass finds them all) */
  keywords: string[];
  /**
   * JavaScript regex source. The secret is the named group `secret`, else capture group `group`
   * (default: 1 when the regex has groups, else the whole match). A named group `key` is the name
   * the value is assigned to (checked against `allowKeys`).
   */
  regex: string;
  /** extra regex flags ('i', 's', 'm'); 'g' and 'd' are always added */
  flags?: string;
  group?: number;
  /** minimum Shannon entropy (bits per character) of the secret */
  entropy?: number;
  /** regexes (compiled with the rule's flags) that, matching the secret, mark it as a known public or placeholder
   *  value: no later (broader) rule reports that span either */
  allow?: string[];
  /** regexes (case-insensitive) that, matching the `key` group, mark the match as not a secret */
  allowKeys?: string[];
  /** regexes (the rule's flags) on the whole match */
  allowMatch?: string[];
  /** the rule applies only to files whose absolute path matches one of these (case-insensitive) */
  paths?: string[];
  /** a regex (case-insensitive) that must match within `before` characters before the match (or `after` after it) */
  near?: { regex: string; before: number; after?: number };
  /** the longest text a match (with its lookarounds) covers, in characters: the scan window around a keyword (default 512) */
  span?: number;
  /** built-in rules only: the value's checksum or structure (GitHub/npm CRC32, PyPI macaroon, bech32…) */
  verify?: (value: string) => boolean;
}
