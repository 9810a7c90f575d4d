import { z } from 'zod';

// Vulnerability data feeds (`customs db update`, the service's scheduled refresh). Mounted under
// the top-level `vulndb` key of configSchema.

const OSV_BUCKET = 'https://osv-vulnerabilities.storage.googleapis.com';
/** OSV ecosystems Customs inventories (bucket folder names as in OSV's ecosystems.txt). */
export const DEFAULT_OSV_ECOSYSTEMS = [
  'Debian', 'Ubuntu', 'Alpine', 'Wolfi', 'Chainguard', 'Rocky Linux', 'AlmaLinux', 'Red Hat', 'SUSE', 'openSUSE',
  'npm', 'PyPI', 'Go', 'Maven', 'crates.io', 'RubyGems', 'Packagist', 'NuGet',
];
export const DEFAULT_OSV_SOURCES = DEFAULT_OSV_ECOSYSTEMS.map((e) => `${OSV_BUCKET}/${encodeURIComponent(e)}/all.zip`);
export const DEFAULT_EPSS_URL = 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz';
export const DEFAULT_KEV_URL = 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json';

const DEFAULTS = {
  sources: DEFAULT_OSV_SOURCES,
  epss: DEFAULT_EPSS_URL,
  kev: DEFAULT_KEV_URL,
  refreshIntervalMs: 6 * 3600_000,
  maxDownloadBytes: 4 * 1024 * 1024 * 1024,
  includeNonSecurityAdvisories: false,
};

export const vulndbSchema = z.object({
  /** OSV sources: http(s) URLs of all.zip files, or local paths (zip, directory, JSON file) */
  sources: z.array(z.string().min(1)).default(DEFAULTS.sources),
  /** EPSS scores (FIRST CSV, optionally gzip-compressed), URL or path; "" disables */
  epss: z.string().default(DEFAULTS.epss),
  /** CISA KEV catalog (JSON), URL or path; "" disables */
  kev: z.string().default(DEFAULTS.kev),
  /** how often `customs serve` runs the update */
  refreshIntervalMs: z.number().int().min(60_000).default(DEFAULTS.refreshIntervalMs),
  /** largest download accepted from one feed */
  maxDownloadBytes: z.number().int().min(1024).default(DEFAULTS.maxDownloadBytes),
  /** report Red Hat-family bug-fix and enhancement advisories (RHBA/RHEA, ALBA/ALEA, RLBA/RLEA) as
   *  findings too; by default only security advisories are (`customs scan --include-non-security`) */
  includeNonSecurityAdvisories: z.boolean().default(DEFAULTS.includeNonSecurityAdvisories),
}).strict().default(DEFAULTS);

export type VulnDbConfig = z.infer<typeof vulndbSchema>;
