// Suppressions a CI pipeline brings along, with no server: `--vex FILE` (OpenVEX or CycloneDX VEX,
// repeatable) and `--ignorefile FILE` (a .trivyignore plain list, or .trivyignore.yaml / Customs'
// YAML: ids with an optional package and expiry). They become the same exceptions a policy holds
// (src/policy/exceptions.ts), matched by id or alias, package and image digest, and expire alike.
import { readFileSync } from 'node:fs';
import { parseYaml } from '../util/yaml.ts';
import { CustomsError } from '../errors.ts';
import { exceptionFor, type ActiveException } from '../policy/exceptions.ts';
import { openVexExceptions } from '../policy/openvex.ts';
import type { ScanReport } from '../scan/types.ts';
import { parseUntrustedJson } from '../util/json.ts';

const MAX_FILE_BYTES = 16 * 1024 * 1024;

function read(path: string, flag: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw new CustomsError('limit', `${flag} ${path}: larger than ${MAX_FILE_BYTES} bytes`);
    return text;
  } catch (e) {
    if (e instanceof CustomsError) throw e;
    throw new CustomsError('usage', `cannot read ${flag} ${path}: ${(e as { code?: string }).code ?? (e as Error).message}`);
  }
}

/** A VEX file: OpenVEX, or a CycloneDX BOM/VEX whose vulnerabilities carry an analysis state. */
export function vexFileExceptions(path: string): ActiveException[] {
  const text = read(path, '--vex');
  let doc: any;
  try { doc = parseUntrustedJson(text, `--vex ${path}`, 64); } catch (e) { throw new CustomsError('usage', `--vex ${path} is not JSON: ${(e as Error).message}`); }
  if (typeof doc?.['@context'] === 'string') return openVexExceptions(text, `--vex ${path}`);
  if (doc?.bomFormat === 'CycloneDX') return cycloneDxVex(doc, path);
  throw new CustomsError('usage', `--vex ${path}: neither OpenVEX (@context https://openvex.dev/ns/…) nor CycloneDX (bomFormat CycloneDX)`);
}

/**
 * CycloneDX VEX: `analysis.state` not_affected, false_positive or resolved says the vulnerability
 * does not apply to the components it `affects` (bom-refs, usually purls); other states change nothing.
 */
function cycloneDxVex(doc: any, path: string): ActiveException[] {
  if (!Array.isArray(doc.vulnerabilities)) throw new CustomsError('usage', `--vex ${path}: a CycloneDX VEX needs vulnerabilities[]`);
  const refs = new Map<string, string>();
  for (const c of Array.isArray(doc.components) ? doc.components : []) if (typeof c?.['bom-ref'] === 'string' && typeof c?.name === 'string') refs.set(c['bom-ref'], c.name);
  const out: ActiveException[] = [];
  for (const v of doc.vulnerabilities) {
    const state = v?.analysis?.state;
    if (!['not_affected', 'false_positive', 'resolved'].includes(state) || typeof v?.id !== 'string') continue;
    const why = [state, v.analysis.justification, v.analysis.detail].filter((x) => typeof x === 'string' && x).join(': ');
    const ids = [v.id, ...(Array.isArray(v.references) ? v.references.map((r: any) => r?.id).filter((x: unknown) => typeof x === 'string') : [])];
    const packages = (Array.isArray(v.affects) ? v.affects : []).map((a: any) => (typeof a?.ref === 'string' ? refs.get(a.ref) ?? purlName(a.ref) : undefined)).filter((x: unknown): x is string => !!x);
    for (const id of ids) {
      for (const pkg of packages.length ? packages : [undefined]) {
        out.push({ id, justification: why, owner: 'CycloneDX VEX', source: `cyclonedx-vex:${path}`, ...(pkg ? { package: pkg } : {}) });
      }
    }
  }
  return out;
}

function purlName(ref: string): string | undefined {
  const m = /^pkg:[a-z]+\/(?:.*\/)?([^/@?#]+)(?:@|$|\?|#)/.exec(ref);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

/**
 * An ignore file: YAML with `vulnerabilities: [{id, package?|purls?, expires?|expired_at?, statement?}]`
 * (.trivyignore.yaml's shape, plus `package`), or a plain list — one id per line, `#` comments, an
 * optional `exp:YYYY-MM-DD` after the id (.trivyignore).
 */
export function ignoreFileExceptions(path: string): ActiveException[] {
  const text = read(path, '--ignorefile');
  const source = `ignorefile:${path}`;
  if (/^\s*vulnerabilities\s*:/m.test(text)) {
    let doc: any;
    try { doc = parseYaml(text, { maxAliasCount: 100 }); } catch (e) { throw new CustomsError('usage', `--ignorefile ${path} is not valid YAML: ${(e as Error).message}`); }
    if (!Array.isArray(doc?.vulnerabilities)) throw new CustomsError('usage', `--ignorefile ${path}: vulnerabilities must be a list`);
    return doc.vulnerabilities.flatMap((v: any, i: number): ActiveException[] => {
      if (typeof v?.id !== 'string' || !v.id) throw new CustomsError('usage', `--ignorefile ${path}: vulnerabilities[${i}].id is missing`);
      const expires = v.expires ?? v.expired_at;
      if (expires !== undefined && (typeof expires !== 'string' && !(expires instanceof Date) || Number.isNaN(Date.parse(String(expires))))) {
        throw new CustomsError('usage', `--ignorefile ${path}: vulnerabilities[${i}] expires "${String(expires)}" is not a date`);
      }
      const packages: string[] = [...(typeof v.package === 'string' ? [v.package] : []), ...(Array.isArray(v.purls) ? v.purls.map(purlName).filter(Boolean) : [])];
      const base = { id: v.id, justification: typeof v.statement === 'string' ? v.statement : 'ignored in CI', owner: 'ignore file', source, ...(expires !== undefined ? { expires: expires instanceof Date ? expires.toISOString().slice(0, 10) : String(expires) } : {}) };
      return packages.length ? packages.map((p) => ({ ...base, package: p })) : [base];
    });
  }
  const out: ActiveException[] = [];
  text.split(/\r?\n/).forEach((raw, n) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return;
    const m = /^(\S+)(?:\s+exp:(\d{4}-\d{2}-\d{2}))?$/.exec(line);
    if (!m) throw new CustomsError('usage', `--ignorefile ${path}:${n + 1}: expected "ID [exp:YYYY-MM-DD]", not "${line.slice(0, 80)}"`);
    out.push({ id: m[1]!, justification: 'ignored in CI', owner: 'ignore file', source, ...(m[2] ? { expires: m[2] } : {}) });
  });
  return out;
}

export interface Suppressed { id: string; package: string; version: string; by: string; justification: string }

/** The report without the findings an exception covers, and what was left out. */
export function suppress(report: ScanReport, exceptions: ActiveException[], image: { repository: string }, now = new Date()): { report: ScanReport; suppressed: Suppressed[] } {
  if (!exceptions.length) return { report, suppressed: [] };
  const suppressed: Suppressed[] = [];
  const platforms = report.platforms.map((p) => ({
    ...p,
    findings: p.findings.filter((f) => {
      const e = exceptionFor(f, { repository: image.repository, digest: report.rootDigest }, exceptions, now)
        ?? exceptionFor(f, { repository: image.repository, digest: p.inventory.manifestDigest }, exceptions, now);
      if (e) suppressed.push({ id: f.id, package: f.package.name, version: f.package.version, by: e.source, justification: e.justification });
      return !e;
    }),
  }));
  return { report: { ...report, platforms }, suppressed };
}
