// Evaluate one platform of one image against one policy: plain data in, a verdict with reasons a
// human can read out. No I/O: the same function serves a fresh scan, a re-evaluation after a
// database or policy change, and `customs policy test`.
import picomatch from 'picomatch';
import { ecosystemOf, isOsType } from '../ecosystems/index.ts';
import type { ImageInventory, Platform } from '../types.ts';
import type { Finding } from '../vulndb/types.ts';
import { toSpdxExpression } from '../licenses/spdx.ts';
import { fixPlan } from '../report/fix-plan.ts';
import { coverageLines, type EcosystemCoverage } from '../vulndb/coverage.ts';
import { exceptionFor, isExpired, type ActiveException } from './exceptions.ts';
import { SEVERITY_ORDER, type Policy, type PolicyRule } from './schema.ts';

export type VerdictValue = 'pass' | 'warn' | 'fail';

/** End-of-life status of something in the image (filled by the end-of-life check). */
export interface EolStatus {
  kind: 'os' | 'runtime';
  product: string;
  version: string;
  eol: boolean;
  eolDate?: string;
}

/** A verified (or failed) signature, as the signature verifier reports it. */
export interface SignatureStatus {
  /** the policy authority name it satisfied */
  authority: string;
  verified: boolean;
}

export interface PolicySubject {
  registry: string;
  repository: string;
  digest: string;
  platform?: Platform;
  inventory: Pick<ImageInventory, 'config' | 'os' | 'packages' | 'secrets' | 'incomplete'>;
  findings: (Finding & { published?: string; modified?: string })[];
  eol?: EolStatus[];
  /** undefined = signatures were not checked (the signature rule then fails: nothing proves a signer) */
  signatures?: SignatureStatus[];
  dbVersion?: string | null;
  /** which packages could be judged against loaded advisories (undefined: not known, the rule is not applied) */
  coverage?: EcosystemCoverage[];
}

export interface Reason {
  /** the rule type, or incomplete-inventory (spec.incompleteInventory) */
  rule: PolicyRule['type'] | 'incomplete-inventory';
  outcome: 'fail' | 'warn';
  message: string;
  /** the vulnerability ids, package names or paths behind it (capped) */
  subjects: string[];
}

export interface Verdict {
  verdict: VerdictValue;
  reasons: Reason[];
  policy: { name: string; version: number; mode: 'enforce' | 'audit' };
  /** exceptions that removed findings from consideration */
  excepted: { finding: string; package: string; exception: Omit<ActiveException, 'justification'> & { justification: string } }[];
  dbVersion: string | null;
  evaluatedAt: string;
}

const MAX_SUBJECTS = 20;
const DAY = 86_400_000;

export function evaluatePolicy(policy: Policy, version: number, subject: PolicySubject, opts: { now?: Date; extraExceptions?: ActiveException[] } = {}): Verdict {
  const now = opts.now ?? new Date();
  const exceptions: ActiveException[] = [
    ...policy.spec.exceptions.map((e) => ({ ...e, source: `policy:${policy.metadata.name}` })),
    ...(opts.extraExceptions ?? []),
  ];
  const excepted: Verdict['excepted'] = [];
  const findings = subject.findings.filter((f) => {
    const e = exceptionFor(f, subject, exceptions, now);
    if (e) excepted.push({ finding: f.id, package: f.package.name, exception: e });
    return !e;
  });

  const reasons: Reason[] = [];
  // what could not be read cannot be judged: an incomplete inventory never passes silently
  const unread = subject.inventory.incomplete ?? [];
  if (unread.length && policy.spec.incompleteInventory !== 'pass') {
    reasons.push({
      rule: 'incomplete-inventory', outcome: policy.spec.incompleteInventory,
      message: `inventory incomplete, ${unread.length} ${plural(unread.length, 'input', 'inputs')} not analysed: ${unread.slice(0, 3).map((u) => `${u.path} (${u.reason})`).join('; ')}${unread.length > 3 ? '; …' : ''}`,
      subjects: uniq(unread.map((u) => u.path)).slice(0, MAX_SUBJECTS),
    });
  }
  for (const rule of policy.spec.rules) {
    const r = checkRule(rule, subject, findings, now);
    if (r) reasons.push({ rule: rule.type, outcome: rule.outcome, message: r.message, subjects: r.subjects.slice(0, MAX_SUBJECTS) });
  }
  const verdict: VerdictValue = reasons.some((r) => r.outcome === 'fail') ? 'fail' : reasons.length ? 'warn' : 'pass';
  return {
    verdict, reasons,
    policy: { name: policy.metadata.name, version, mode: policy.spec.mode },
    excepted,
    dbVersion: subject.dbVersion ?? null,
    evaluatedAt: now.toISOString(),
  };
}

