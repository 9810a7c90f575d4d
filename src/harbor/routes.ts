// Harbor's pluggable scanner API v1.2 under /harbor/api/v1 (register Customs in Harbor with the
// endpoint http://<customs>/harbor). Rules Harbor's client applies (goharbor/harbor
// src/pkg/scan/rest/v1/client.go): every call must answer within 5 s (so /scan only queues), 302
// means "not ready" with Refresh-After read as an 8-bit integer, any other non-200 body is parsed as
// {"error": {"message"}}. Scans are the service's durable jobs: a digest scanned already is not
// scanned again, and Customs' own policy, attestations and gate apply to it as to any push.
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { isValidRepository, isValidTag } from '../image/reference.ts';
import type { JobStore } from '../jobs/job-store.ts';
import { ScanStore } from '../scan/scan-store.ts';
import { log } from '../log.ts';
import { readBodyCapped } from '../util/read-capped.ts';
import { isDigest } from '../util/digest.ts';
import { parseUntrustedJson } from '../util/json.ts';
import { VulnStore } from '../vulndb/store.ts';
import { safeEqual } from '../webhooks/auth.ts';
import { parseAuthorization, type PullCredentials } from './pull-credentials.ts';
import { decodeRequestId, encodeRequestId } from './report-id.ts';
import { SBOM_MEDIA_TYPES, SCANNER, toHarborSbomReport, toHarborVulnerabilityReport, type SbomMediaType } from './reports.ts';

