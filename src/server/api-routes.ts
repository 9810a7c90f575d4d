import type { Context, Hono } from 'hono';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { parseReference } from '../image/reference.ts';
import { JOB_STATES, type Job, type JobState, type JobStore } from '../jobs/job-store.ts';
import { RESCAN_ORIGIN } from '../jobs/run-job.ts';
import type { ScanReport } from '../scan/types.ts';
import { ScanStore, type ScanRow } from '../scan/scan-store.ts';
import { ImageStore } from '../scan/image-store.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import { toSpdx } from '../sbom/spdx.ts';
import { platformFixPlan } from '../report/fix-plan.ts';
import { VERSION } from '../version.ts';
import { requireRole } from '../http/api-auth.ts';
import { OPENAPI } from './openapi.ts';
import { problem } from '../http/problem.ts';
import { digestParam, pageFields, pageOf, validJson, validParams, validQuery } from '../http/validate.ts';
import { z } from 'zod';

// The REST API under /api/v1: ask for scans, read jobs, scans, images, findings, SBOMs, repositories
// and tags. Handlers only read the stores or hand a job to the JobStore.

interface Page { limit: number; offset: number }

function paged<T>(items: T[], p: Page): { items: T[]; nextCursor: string | null } {
  return { items, nextCursor: items.length === p.limit ? Buffer.from(String(p.offset + p.limit)).toString('base64url') : null };
}

function jobView(j: Job) {
  return {
    id: j.id, state: j.state, registry: j.registry, repository: j.repository, digest: j.digest, tag: j.tag, origin: j.origin,
    attempts: j.attempts, maxAttempts: j.maxAttempts, nextRunAt: iso(j.nextRunAt), lastError: j.lastError, lastErrorKind: j.lastErrorKind,
    scanId: j.scanId, createdAt: iso(j.createdAt), finishedAt: iso(j.finishedAt),
  };
}

function iso(t: number | Date | null | undefined): string | null {
  return t === null || t === undefined ? null : new Date(Number(t)).toISOString();
}

function scanSummary(r: ScanRow) {
  return {
    id: String(r.id), registry: r.registry, repository: r.repository, digest: r.digest, ref: r.ref, dbVersion: r.dbVersion,
    startedAt: iso(r.startedAt), finishedAt: iso(r.finishedAt), jobId: r.jobId,
    summary: { platforms: Number(r.platforms), packages: Number(r.packages), findings: Number(r.findings), critical: Number(r.critical), high: Number(r.high), medium: Number(r.medium), low: Number(r.low), unknown: Number(r.unknown ?? 0) },
  };
}