/** An index fails if any platform fails, warns if any warns. */
export function combineVerdicts(values: VerdictValue[]): VerdictValue {
  return values.includes('fail') ? 'fail' : values.includes('warn') ? 'warn' : 'pass';
}

/** Exceptions that have expired (for reports: "this waiver ran out on ..."). */
export function expiredExceptions(policy: Policy, now = new Date()) {
  return policy.spec.exceptions.filter((e) => isExpired(e, now));
}

type Breach = { message: string; subjects: string[] } | undefined;

function checkRule(rule: PolicyRule, s: PolicySubject, findings: PolicySubject['findings'], now: Date): Breach {
  switch (rule.type) {
    case 'vulnerabilities': {
      const hit = findings.filter((f) => {
        if (rule.onlyFixed && f.fixedVersions.length === 0) return false;
        if (rule.fixedForDays !== undefined) {
          // unknown dates count: a missing date must not silently waive a vulnerability
          const since = Date.parse(f.published ?? f.modified ?? '');
          if (!Number.isNaN(since) && now.getTime() - since < rule.fixedForDays * DAY) return false;
        }
        const overSeverity = rule.maxSeverity !== undefined && (SEVERITY_ORDER[f.severity.rating] ?? 0) > SEVERITY_ORDER[rule.maxSeverity]!;
        const overScore = rule.maxCvss !== undefined && f.severity.score !== undefined && f.severity.score > rule.maxCvss;
        return overSeverity || overScore;
      });
      if (!hit.length) return undefined;
      hit.sort((a, b) => (SEVERITY_ORDER[b.severity.rating] ?? 0) - (SEVERITY_ORDER[a.severity.rating] ?? 0) || (b.severity.score ?? 0) - (a.severity.score ?? 0));
      const limit = [rule.maxSeverity && `above ${rule.maxSeverity}`, rule.maxCvss !== undefined && `CVSS above ${rule.maxCvss}`].filter(Boolean).join(' or ');
      const top = hit.slice(0, 3).map(describeFinding).join(', ');
      // the one upgrade that removes the most of what this rule objects to
      const first = fixPlan(hit, { count: undefined, how: '' }).upgrades[0];
      const fix = first ? `; fix first: upgrade ${first.package.name} to ${first.upgradeTo} (removes ${first.fixes})` : '';
      return { message: `${hit.length} ${plural(hit.length, 'vulnerability', 'vulnerabilities')} ${limit}${rule.onlyFixed ? ' with a fix' : ''}: ${top}${hit.length > 3 ? ', …' : ''}${fix}`, subjects: uniq(hit.map((f) => f.id)) };
    }
    case 'kev': {
      const hit = findings.filter((f) => f.kev);
      return hit.length ? { message: `${hit.length} known exploited (CISA KEV): ${hit.slice(0, 3).map((f) => `${f.id} in ${f.package.name}`).join(', ')}`, subjects: uniq(hit.map((f) => f.id)) } : undefined;
    }
    case 'epss': {
      const hit = findings.filter((f) => f.epss && f.epss.score > rule.above);
      return hit.length ? { message: `${hit.length} with EPSS above ${rule.above}: ${hit.slice(0, 3).map((f) => `${f.id} (${f.epss!.score.toFixed(3)})`).join(', ')}`, subjects: uniq(hit.map((f) => f.id)) } : undefined;
    }
    case 'secrets': {
      const hit = (s.inventory.secrets ?? []).filter((x) => (SEVERITY_ORDER[x.severity] ?? 0) >= SEVERITY_ORDER[rule.minSeverity]!);
      return hit.length ? { message: `${hit.length} ${plural(hit.length, 'secret', 'secrets')} in the image: ${hit.slice(0, 3).map((x) => `${x.title} in ${x.path}${x.visible ? '' : ' (deleted later, still in a layer)'}`).join(', ')}`, subjects: uniq(hit.map((x) => x.path)) } : undefined;
    }
    case 'root-user': {
      const user = (s.inventory.config.user ?? '').trim();
      return isRoot(user) ? { message: user ? `runs as root (User "${user}")` : 'runs as root (no User set)', subjects: [] } : undefined;
    }
    case 'eol-os': {
      const os = (s.eol ?? []).find((e) => e.kind === 'os' && e.eol);
      return os ? { message: `end-of-life OS: ${os.product} ${os.version}${os.eolDate ? ` (since ${os.eolDate})` : ''}`, subjects: [`${os.product} ${os.version}`] } : undefined;
    }
    case 'deny-packages': {
      const tests = rule.packages.map(packageTest);
      const hit = s.inventory.packages.filter((p) => tests.some((t) => t(p)));
      return hit.length ? { message: `denied ${plural(hit.length, 'package', 'packages')}: ${uniq(hit.map((p) => `${p.name} ${p.version}`)).slice(0, 5).join(', ')}`, subjects: uniq(hit.map((p) => p.name)) } : undefined;
    }
    case 'deny-vulnerabilities': {
      const deny = new Set(rule.ids.map((x) => x.toUpperCase()));
      const hit = findings.filter((f) => [f.id, ...f.aliases].some((x) => deny.has(x.toUpperCase())));
      return hit.length ? { message: `denied ${plural(hit.length, 'vulnerability', 'vulnerabilities')}: ${uniq(hit.map((f) => `${f.id} in ${f.package.name}`)).slice(0, 5).join(', ')}`, subjects: uniq(hit.map((f) => f.id)) } : undefined;
    }
    case 'deny-licenses': {
      // both sides normalised to SPDX where possible: a deb's "GPL-2+" is denied by "GPL-2.0-or-later"
      const deny = new Set(rule.licenses.flatMap((x) => [x, toSpdxExpression(x) ?? x]).map((x) => x.toLowerCase()));
      const hit = s.inventory.packages.filter((p) => p.license && [...licenseIds(p.license), ...licenseIds(toSpdxExpression(p.license) ?? '')].some((id) => deny.has(id.toLowerCase())));
      return hit.length ? { message: `denied ${plural(hit.length, 'license', 'licenses')}: ${uniq(hit.map((p) => `${p.name} (${p.license})`)).slice(0, 5).join(', ')}`, subjects: uniq(hit.map((p) => p.name)) } : undefined;
    }
    case 'image-age': {
      const created = Date.parse(s.inventory.config.created ?? '');
      if (Number.isNaN(created)) return { message: 'image has no creation date', subjects: [] };
      const days = Math.floor((now.getTime() - created) / DAY);
      return days > rule.maxDays ? { message: `image built ${days} days ago (more than ${rule.maxDays})`, subjects: [] } : undefined;
    }
    case 'advisory-coverage': {
      if (!s.coverage) return undefined;
      const gaps = s.coverage.filter((c) => c.judged < c.packages && (rule.require === 'all' || isOsType(c.packageType)));
      if (!gaps.length) return undefined;
      const n = gaps.reduce((k, c) => k + c.packages - c.judged, 0);
      return { message: `${n} ${plural(n, 'package', 'packages')} not judged: ${coverageLines(gaps).slice(0, 3).join('; ')}`, subjects: gaps.map((c) => c.ecosystem) };
    }
    case 'signature': {
      const ok = new Set((s.signatures ?? []).filter((x) => x.verified).map((x) => x.authority));
      const need = rule.threshold ?? rule.authorities.length;
      const matched = rule.authorities.filter((a) => ok.has(a.name));
      if (matched.length >= need) return undefined;
      const missing = rule.authorities.filter((a) => !ok.has(a.name)).map((a) => a.name);
      return { message: s.signatures === undefined ? 'signatures not verified' : `signed by ${matched.length} of the ${need} required authorities; missing: ${missing.join(', ')}`, subjects: missing };
    }
  }
}

