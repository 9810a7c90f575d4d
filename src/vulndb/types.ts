import type { PackageType } from '../types.ts';

export type Rating = 'unknown' | 'none' | 'low' | 'medium' | 'high' | 'critical';

/**
 * Which kind of source rated a finding, in the order they are asked (see src/vulndb/rate.ts):
 * vendor — the distribution's own record (OS packages); advisory — the matched language advisory's
 * own data (a GHSA or PYSEC record's CVSS); nvd — NVD's Primary score; ghsa — a GitHub advisory
 * joined by GHSA id or CVE alias; nvd-secondary — a CNA / CISA-ADP score as NVD carries it;
 * cve5-cna / cve5-adp — the CVE Program's record; none — no loaded source knows.
 */
export type RatingSource = 'vendor' | 'advisory' | 'nvd' | 'ghsa' | 'nvd-secondary' | 'cve5-cna' | 'cve5-adp' | 'none';

export interface Severity {
  /** CVSS base score when computed from a vector */
  score?: number;
  rating: Rating;
  /** the CVSS vector the score came from */
  vector?: string;
  /** CVSS_V2 / CVSS_V3 / CVSS_V4, or the field of a severity word (summary, urgency, ubuntu_priority…) */
  type?: string;
  /** the kind of source (a RatingSource; older stored scans may hold other strings) */
  source: RatingSource | string;
  /** who gave the rating: "AlmaLinux", "Ubuntu", "Debian", "nvd@nist.gov", "CISA-ADP", "GitHub", a CNA… */
  provider?: string;
  /** the record the rating was read from (ALSA-2024:8680, CVE-2023-39325, GHSA-…) */
  record?: string;
  /** the vendor's word when the rating came from one (e.g. "MODERATE", "Important") */
  label?: string;
}

/** A record's own rating, kept in two parts so matching can order them by ecosystem (vendor words
 *  first for distributions, CVSS first for language advisories). */
export interface RecordRating { cvss?: Severity; word?: Severity }

/** fixed-available: a fixed version exists; no-fix: none yet; will-not-fix: the distribution says none will come. */
export type FindingStatus = 'fixed-available' | 'no-fix' | 'will-not-fix';

/** EPSS (FIRST) exploit prediction for the finding's CVE. */
export interface Epss { cve: string; score: number; percentile: number; date?: string }
/** CISA Known Exploited Vulnerabilities catalog entry. */
export interface Kev { cve: string; dateAdded: string; dueDate?: string; knownRansomwareCampaignUse?: string; vendorProject?: string; product?: string; vulnerabilityName?: string; requiredAction?: string }

/** One vulnerability of one package (several aliasing advisories merged into one). */
export interface Finding {
  /** primary id: the lowest CVE among the merged ids, else GHSA, else the advisory's own id */
  id: string;
  /** every other id of the merged advisories and their aliases, sorted */
  aliases: string[];
  /** the OSV records that matched (ids as stored) */
  advisories: string[];
  package: {
    name: string;
    version: string;
    type: PackageType | string;
    /** source package / origin, for OS packages */
    sourceName?: string;
    sourceVersion?: string;
    purl?: string;
  };
  /** OSV ecosystem matched, e.g. "Debian:12", "Go" */
  ecosystem: string;
  /** the name and version compared with the advisory (source name and version for deb) */
  matchedName: string;
  matchedVersion: string;
  /** versions that fix it (fixed events above the installed version in the matching ranges); empty when unfixed */
  fixedVersions: string[];
  /** the lowest fixed version above the installed one */
  fixedVersion?: string;
  status: FindingStatus;
  /** what to do: "upgrade libssl3 (source openssl) to 3.0.9-1", "no fix yet" */
  guidance: string;
  /** enrichment, when the EPSS / KEV feeds were imported and list one of the finding's CVEs */
  epss?: Epss;
  kev?: Kev;
  /** the rating used (filters, --fail-on, policy): the first source in precedence order that knows */
  severity: Severity;
  /** every rating a loaded source gives, in precedence order (the first is `severity`); absent when none */
  ratings?: Severity[];
  summary?: string;
  /** digest and index of the layer that added the package */
  layer?: string;
  layerIndex?: number;
  foundIn: string;
}

/** An advisory as stored: the fields matching and reports need. */
export interface StoredAdvisory {
  id: string;
  aliases: string[];
  upstream: string[];
  summary?: string;
  /** the record's own rating (CVSS vectors, vendor words); per affected entry data is read at match time */
  rating: RecordRating;
  modified: string;
  published?: string;
  /** OSV affected[] entries as JSON */
  affected: import('./osv.ts').OsvAffected[];
}

export interface ImportResult {
  /** the database generation after the switch (what versions are made of) */
  importId: number;
  /** the sources written (canonical names) */
  sources: string[];
  /** per source: advisories, severity records and ecosystems */
  perSource: SourceImport[];
  imported: number;
  /** severity records (NVD, CVE 5, GHSA ratings) */
  severities: number;
  withdrawn: number;
  skipped: number;
  duplicates: number;
  skipReasons: Record<string, number>;
  ecosystems: Record<string, number>;
  maxModified?: string;
  ms: number;
}

export interface SourceImport {
  name: string;
  importId: number;
  advisories: number;
  severities: number;
  /** severity records per kind: nvd, nvd-secondary, ghsa, cve5-cna, cve5-adp */
  severityKinds: Record<string, number>;
  ecosystems: Record<string, number>;
  maxModified?: string;
}

/** One source as `db status` lists it: what its current import holds, and since when. */
export interface SourceStatus extends SourceImport {
  /** when its current data was imported (ISO) */
  updatedAt: string;
  /** whole seconds since then */
  ageSeconds: number;
}

export interface DbStatus {
  /** the database generation: the last import or removal switched in; undefined when nothing is loaded */
  importId?: number;
  /** source names */
  sources: string[];
  /** per source: advisories, severity records, ecosystems and age */
  sourceDetails?: SourceStatus[];
  severities?: number;
  advisories: number;
  ecosystems: Record<string, number>;
  /** when the current import finished (ISO) */
  updatedAt?: string;
  maxModified?: string;
  /** recorded with each scan: "osv-<generation>-<maxModified>"; changes whenever any source changes */
  version?: string;
}
