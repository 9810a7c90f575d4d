import { formatPlatform } from '../image/manifest.ts';
import type { ScanReport } from '../scan/types.ts';
import { VERSION } from '../version.ts';
import type { Finding } from '../vulndb/types.ts';
import { ratingSourceName } from './rating-source.ts';
import { hygieneSarif } from './sarif-hygiene.ts';

// an unrated finding is a note, not a warning: nothing says it matters more than a low one
const LEVEL: Record<string, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', none: 'note', unknown: 'note' };
// GitHub code scanning reads rules' properties["security-severity"] (a CVSS-like number as a string);
// a word-only rating gets its band's midpoint, an unknown one none at all (never a made-up 5.0)
const RATING_SCORE: Record<string, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', none: '0.0' };

/** SARIF 2.1.0: one rule per vulnerability id, one result per (platform, package, vulnerability); then
 *  secrets and configuration findings with rules of their own (src/report/sarif-hygiene.ts). */
export function toSarif(report: ScanReport): object {
  const rules = new Map<string, object>();
  const results: object[] = [];
  for (const p of report.platforms) {
    const platform = formatPlatform(p.inventory.platform);
    for (const f of p.findings) {
      if (!rules.has(f.id)) rules.set(f.id, rule(f));
      results.push({
        ruleId: f.id,
        level: LEVEL[f.severity.rating] ?? 'warning',
        message: { text: `${f.package.name} ${f.package.version} is affected by ${f.id}${f.summary ? `: ${f.summary}` : ''}. ${f.guidance}.` },
        locations: [{
          physicalLocation: { artifactLocation: { uri: f.foundIn.replace(/^\/+/, '') } },
          logicalLocations: [{ fullyQualifiedName: `${report.ref}@${p.inventory.manifestDigest} (${platform})`, kind: 'module' }],
        }],
        // what identifies the finding across rebuilds (package, vulnerability, path, platform) — never
        // the image digest or the version, so an alert and its dismissal survive a rebuild
        partialFingerprints: { 'customs/v2': `${platform}:${f.package.type}:${f.package.name}:${f.foundIn}:${f.id}` },
        properties: {
          package: f.package, installedVersion: f.package.version, fixedVersion: f.fixedVersion ?? null, status: f.status,
          severity: f.severity.rating, ...(f.severity.score !== undefined ? { score: f.severity.score } : {}),
          severitySource: ratingSourceName(f.severity), ...(f.severity.vector ? { vector: f.severity.vector } : {}),
          aliases: f.aliases, layer: f.layer ?? null, platform,
          ...(f.epss ? { epss: f.epss } : {}), ...(f.kev ? { kev: f.kev } : {}),
        },
      });
    }
    hygieneSarif(p.hygiene, `${report.ref}@${p.inventory.manifestDigest} (${platform})`, platform, { rules, results });
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'customs', version: VERSION, semanticVersion: VERSION, informationUri: 'https://github.com/customs-scanner/customs', rules: [...rules.values()] } },
      invocations: [{ executionSuccessful: true, startTimeUtc: report.startedAt, endTimeUtc: report.finishedAt,
        toolExecutionNotifications: report.warnings.map((w) => ({ level: 'warning', message: { text: w } })) }],
      // which packages could be judged at all: an empty result over unjudged packages is not "clean"
      properties: { reference: report.ref, rootDigest: report.rootDigest, database: report.dbVersion, coverage: report.platforms.map((p) => ({ platform: formatPlatform(p.inventory.platform), ecosystems: p.coverage ?? [] })) },
      results,
    }],
  };
}

function rule(f: Finding): object {
  const text = f.summary ?? `${f.id} in ${f.package.name}`;
  const score = f.severity.score !== undefined ? f.severity.score.toFixed(1) : RATING_SCORE[f.severity.rating];
  return {
    id: f.id,
    name: f.id.replace(/[^A-Za-z0-9]/g, ''),
    shortDescription: { text },
    fullDescription: { text },
    helpUri: `https://osv.dev/vulnerability/${encodeURIComponent(f.advisories[0] ?? f.id)}`,
    help: { text: `${text}\nAliases: ${f.aliases.join(', ') || 'none'}` },
    properties: {
      ...(score !== undefined ? { 'security-severity': score } : {}),
      tags: ['security', 'vulnerability', f.severity.rating],
    },
  };
}