function describeFinding(f: Finding): string {
  const sev = f.severity.score !== undefined ? `${f.severity.rating} ${f.severity.score}` : f.severity.rating;
  return `${f.id} (${sev}) in ${f.package.name} ${f.package.version}`;
}

function isRoot(user: string): boolean {
  if (!user) return true;
  const u = user.split(':')[0]!;
  return u === 'root' || u === '0';
}

/** "openssl", "npm:event-stream", "log4j-core@2.1*" → package predicate */
function packageTest(spec: string): (p: { type: string; name: string; version: string }) => boolean {
  const at = spec.lastIndexOf('@');
  let head = at > 0 ? spec.slice(0, at) : spec;
  const versionGlob = at > 0 ? spec.slice(at + 1) : undefined;
  let type: string | undefined;
  const colon = head.indexOf(':');
  if (colon > 0 && /^[a-z]+$/.test(head.slice(0, colon)) && head.slice(0, colon) !== head) {
    const t = head.slice(0, colon);
    if (ecosystemOf(t)) { type = t; head = head.slice(colon + 1); }
  }
  const nameMatch = picomatch(head, { dot: true });
  const versionMatch = versionGlob ? picomatch(versionGlob, { dot: true }) : undefined;
  return (p) => (!type || p.type === type) && nameMatch(p.name) && (!versionMatch || versionMatch(p.version));
}

/** SPDX ids in a license expression or free text: "MIT OR (GPL-2.0-only WITH Classpath-exception-2.0)" */
export function licenseIds(expr: string): string[] {
  return expr.split(/[\s(),/;]+|\bAND\b|\bOR\b|\bWITH\b/).map((x) => x.trim()).filter((x) => x && !/^(AND|OR|WITH|and|or)$/.test(x));
}

function plural(n: number, one: string, many: string): string { return n === 1 ? one : many; }
function uniq<T>(xs: T[]): T[] { return [...new Set(xs)]; }
