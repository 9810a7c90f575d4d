// Source readers: a source path (directory, JSON/YAML file, zip, gzip JSON) read document by
// document and turned into records: OSV advisories (validated), severity records (NVD CVE API 2.0,
// CVE JSON 5), and what was skipped or withdrawn. No database here: the import (import.ts) decides
// which records win and writes them.
import { log } from '../log.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { documents, parseYamlSafe, type DocumentLimits } from './documents.ts';
import { validateOsv, type OsvAdvisory } from './osv.ts';
import { cve5Record, docKind, nvdCve, type Parsed, type SeverityRecord } from './severity-records.ts';

/** One record read from a source, in the order the source holds them. */
export type SourceRecord =
  | { type: 'advisory'; adv: OsvAdvisory }
  | { type: 'severity'; records: SeverityRecord[] }
  | { type: 'withdrawn' }
  | { type: 'skipped'; reason: string };

function fromParsed(p: Parsed): SourceRecord {
  if ('error' in p) return { type: 'skipped', reason: p.error };
  if (p.withdrawn) return { type: 'withdrawn' };
  return { type: 'severity', records: p.records };
}

/** The records one parsed document (or one element of a document array) holds. */
function* recordsOf(value: unknown, what: string): Generator<SourceRecord> {
  switch (docKind(value)) {
    case 'nvd-response':
      for (const v of (value as { vulnerabilities: unknown[] }).vulnerabilities) yield fromParsed(nvdCve((v as any)?.cve));
      return;
    case 'nvd-cve': yield fromParsed(nvdCve(value)); return;
    case 'cve5': yield fromParsed(cve5Record(value)); return;
    default: {
      const v = validateOsv(value);
      if (!v.ok) { log.debug({ what, reason: v.reason }, 'advisory skipped'); yield { type: 'skipped', reason: v.reason }; return; }
      if (v.advisory.withdrawn) { yield { type: 'withdrawn' }; return; }
      yield { type: 'advisory', adv: v.advisory };
    }
  }
}

/**
 * Every record of a source. One unreadable record of a directory or zip is skipped (a 'skipped'
 * record); a whole document given directly must parse (its error is thrown). Caps of `limits` are
 * enforced by `documents` and thrown as CustomsError.
 */
export async function* readSource(path: string, limits: DocumentLimits): AsyncGenerator<SourceRecord> {
  for await (const doc of documents(path, limits)) {
    let value: unknown;
    try {
      value = doc.yaml ? parseYamlSafe(doc.data, doc.what) : parseUntrustedJson(doc.data, doc.what);
    } catch (e: any) {
      // one unreadable record is skipped; a whole document given directly must parse
      if (!doc.array) { yield { type: 'skipped', reason: e.kind === 'limit' ? 'JSON nested too deep' : doc.yaml ? 'invalid YAML' : 'invalid JSON' }; continue; }
      throw e;
    }
    if (doc.array && Array.isArray(value)) {
      for (const v of value) yield* recordsOf(v, doc.what);
    } else yield* recordsOf(value, doc.what);
  }
}
