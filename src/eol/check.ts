// Check the OS release and the runtimes found against end-of-life data.
import type { ImageInventory, OsInfo, SecretHit } from '../types.ts';
import type { EolCycle, EolData } from './data.ts';
import { detectRuntimes } from './runtimes.ts';

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
  severity: SecretHit['severity'];
  /** the newest cycle still supported, when one is known */
  nextSupported?: { cycle: string; eolDate: string | null };
}

const DAY_MS = 86_400_000;

/** os-release ID → endoflife.date product */
export const OS_PRODUCTS: Record<string, string> = {
  debian: 'debian', ubuntu: 'ubuntu', alpine: 'alpine', rhel: 'rhel', rocky: 'rocky-linux', almalinux: 'almalinux',
  amzn: 'amazon-linux', sles: 'sles', sled: 'sles', fedora: 'fedora', mariner: 'azure-linux', azurelinux: 'azure-linux',
};

/** The cycle a version belongs to: equal, or a prefix at a "." boundary; the longest wins. */
export function findCycle(cycles: EolCycle[], version: string): EolCycle | undefined {
  let best: EolCycle | undefined;
  for (const c of cycles) {
    if ((version === c.cycle || version.startsWith(c.cycle + '.')) && (!best || c.cycle.length > best.cycle.length)) best = c;
  }
  return best;
}

function asDate(v: string | boolean | undefined): number | undefined {
  return typeof v === 'string' ? Date.parse(v) : undefined;
}

function supported(c: EolCycle, now: number): boolean {
  if (c.eol === false) return true;
  const d = asDate(c.eol);
  return d !== undefined && d > now;
}

/** The oldest still-supported cycle released after `cur` (the smallest upgrade that helps). */
function nextSupported(cycles: EolCycle[], cur: EolCycle, now: number): EolFinding['nextSupported'] {
  const after = Date.parse(cur.releaseDate ?? '') || 0;
  const cands = cycles.filter((c) => c !== cur && supported(c, now) && (Date.parse(c.releaseDate ?? '') || 0) > after)
    .sort((a, b) => (Date.parse(a.releaseDate ?? '') || 0) - (Date.parse(b.releaseDate ?? '') || 0));
  const n = cands[0];
  return n ? { cycle: n.cycle, eolDate: typeof n.eol === 'string' ? n.eol.slice(0, 10) : null } : undefined;
}

function judge(product: string, kind: EolFinding['kind'], version: string, foundIn: string, data: EolData, now: number, warnDays: number): EolFinding | null {
  const cycles = data.products[product];
  if (!cycles) return null;
  const cur = findCycle(cycles, version);
  if (!cur) return null;
  const eol = asDate(cur.eol);
  const ext = asDate(cur.extendedSupport);
  let status: EolFinding['status'];
  if (cur.eol === true || (eol !== undefined && eol <= now)) status = ext !== undefined && ext > now ? 'extended-support' : 'end-of-life';
  else if (eol !== undefined && eol - now <= warnDays * DAY_MS) status = 'approaching';
  else return null;
  const severity = status === 'end-of-life' ? (kind === 'os' ? 'high' : 'medium') : 'low';
  const next = nextSupported(cycles, cur, now);
  return {
    product, kind, cycle: cur.cycle, version, foundIn,
    eolDate: typeof cur.eol === 'string' ? cur.eol.slice(0, 10) : null,
    ...(typeof cur.extendedSupport === 'string' ? { extendedSupportUntil: cur.extendedSupport.slice(0, 10) } : {}),
    status, severity,
    ...(next ? { nextSupported: next } : {}),
  };
}

function osVersion(os: OsInfo): string | undefined {
  return os.versionId;
}

export function eolFindings(inv: ImageInventory, data: EolData, opts: { now?: Date; warnDays: number }): EolFinding[] {
  const now = (opts.now ?? new Date()).getTime();
  const out: EolFinding[] = [];
  const os = inv.os;
  const product = os ? OS_PRODUCTS[os.id] : undefined;
  const version = os ? osVersion(os) : undefined;
  if (os && product && version) {
    const f = judge(product, 'os', version, os.foundIn, data, now, opts.warnDays);
    if (f) out.push(f);
  }
  for (const r of detectRuntimes(inv.packages, inv.config.env)) {
    const f = judge(r.product, 'runtime', r.version, r.foundIn, data, now, opts.warnDays);
    if (f) out.push(f);
  }
  return out;
}
