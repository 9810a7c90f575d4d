// What a Red Hat-family advisory is, read from its id: RHSA/ALSA/RLSA are security advisories, the
// BA/EA kinds (RHBA, RHEA, ALBA, ALEA, RLBA, RLEA; Oracle's ELBA/ELEA) bug-fix and enhancement
// updates. Those fix no vulnerability, and the few that name a CVE name one an earlier security
// advisory fixed (ALBA-2021:4604 "proxy rewrite to unix socket fails with CVE-2021-40438 fix"), so
// they are not findings unless asked for (`vulndb.includeNonSecurityAdvisories`).
import type { OsvAdvisory } from './osv.ts';

const FAMILY = /^(RH|AL|RL|EL)([SBE])A-/;

/** Whether an advisory id is a bug-fix or enhancement advisory of a Red Hat-family distribution. */
export function isNonSecurityAdvisory(id: string): boolean {
  const kind = FAMILY.exec(id)?.[2];
  return kind === 'B' || kind === 'E';
}

const CVE = /^CVE-\d{4}-\d+$/;

/**
 * The upstream vulnerabilities of an advisory: its `upstream` ids, and for Red Hat-family records
 * the CVEs listed as `related` too — AlmaLinux writes the CVEs an ALSA fixes there (Red Hat and
 * Rocky use `upstream`), and without them CVE-based VEX, exceptions, EPSS and KEV never reach it.
 * Other feeds' `related` means "see also" (Ubuntu lists USNs there) and is left out.
 */
export function upstreamOf(adv: Pick<OsvAdvisory, 'id' | 'upstream' | 'related'>): string[] {
  const ids = [...(adv.upstream ?? [])];
  if (FAMILY.test(adv.id)) for (const r of adv.related ?? []) if (CVE.test(r) && !ids.includes(r)) ids.push(r);
  return ids;
}
