// Scanning: one entry point for the CLI and the service.
export { scanImage, EMPTY_DB_WARNING, type ScanDeps } from './scan-image.ts';
export type { ScanReport, PlatformReport, DbVersion } from './types.ts';
