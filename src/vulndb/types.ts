import type { PackageType } from '../types.ts';

export type Rating = 'unknown' | 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface Severity {
  /** CVSS base score when computed from a vector */
  score?: number;
  rating: Rating;
  /** the CVSS vector the score came from */
  vector?: string;
  /** OSV severity type (CVSS_V3, CVSS_V4, CVSS_V2, Ubuntu) or the field name of a severity word */
  type?: string;
  /** where it came from: osv-cvss-v3, osv-affected-cvss-v4, database_specific.severity, none… */
  source: string;
  /** the vendor's word when the rating came from one (e.g. "MODERATE") */
  label?: string;
}

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
  severity: Severity;
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
  severity: Severity;
  modified: string;
  published?: string;
  /** OSV affected[] entries as JSON */
  affected: import('./osv.ts').OsvAffected[];
}

export interface ImportResult {
  importId: number;
  sources: string[];
  imported: number;
  withdrawn: number;
  skipped: number;
  duplicates: number;
  skipReasons: Record<string, number>;
  ecosystems: Record<string, number>;
  maxModified?: string;
  ms: number;
}

export interface DbStatus {
  /** undefined when no import has completed */
  importId?: number;
  sources: string[];
  advisories: number;
  ecosystems: Record<string, number>;
  /** when the current import finished (ISO) */
  updatedAt?: string;
  maxModified?: string;
  /** recorded with each scan: "osv-<importId>-<maxModified>" */
  version?: string;
}
