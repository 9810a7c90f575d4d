// SARIF results for what is not a vulnerability: leaked secrets and image configuration findings,
// each kind with rules of its own, so code-scanning users see them next to the CVEs. A secret's
// value never appears: the message and properties carry its masked form and fingerprint only.
import type { ConfigFinding, HygieneReport } from '../hygiene/types.ts';
import type { LocatedSecret } from '../types.ts';

const LEVEL: Record<string, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };
const SCORE: Record<string, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0' };

export interface SarifParts { rules: Map<string, object>; results: object[] }

/** A file path as a SARIF location (with its line); config and history entries are logical locations. */
function location(path: string, image: string, line?: number): object {
  if (!path.startsWith('/')) return { logicalLocations: [{ fullyQualifiedName: `${image} ${path}`, kind: 'resource' }] };
  return {
    physicalLocation: { artifactLocation: { uri: encodeURI(path.replace(/^\/+/, '')) }, ...(line ? { region: { startLine: line } } : {}) },
    logicalLocations: [{ fullyQualifiedName: image, kind: 'module' }],
  };
}

function hygieneRule(id: string, title: string, severity: string, tag: string, help: string): object {
  return {
    id, name: id.replace(/[^A-Za-z0-9]/g, ''),
    shortDescription: { text: title }, fullDescription: { text: title }, help: { text: help },
    properties: { 'security-severity': SCORE[severity] ?? '5.5', tags: ['security', tag, severity] },
  };
}

function secretResult(s: LocatedSecret, image: string, platform: string): object {
  const where = s.visible ? '' : ' (deleted by a later layer; still in the image)';
  return {
    ruleId: `secret/${s.rule}`,
    level: LEVEL[s.severity] ?? 'warning',
    message: { text: `${s.title}: ${s.masked} in ${s.path}${s.line ? `:${s.line}` : ''}${where}. Revoke it, then remove it from every layer.` },
    locations: [location(s.path, image, s.line)],
    // the same leak at the same place is one alert across rebuilds; the fingerprint is of the value
    partialFingerprints: { 'customs-secret/v1': `${platform}:${s.rule}:${s.path}:${s.fingerprint}` },
    properties: { masked: s.masked, fingerprint: s.fingerprint, severity: s.severity, layer: s.layer ?? null, layerIndex: s.layerIndex ?? null, visible: s.visible, platform },
  };
}

function configResult(c: ConfigFinding, image: string, platform: string): object {
  return {
    ruleId: `config/${c.id}`,
    level: LEVEL[c.severity] ?? 'warning',
    message: { text: `${c.title}${c.detail ? ` (${c.detail})` : ''}. ${c.fix}` },
    locations: [location(c.paths?.[0] ?? 'config', image)],
    partialFingerprints: { 'customs-config/v1': `${platform}:${c.id}` },
    properties: { severity: c.severity, paths: c.paths ?? [], platform },
  };
}

/** Rules and results of one platform's secrets and configuration findings. */
export function hygieneSarif(h: HygieneReport | undefined, image: string, platform: string, into: SarifParts): void {
  for (const s of h?.secrets ?? []) {
    const id = `secret/${s.rule}`;
    if (!into.rules.has(id)) into.rules.set(id, hygieneRule(id, s.title, s.severity, 'secret', 'A credential is readable by anyone who can pull the image. Revoke or rotate it first; deleting the file in a later layer does not remove it from the image.'));
    into.results.push(secretResult(s, image, platform));
  }
  for (const c of h?.config ?? []) {
    const id = `config/${c.id}`;
    if (!into.rules.has(id)) into.rules.set(id, hygieneRule(id, c.title, c.severity, 'configuration', c.fix));
    into.results.push(configResult(c, image, platform));
  }
}
