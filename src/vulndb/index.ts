// Vulnerability data (OSV) and matching: one import for the CLI/server to wire.
export { VulnStore, dbStatus, type ImportOptions } from './store.ts';
export { matchInventory, matchPackage, matchAdvisories, inRange, compareIds, saysWontFix, type PackageMatch } from './match.ts';
export { cvssBaseScore, severityOf, ratingOf, ratingOfWord, maxSeverity } from './severity.ts';
export { parseOsv, validateOsv, ecosystemBase, normalizePackageName, type OsvAdvisory, type OsvAffected } from './osv.ts';
export type { Finding, FindingStatus, Epss, Kev, Severity, Rating, StoredAdvisory, ImportResult, DbStatus } from './types.ts';
export { updateVulnDb, type UpdateResult, type FeedOutcome, type UpdateOptions } from './update.ts';
export { startVulnDbRefresh, type RefreshOptions } from './refresh.ts';
export { importEnrichment, enrichFindings, parseEpss, parseKev } from './enrichment.ts';
