import type { EolFinding } from '../eol/check.ts';
import type { LocatedSecret, SecretHit } from '../types.ts';

export type { EolFinding };

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

export interface HygieneReport {
  config: ConfigFinding[];
  eol: EolFinding[];
  secrets: LocatedSecret[];
}
