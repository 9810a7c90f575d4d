// What the scan report carries beyond vulnerabilities, for one platform: configuration/hygiene
// findings, end-of-life findings and located secrets (already in the inventory; sorted here).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/schema.ts';
import { eolFindings } from '../eol/check.ts';
import { loadEolData, type EolData } from '../eol/data.ts';
import type { ImageInventory } from '../types.ts';
import { runHygieneChecks } from '../hygiene/checks.ts';
import type { HygieneReport, Severity } from '../hygiene/types.ts';

export const SEVERITY_RANK: Record<Severity, number> = { low: 1, medium: 2, high: 3, critical: 4 };

/** The end-of-life data a configuration points at: eol.file, else <dataDir>/eol.json, else the shipped snapshot. */
export function eolDataFor(cfg: Pick<Config, 'eol' | 'dataDir'>): EolData {
  const file = cfg.eol.file ?? join(cfg.dataDir, 'eol.json');
  return loadEolData(existsSync(file) ? file : undefined);
}

export function hygieneReport(inv: ImageInventory, cfg: Pick<Config, 'hygiene' | 'eol' | 'dataDir'>, opts: { now?: Date; eolData?: EolData } = {}): HygieneReport {
  const now = opts.now ?? new Date();
  const bySeverity = <T extends { severity: Severity }>(xs: T[]) => [...xs].sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity]);
  return {
    config: bySeverity(runHygieneChecks(inv, cfg.hygiene, now)),
    eol: eolFindings(inv, opts.eolData ?? eolDataFor(cfg), { now, warnDays: cfg.eol.warnDays }),
    secrets: bySeverity(inv.secrets ?? []),
  };
}