export const MT = {
  metadata: 'application/vnd.scanner.adapter.metadata+json; version=1.0',
  scanResponse: 'application/vnd.scanner.adapter.scan.response+json; version=1.0',
  error: 'application/vnd.scanner.adapter.error+json; version=1.0',
  vulnNative: 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0',
  vuln11: 'application/vnd.security.vulnerability.report; version=1.1',
  sbom: 'application/vnd.security.sbom.report+json; version=1.0',
  oci: 'application/vnd.oci.image.manifest.v1+json',
  docker: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;
const CONSUMES = [MT.oci, MT.docker];
const norm = (t: string) => t.toLowerCase().replace(/\s+/g, '');

export interface HarborDeps {
  cfg: Config;
  database: Database;
  jobs: JobStore;
  credentials: PullCredentials;
  onQueued?: () => void;
}

function error(c: Context, status: 400 | 401 | 403 | 404 | 422 | 500 | 501, message: string): Response {
  return c.body(JSON.stringify({ error: { message } }), status, { 'content-type': MT.error });
}

/** Harbor sends the credential it is configured with as Bearer or Basic (password = the token): Customs' API tokens. */
function harborAuth(cfg: Config, role: 'reader' | 'operator'): MiddlewareHandler {
  return async (c, next) => {
    const tokens = cfg.api.tokens;
    if (!tokens.length) return next();
    const h = c.req.header('authorization') ?? '';
    let presented: string | undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(h);
    const basic = /^Basic\s+(\S+)$/i.exec(h);
    if (bearer) presented = bearer[1];
    else if (basic) {
      const d = Buffer.from(basic[1]!, 'base64').toString('utf8');
      presented = d.slice(d.indexOf(':') + 1);
    }
    if (!presented) return error(c, 401, 'a Customs API token is required (Bearer, or Basic with the token as password)');
    let found: (typeof tokens)[number] | undefined;
    for (const t of tokens) if (safeEqual(presented, t.token)) found = t;
    if (!found) return error(c, 401, 'unknown token');
    if (role === 'operator' && found.role === 'reader') return error(c, 403, 'the token needs the operator role to queue scans');
    return next();
  };
}

export function mountHarbor(app: Hono, deps: HarborDeps): void {
  const { cfg, jobs } = deps;
  const scans = new ScanStore(deps.database);
  const base = '/harbor/api/v1';

  app.get(`${base}/metadata`, harborAuth(cfg, 'reader'), async (c) => {
    const status = await new VulnStore(deps.database).status();
    const properties: Record<string, string> = {
      'harbor.scanner-adapter/scanner-type': 'os-package-vulnerability',
      'harbor.scanner-adapter/vulnerability-database-updated-at': status.updatedAt ?? '',
      'customs/vulnerability-database-version': status.version ?? 'empty',
      'customs/advisories': String(status.advisories),
    };
    const body = {
      scanner: SCANNER,
      capabilities: [
        { type: 'vulnerability', consumes_mime_types: CONSUMES, produces_mime_types: [MT.vulnNative, MT.vuln11] },
        { type: 'sbom', consumes_mime_types: CONSUMES, produces_mime_types: [MT.sbom], additional_attributes: { sbom_media_types: [...SBOM_MEDIA_TYPES] } },
      ],
      properties,
    };
    return c.body(JSON.stringify(body), 200, { 'content-type': MT.metadata });
  });

  app.post(`${base}/scan`, harborAuth(cfg, 'operator'), async (c) => {
    let req: any;
    try {
      req = parseUntrustedJson(await readBodyCapped(c.req.raw, 64 * 1024), 'scan request', 16);
    } catch (e) {
      return error(c, 400, isCustomsError(e) ? e.message : 'the body is not JSON');
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) return error(c, 400, 'the body is not a ScanRequest object');
    const invalid = (m: string) => error(c, 422, m);
    if (typeof req.registry?.url !== 'string') return invalid('registry.url is required');
    let url: URL;
    try { url = new URL(req.registry.url); } catch { return invalid('registry.url is not a URL'); }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return invalid('registry.url must be http(s)');
    const registry = url.host;
    if (!cfg.harbor.registries.includes(registry)) return invalid(`registry ${registry.slice(0, 255)} is not one Customs may pull from for Harbor (harbor.registries)`);
    const a = req.artifact;
    if (typeof a?.repository !== 'string' || !isValidRepository(a.repository)) return invalid('artifact.repository is missing or not a repository name');
    if (typeof a.digest !== 'string' || !isDigest(a.digest)) return invalid('artifact.digest is missing or not a digest (sha256:<64 hex>)');
    if (a.tag !== undefined && a.tag !== '' && (typeof a.tag !== 'string' || !isValidTag(a.tag))) return invalid('artifact.tag is not a tag');
    if (a.mime_type !== undefined && (typeof a.mime_type !== 'string' || !CONSUMES.includes(a.mime_type))) {
      return error(c, 501, `Customs scans ${CONSUMES.join(' and ')}, not ${String(a.mime_type).slice(0, 100)}`);
    }
    if (req.enabled_capabilities !== undefined) {
      if (!Array.isArray(req.enabled_capabilities)) return invalid('enabled_capabilities must be an array');
      for (const cap of req.enabled_capabilities) {
        if (cap?.type !== 'vulnerability' && cap?.type !== 'sbom') return error(c, 501, `capability ${String(cap?.type).slice(0, 50)} is not one Customs has (vulnerability, sbom)`);
        const produces: unknown = cap.produces_mime_types;
        const ours = cap.type === 'sbom' ? [MT.sbom] : [MT.vulnNative, MT.vuln11];
        if (produces !== undefined && (!Array.isArray(produces) || produces.some((m) => typeof m !== 'string' || !ours.map(norm).includes(norm(m))))) {
          return error(c, 501, `Customs does not produce ${JSON.stringify(produces).slice(0, 200)} for ${cap.type}`);
        }
      }
    }
    let creds;
    if (req.registry.authorization !== undefined && req.registry.authorization !== '') {
      if (typeof req.registry.authorization !== 'string' || !(creds = parseAuthorization(req.registry.authorization))) return invalid('registry.authorization must be "Basic <base64 user:password>" or "Bearer <token>"');
    }
    const image = { registry, repository: a.repository, digest: a.digest };
    // the credential is held before the job exists: a worker may claim it at once
    if (creds) deps.credentials.put(image, creds);
    let { job, fresh } = await jobs.enqueue({ ...image, ...(a.tag ? { tag: a.tag } : {}), origin: 'harbor' }, cfg.workers.maxAttempts);
    if (!fresh && job.state === 'failed') {
      // Harbor asks again after a failure (new robot credential, registry back): try again
      ({ job, fresh } = await jobs.enqueue({ ...image, ...(a.tag ? { tag: a.tag } : {}), origin: 'harbor', force: true }, cfg.workers.maxAttempts));
    }
    if (fresh) deps.onQueued?.();
    log.info({ ...image, jobId: job.id, duplicate: !fresh, credential: creds ? (creds.registryToken ? 'bearer' : 'basic') : 'none' }, 'harbor scan request accepted');
    return c.body(JSON.stringify({ id: encodeRequestId(image) }), 202, { 'content-type': MT.scanResponse });
  });

  app.get(`${base}/scan/:id/report`, harborAuth(cfg, 'reader'), async (c) => {
    const image = decodeRequestId(c.req.param('id'));
    if (!image) return error(c, 404, 'no such scan request');
    const wanted = reportType(c.req.header('accept'));
    if (!wanted) return error(c, 501, `Customs produces ${MT.vulnNative}, ${MT.vuln11} and ${MT.sbom}`);
    let sbomType: SbomMediaType | undefined;
    if (wanted === MT.sbom) {
      const q = c.req.query('sbom_media_type');
      if (!q || !(SBOM_MEDIA_TYPES as readonly string[]).includes(q)) return error(c, 400, `sbom_media_type must be ${SBOM_MEDIA_TYPES.join(' or ')}`);
      sbomType = q as SbomMediaType;
    }
    let scanId = await jobs.latestScanId(image.registry, image.repository, image.digest);
    if (!scanId) {
      const job = await jobs.latestFor(image.registry, image.repository, image.digest);
      if (!job) return error(c, 404, 'no such scan request');
      if (job.state === 'failed') return error(c, 500, `the scan failed: ${job.lastError ?? 'unknown error'}`);
      if (job.state !== 'succeeded' || !job.scanId) {
        return c.body(null, 302, { 'refresh-after': String(cfg.harbor.refreshAfterSeconds) });
      }
      scanId = job.scanId;
    }
    const report = await scans.report(scanId);
    if (!report) return error(c, 500, 'the scan report is missing');
    deps.credentials.forget(image);
    const artifact = { repository: image.repository, digest: image.digest };
    const body = sbomType ? toHarborSbomReport(report, artifact, sbomType) : toHarborVulnerabilityReport(report, artifact);
    return c.body(JSON.stringify(body), 200, { 'content-type': wanted });
  });
}

/** The report type an Accept header asks for; the native vulnerability report when it names none. */
function reportType(accept: string | undefined): string | undefined {
  if (!accept || !accept.trim()) return MT.vulnNative;
  const offered = [MT.vulnNative, MT.vuln11, MT.sbom];
  for (const part of accept.split(',')) {
    const t = norm(part.replace(/;\s*q=[0-9.]+/i, ''));
    const hit = offered.find((o) => norm(o) === t);
    if (hit) return hit;
    if (t === '*/*' || t === 'application/json') return MT.vulnNative;
  }
  return undefined;
}