export function mountApi(app: Hono, deps: { cfg: Config; database: Database; jobs: JobStore; onQueued?: () => void }): void {
  const { cfg, database, jobs } = deps;
  const reader = requireRole(cfg.api, 'reader');
  const operator = requireRole(cfg.api, 'operator');
  const scans = new ScanStore(database);
  const imageStore = new ImageStore(database);

  /** The newest scan of a digest with its report, or a problem response. */
  const withReport = async (c: Context, digest: string): Promise<{ row: ScanRow; report: ScanReport } | Response> => {
    const row = await scans.latestOfDigest(digest);
    if (!row) return problem(c, 404, 'Not Found', 'no scan of this digest');
    return { row, report: JSON.parse(String(row.report)) as ScanReport };
  };

  app.get('/api/v1/openapi.json', (c) => c.json(OPENAPI));

  const scanRequest = validJson(z.object({
    image: z.string({ error: 'expected a reference: {"image": "registry/repo:tag"}' }),
    force: z.boolean({ error: 'expected true or false' }).optional(),
  }), { maxBytes: 64 * 1024, maxDepth: cfg.limits.maxJsonDepth, what: 'scan request' });
  app.post('/api/v1/scans', operator, scanRequest.check, async (c) => {
    const body = scanRequest.of(c);
    let ref;
    try { ref = parseReference(body.image); } catch (e) { return problem(c, 400, 'Bad Request', isCustomsError(e) ? e.message : 'invalid reference'); }
    if (ref.kind !== 'registry') return problem(c, 400, 'Bad Request', 'only registry references can be scanned by the service');
    const force = body.force === true;
    const { job, fresh } = await jobs.enqueue({
      registry: ref.registry, repository: ref.repository, digest: ref.digest, tag: ref.digest ? undefined : ref.tag ?? 'latest',
      origin: force ? RESCAN_ORIGIN : 'api', force,
    }, cfg.workers.maxAttempts);
    if (fresh) deps.onQueued?.();
    c.header('location', `/api/v1/scans/${job.scanId ?? job.id}`);
    return c.json({ scanId: job.scanId ?? job.id, jobId: job.id, state: job.state, duplicate: !fresh }, 202);
  });

  app.get('/api/v1/scans/:id', reader, async (c) => {
    const id = c.req.param('id');
    let row = await scans.byId(id);
    if (!row) {
      const job = await jobs.get(id);
      if (!job) return problem(c, 404, 'Not Found', 'no such scan or job');
      if (job.scanId) row = await scans.byId(job.scanId);
      if (!row) return c.json({ id, state: job.state, job: jobView(job) }, job.state === 'failed' ? 200 : 202);
    }
    return c.json({ ...scanSummary(row), state: 'succeeded', report: JSON.parse(String(row.report)) });
  });

  app.get('/api/v1/jobs', reader, validQuery(z.object({ ...pageFields(50, 500), state: z.enum(JOB_STATES as [JobState, ...JobState[]], { error: `state must be one of ${JOB_STATES.join(', ')}` }).optional() })), async (c) => {
    const q = c.req.valid('query');
    const p = pageOf(q);
    const state = q.state;
    const list = await jobs.list({ ...(state ? { state } : {}), ...p });
    return c.json(paged(list.map(jobView), p));
  });

  app.get('/api/v1/jobs/:id', reader, async (c) => {
    const job = await jobs.get(c.req.param('id'));
    return job ? c.json(jobView(job)) : problem(c, 404, 'Not Found', 'no such job');
  });

  app.get('/api/v1/images/:digest', reader, validParams(digestParam), async (c) => {
    const { digest } = c.req.valid('param');
    const r = await withReport(c, digest);
    if (r instanceof Response) return r;
    const seen = await imageStore.placements(digest);
    return c.json({
      digest,
      scan: scanSummary(r.row),
      repositories: seen.map((s) => ({ registry: s.registry, repository: s.repository, tags: s.tags, deletedAt: iso(s.deletedAt) })),
      platforms: r.report.platforms.map((p) => ({
        platform: p.inventory.platform, manifestDigest: p.inventory.manifestDigest, os: p.inventory.os ?? null,
        packages: p.inventory.packages.length, findings: p.findings.length, layers: p.inventory.layers.length,
      })),
      warnings: r.report.warnings,
    });
  });

  app.get('/api/v1/images/:digest/findings', reader, validParams(digestParam), async (c) => {
    const r = await withReport(c, c.req.valid('param').digest);
    if (r instanceof Response) return r;
    return c.json({
      digest: r.report.rootDigest, scanId: String(r.row.id), dbVersion: r.report.dbVersion,
      platforms: r.report.platforms.map((p) => ({ platform: p.inventory.platform, manifestDigest: p.inventory.manifestDigest, findings: p.findings, fixPlan: platformFixPlan(p), coverage: p.coverage ?? [] })),
    });
  });

  app.get('/api/v1/images/:digest/sbom', reader, validParams(digestParam), async (c) => {
    const r = await withReport(c, c.req.valid('param').digest);
    if (r instanceof Response) return r;
    const accept = c.req.header('accept') ?? '';
    const subject = { ref: parseReference(String(r.row.ref)), toolVersion: VERSION, timestamp: r.report.finishedAt, inventories: r.report.platforms.map((p) => p.inventory) };
    if (/spdx/i.test(accept)) return c.body(JSON.stringify(toSpdx(subject)), 200, { 'content-type': 'application/spdx+json' });
    return c.body(JSON.stringify(toCycloneDx(subject)), 200, { 'content-type': 'application/vnd.cyclonedx+json' });
  });

  app.get('/api/v1/repositories', reader, validQuery(z.object(pageFields(50, 500))), async (c) => {
    const p = pageOf(c.req.valid('query'));
    const rs = await imageStore.repositories(p);
    return c.json(paged(rs.map((r) => ({ registry: r.registry, repository: r.repository, images: Number(r.images), liveImages: Number(r.liveImages), lastSeenAt: iso(r.lastSeenAt) })), p));
  });

  app.get('/api/v1/tags', reader, validQuery(z.object({ ...pageFields(50, 500), repository: z.string().optional(), registry: z.string().optional() })), async (c) => {
    const { repository, registry, ...q } = c.req.valid('query');
    const p = pageOf(q);
    const rs = await imageStore.tags({ repository, registry }, p);
    return c.json(paged(rs.map((r) => ({ registry: r.registry, repository: r.repository, tag: r.tag, digest: r.digest, updatedAt: iso(r.updatedAt), deletedAt: iso(r.deletedAt) })), p));
  });
}
