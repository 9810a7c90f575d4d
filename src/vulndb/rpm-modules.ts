// RHEL-family module streams (AppStream modularity, EL 8 and later). dnf only offers a modular
// package the advisories of its enabled stream, and Trivy keys such packages by "name:stream::pkg"
// so nothing else reaches them; Customs applies the same rule to OSV records.
//
// OSV carries module streams in two ways, both read here (checked against published records):
//   - a purl qualifier `rpmmod=name:stream[:version:context]` on the affected package (Rocky Linux's
//     apollo export, Red Hat's own purls);
//   - otherwise only the advisory's title: AlmaLinux ("Important: nodejs:10 security update"),
//     Red Hat in OSV's bucket ("Important: nodejs:22 security update") and older Rocky records name
//     the streams there, while the entry's versions say whether it is modular at all
//     (`….module_el8.3.0+2047+b07ac28e`, `….module+el9.8.0+24958+80b2ac6e`).
import type { PackageRecord } from '../types.ts';
import type { OsvAffected } from './osv.ts';

/** A package's stream: "name:stream", `unknown` for a modular build without a label (some early
 *  AlmaLinux builds), undefined for a package that is not modular. */
export type PackageStream = string | { unknown: true } | undefined;

const MODULAR_RELEASE = /\.module[_+]el\d/;

export function packageStream(p: PackageRecord): PackageStream {
  if (p.type !== 'rpm') return undefined;
  const label = p.modularityLabel?.split(':');
  if (label && label.length >= 2 && label[0] && label[1]) return `${label[0]}:${label[1]}`;
  return p.release && MODULAR_RELEASE.test(p.release) ? { unknown: true } : undefined;
}

/** "name:stream" of an affected entry's purl (`rpmmod=` qualifier), if it has one. */
function purlStream(aff: OsvAffected): string | undefined {
  const purl = aff.package?.purl;
  const q = purl?.indexOf('?');
  if (!purl || q === undefined || q < 0) return undefined;
  const mod = new URLSearchParams(purl.slice(q + 1)).get('rpmmod');
  const parts = mod?.split(':');
  return parts && parts.length >= 2 && parts[0] && parts[1] ? `${parts[0]}:${parts[1]}` : undefined;
}

const IMPACT = /^\s*(low|moderate|important|critical|none)\s*:\s*/i;
// "nodejs:10", "virt-devel:rhel", "perl-IO-Socket-SSL:2.066", "python39:3.9"; not part of a longer word
const STREAM_TOKEN = /(?<![\w.+-])([A-Za-z0-9][\w.+-]*):([\w.+-]+)/g;

/** The "name:stream" tokens of an advisory title, the impact prefix left out ("Important: …"). */
export function summaryStreams(summary: string | undefined): string[] {
  if (!summary) return [];
  const body = summary.replace(IMPACT, '');
  return [...body.matchAll(STREAM_TOKEN)].map((m) => `${m[1]}:${m[2]}`);
}

/** Whether an entry's versions are modular builds. */
function entryIsModular(aff: OsvAffected): boolean {
  if (aff.versions?.some((v) => MODULAR_RELEASE.test(v))) return true;
  return (aff.ranges ?? []).some((r) => r.events.some((e) => MODULAR_RELEASE.test(e.fixed ?? e.introduced ?? e.last_affected ?? '')));
}

/**
 * Whether an affected entry speaks of a package in this stream: a modular package only by entries
 * of its own stream, a non-modular package only by non-modular entries (the nodejs of AlmaLinux 9's
 * BaseOS is not judged by nodejs:20's advisories, nor nodejs:10 by nodejs:20's). When the advisory
 * names no stream, or the package's label is missing, any modular entry is taken: a finding too
 * many rather than silence.
 */
export function entryFitsStream(aff: OsvAffected, summary: string | undefined, stream: PackageStream): boolean {
  const own = purlStream(aff);
  const modular = own !== undefined || entryIsModular(aff);
  if (stream === undefined) return !modular;
  if (!modular) return false;
  if (typeof stream !== 'string') return true;
  if (own) return own === stream;
  const named = summaryStreams(summary);
  return named.length === 0 || named.includes(stream);
}
