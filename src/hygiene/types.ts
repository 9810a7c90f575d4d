import type { LocatedSecret, SecretHit } from '../types.ts';

export type Severity = SecretHit['severity'];

/** One image configuration / hygiene finding. Plain data; `id` is stable (policies refer to it). */
export interface ConfigFinding {
  id: string;
  severity: Severity;
  title: string;
  /** what exactly was seen (user name, ports, history line, ...) */
  detail?: string;
  /** how to fix it */
  fix: string;
  /** files concerned (setuid binaries, shells, ...), capped */
  paths?: string[];
}

/** A product release past (or near) its end of life. */
export interface EolFinding {
  /** endoflife.date product id: debian, ubuntu, alpine, nodejs, python, ... */
  product: string;
  kind: 'os' | 'runtime';
  /** the release cycle matched, e.g. "11", "3.16", "18" */
  cycle: string;
  /** the version seen in the image */
  version: string;
  /** where it was seen: "/etc/os-release", "deb nodejs 18.19.0" */
  foundIn: string;
  /** ISO date, or null when the data has none */
  eolDate: string | null;
  /** paid or community extended support (Debian LTS, Ubuntu ESM, RHEL ELS) after the end of life */
  extendedSupportUntil?: string;
  /** extended-support: past the end of life but inside extendedSupportUntil */
  status: 'end-of-life' | 'extended-support' | 'approaching';
  severity: Severity;
  /** the newest cycle still supported, when one is known */
  nextSupported?: { cycle: string; eolDate: string | null };
}

export interface HygieneReport {
  config: ConfigFinding[];
  eol: EolFinding[];
  secrets: LocatedSecret[];
}
