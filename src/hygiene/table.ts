// The hygiene section of `customs scan` (table format): secrets, end of life, configuration.
import { renderTable } from '../util/table.ts';
import type { HygieneReport } from './types.ts';

export function hygieneTable(h: HygieneReport): string {
  const parts: string[] = [];
  if (h.secrets.length) {
    parts.push(`secrets: ${h.secrets.length}\n` + renderTable(['RULE', 'SEVERITY', 'WHERE', 'LINE', 'LAYER', 'VALUE', 'FINGERPRINT'], h.secrets.map((s) => [
      s.rule, s.severity, s.path + (s.visible ? '' : ' (deleted later, still in the layer)'), s.line !== undefined ? String(s.line) : '',
      s.layerIndex !== undefined ? String(s.layerIndex) : '', s.masked, s.fingerprint.slice(7, 23),
    ])));
  }
  if (h.eol.length) {
    parts.push(`end of life: ${h.eol.length}\n` + renderTable(['PRODUCT', 'VERSION', 'STATUS', 'EOL', 'SEVERITY', 'NEXT SUPPORTED', 'FOUND IN'], h.eol.map((e) => [
      e.product, `${e.cycle} (${e.version})`, e.status + (e.extendedSupportUntil && e.status === 'extended-support' ? ` until ${e.extendedSupportUntil}` : ''),
      e.eolDate ?? 'yes', e.severity, e.nextSupported ? `${e.nextSupported.cycle}${e.nextSupported.eolDate ? ` (until ${e.nextSupported.eolDate})` : ''}` : '', e.foundIn,
    ])));
  }
  if (h.config.length) {
    parts.push(`configuration: ${h.config.length}\n` + renderTable(['CHECK', 'SEVERITY', 'DETAIL', 'FIX'], h.config.map((c) => [
      c.id, c.severity, (c.detail ?? '').split('\n')[0]!.slice(0, 80) + (c.paths?.length ? ` [${c.paths.slice(0, 3).join(', ')}${c.paths.length > 3 ? ', …' : ''}]` : ''), c.fix,
    ])));
  }
  return parts.join('\n');
}
