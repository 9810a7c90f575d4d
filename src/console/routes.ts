// The operator console at `/`, served by `customs serve` itself: server-rendered pages over the same
// stores the API uses, the same roles (reader, operator, admin), actions through the same functions
// (release, policy apply, re-scan). Works without JavaScript.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import type { Config } from '../config/schema.ts';
import type { Database } from '../db/client.ts';
import { isCustomsError } from '../errors.ts';
import { release, type JudgeContext } from '../judge/judge.ts';
import { testDraft } from '../judge/draft-test.ts';
import { isValidRepository, parseReference } from '../image/reference.ts';
import type { JobStore } from '../jobs/job-store.ts';
import { RESCAN_ORIGIN } from '../jobs/run-job.ts';
import { log } from '../log.ts';
import { DEFAULT_POLICY_YAML } from '../policy/default.ts';
import { parsePolicy } from '../policy/parse.ts';
import { PolicyStore } from '../policy/store.ts';
import { OutboxStore } from '../publish/outbox.ts';
import { toCycloneDx } from '../sbom/cyclonedx.ts';
import { toSpdx } from '../sbom/spdx.ts';
import { isDigest } from '../util/digest.ts';
import { stringifyYaml } from '../util/yaml.ts';
import { VERSION } from '../version.ts';
import { VulnStore } from '../vulndb/store.ts';
import { ConsoleStore, SEVERITY_FILTERS, SORTS, type ImageFilter, type Sort } from './console-store.ts';
import { CSP, page } from './layout.ts';
import { auditPage, imagePage, imagesPage, jobsPage, loginPage, overviewPage, policiesPage, policyEditor, quarantinePage, vexTable } from './pages.ts';
import { formOf, Sessions, sessionOf } from './session.ts';

const ASSETS = join(dirname(fileURLToPath(import.meta.url)), 'assets');
const PER_PAGE = 50;

export interface ConsoleDeps { cfg: Config; database: Database; jobs: JobStore; judge: JudgeContext; onQueued?: () => void }

/** A query value, trimmed and capped; undefined when empty. */
function q(c: Context, name: string, max = 255): string | undefined {
  const v = c.req.query(name)?.trim();
  return v ? v.slice(0, max) : undefined;
}

function pageNo(c: Context): number {
  const p = Number(c.req.query('page') ?? 1);
  return Number.isInteger(p) && p >= 1 && p <= 100_000 ? p : 1;
}

export function mountConsole(app: Hono, deps: ConsoleDeps): void {
  const sessions = new Sessions(deps.cfg.api);
  const store = new ConsoleStore(deps.database);
  const policies = new PolicyStore(deps.database);
  const outbox = new OutboxStore(deps.database);
  const css = readFileSync(join(ASSETS, 'app.css'));
  const js = readFileSync(join(ASSETS, 'app.js'));
  const reader = sessions.require('reader');
  const operator = sessions.require('operator');
  const admin = sessions.require('admin');
  const render = (c: Context, title: string, current: string, body: Parameters<typeof page>[3], status: 200 | 400 | 404 = 200) => c.html(page(title, sessionOf(c), current, body), status);

  // security headers on every console answer (the API answers JSON and keeps its own)
  const CONSOLE_PATHS = ['/', '/login', '/logout', '/images', '/images/*', '/sbom/*', '/quarantine', '/quarantine/*', '/policies', '/policies/*', '/audit', '/jobs', '/jobs/*', '/console/*'];
  for (const p of CONSOLE_PATHS) {
    app.use(p, async (c, next) => {
      await next();
      c.header('content-security-policy', CSP);
      c.header('x-content-type-options', 'nosniff');
      c.header('referrer-policy', 'same-origin');
      c.header('x-frame-options', 'DENY');
      if (c.res.headers.get('content-type')?.startsWith('text/html')) c.header('cache-control', 'no-store');
    });
  }

  app.get('/console/app.css', (c) => c.body(css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': `public, max-age=3600` }));
  app.get('/console/app.js', (c) => c.body(js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': `public, max-age=3600` }));

  app.get('/login', (c) => {
    if (sessions.read(c)) return c.redirect('/', 303);
    return c.html(page('Sign in', undefined, '/login', loginPage(safeNext(c.req.query('next')))));
  });
  app.post('/login', async (c) => {
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin) return c.text('cross-origin sign-in refused', 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const s = typeof form.token === 'string' && form.token.length <= 512 ? sessions.signIn(c, form.token) : undefined;
    if (!s) {
      log.info({ ip: c.req.header('x-forwarded-for') ?? 'direct' }, 'console sign-in refused');
      return c.html(page('Sign in', undefined, '/login', loginPage(next, 'That token is not one Customs knows.')), 401);
    }
    log.info({ principal: s.name, role: s.role }, 'console sign-in');
    return c.redirect(next, 303);
  });
  app.post('/logout', reader, (c) => { sessions.signOut(c); return c.redirect('/login', 303); });

  app.get('/', reader, async (c) => render(c, 'Overview', '/', overviewPage(await store.overview(), await new VulnStore(deps.database).status())));

  app.get('/images', reader, async (c) => {
    const verdict = q(c, 'verdict');
    const severity = q(c, 'severity');
    const sort = (q(c, 'sort') ?? 'seen') as Sort;
    const f: ImageFilter = {
      ...(q(c, 'registry') ? { registry: q(c, 'registry')! } : {}),
      ...(q(c, 'repository') ? { repository: q(c, 'repository')! } : {}),
      ...(q(c, 'tag', 128) ? { tag: q(c, 'tag', 128)! } : {}),
      ...(verdict && ['pass', 'warn', 'fail', 'none'].includes(verdict) ? { verdict: verdict as ImageFilter['verdict'] & string } : {}),
      ...(severity && (SEVERITY_FILTERS as readonly string[]).includes(severity) ? { severity: severity as ImageFilter['severity'] & string } : {}),
      ...(c.req.query('quarantined') === '1' ? { quarantined: true } : {}),
      sort: sort in SORTS ? sort : 'seen', page: pageNo(c), perPage: PER_PAGE,
    };
    const [{ rows, total }, registries] = await Promise.all([store.images(f), store.registries()]);
    return render(c, 'Images', '/images', imagesPage(rows, total, f, registries));
  });

  // /images/<registry>/<repository…>/@<digest>
  app.get('/images/*', reader, async (c) => {
    const m = /^\/images\/([^/]+)\/(.+)\/@(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.exec(c.req.path);
    const image = m ? { registry: decodeURIComponent(m[1]!), repository: m[2]!.split('/').map(decodeURIComponent).join('/'), digest: m[3]! } : undefined;
    if (!image || !isValidRepository(image.repository)) return render(c, 'Not found', '/images', page404('no such image address'), 404);
    const data = await store.image(image.registry, image.repository, image.digest);
    if (!data) return render(c, 'Not found', '/images', page404('Customs has not seen this image'), 404);
    const pending = await outbox.get(image);
    const publication = pending ? { state: 'pending' as const, attempts: pending.attempts, lastError: pending.lastError ?? undefined, dueAt: pending.dueAt.toISOString() }
      : { state: deps.cfg.attestations.enabled || deps.cfg.workers.statusTags ? 'published' as const : 'disabled' as const };
    return render(c, `${image.repository}@${image.digest.slice(7, 19)}`, '/images', imagePage(sessionOf(c), image, data, await store.verdicts(image.registry, image.repository, image.digest), publication));
  });

  app.get('/sbom/:digest', reader, async (c) => {
    const digest = c.req.param('digest');
    const registry = q(c, 'registry');
    const repository = q(c, 'repository');
    if (!isDigest(digest) || !registry || !repository) return c.text('bad SBOM address', 400);
    const data = await store.image(registry, repository, digest);
    if (!data?.report) return c.text('no scan of this image', 404);
    const subject = { ref: parseReference(data.report.ref), toolVersion: VERSION, timestamp: data.report.finishedAt, inventories: data.report.platforms.map((p) => p.inventory) };
    const spdx = c.req.query('format') === 'spdx';
    const file = `${repository.replace(/[^a-z0-9._-]/g, '_')}-${digest.slice(7, 19)}.${spdx ? 'spdx' : 'cdx'}.json`;
    return c.body(JSON.stringify(spdx ? toSpdx(subject) : toCycloneDx(subject), null, 2), 200, {
      'content-type': spdx ? 'application/spdx+json' : 'application/vnd.cyclonedx+json', 'content-disposition': `attachment; filename="${file}"`,
    });
  });

  app.get('/quarantine', reader, async (c) => {
    const p = pageNo(c);
    return render(c, 'Quarantine', '/quarantine', quarantinePage(sessionOf(c), await store.quarantined(p, PER_PAGE), p, PER_PAGE, q(c, 'done', 500)));
  });
  app.post('/quarantine/release', operator, async (c) => {
    const form = formOf(c);
    const digest = String(form.digest ?? '');
    const reason = String(form.reason ?? '').trim();
    const repository = String(form.repository ?? '');
    if (!isDigest(digest) || !isValidRepository(repository)) return c.text('bad release form', 400);
    if (reason.length < 3) return render(c, 'Quarantine', '/quarantine', quarantinePage(sessionOf(c), await store.quarantined(1, PER_PAGE), 1, PER_PAGE, 'A release needs a reason.'), 400);
    try {
      const r = await release(deps.judge, digest, { actor: `${sessionOf(c).name} (console)`, reason: reason.slice(0, 500), repository });
      const msg = `Released ${repository}@${digest.slice(7, 19)}: ${r.undone.length} registry action(s) undone${r.undone.length ? ` (${r.undone.map((u) => u.type).join(', ')})` : ''}; the gate lets pulls through.`;
      return c.redirect(`/quarantine?done=${encodeURIComponent(msg)}`, 303);
    } catch (e) {
      if (!isCustomsError(e)) throw e;
      return render(c, 'Quarantine', '/quarantine', quarantinePage(sessionOf(c), await store.quarantined(1, PER_PAGE), 1, PER_PAGE, e.message), 400);
    }
  });

  app.get('/policies', reader, async (c) => {
    const list = (await policies.current()).map((p) => ({ name: p.policy.metadata.name, version: p.version, mode: p.policy.spec.mode, createdAt: (p as { createdAt?: string }).createdAt ?? '', createdBy: (p as { createdBy?: string }).createdBy ?? '' }));
    return render(c, 'Policies', '/policies', policiesPage(sessionOf(c), list, vexTable(await store.vexDocuments())));
  });
  app.get('/policies/new', admin, (c) => render(c, 'New policy', '/policies', policyEditor(sessionOf(c), undefined, DEFAULT_POLICY_YAML.replace(/name: \S+/, 'name: my-policy'))));
  app.get('/policies/:name', reader, async (c) => {
    const v = c.req.query('version');
    const p = await policies.get(c.req.param('name'), v && /^[1-9]\d{0,8}$/.test(v) ? Number(v) : undefined);
    if (!p) return render(c, 'Not found', '/policies', page404('no such policy'), 404);
    const text = p.source ?? stringifyYaml(p.policy);
    return render(c, `Policy ${p.policy.metadata.name} v${p.version}`, '/policies', policyEditor(sessionOf(c), p.policy.metadata.name, text, { history: await policies.history(p.policy.metadata.name), exceptions: p.policy.spec.exceptions }));
  });
  app.post('/policies/draft', admin, async (c) => {
    const form = formOf(c);
    const text = String(form.doc ?? '');
    const s = sessionOf(c);
    if (text.length > 1024 * 1024) return render(c, 'Policy', '/policies', policyEditor(s, undefined, '', { error: 'the policy is larger than 1 MiB' }), 400);
    let draft;
    try {
      draft = parsePolicy(text, 'the policy');
    } catch (e) {
      if (!isCustomsError(e)) throw e;
      return render(c, 'Policy', '/policies', policyEditor(s, undefined, text, { error: e.message }), 400);
    }
    if (form.action === 'apply') {
      try {
        const stored = await policies.apply(draft, { actor: `${s.name} (console)`, source: text });
        return render(c, `Policy ${draft.metadata.name} v${stored.version}`, '/policies', policyEditor(s, draft.metadata.name, text, { applied: stored.version, history: await policies.history(draft.metadata.name) }));
      } catch (e) {
        if (!isCustomsError(e)) throw e;
        return render(c, 'Policy', '/policies', policyEditor(s, draft.metadata.name, text, { error: e.message }), 400);
      }
    }
    const changes = await testDraft(deps.database, await policies.current(), draft, 10_000);
    return render(c, `Dry run: ${draft.metadata.name}`, '/policies', policyEditor(s, draft.metadata.name, text, { changes }));
  });

  app.get('/audit', reader, async (c) => {
    const before = q(c, 'before');
    const subject = q(c, 'subject', 300);
    const items = await policies.auditEntries({ limit: 100, ...(before && /^\d{1,15}$/.test(before) ? { before: Number(before) } : {}), ...(subject ? { subject } : {}) });
    return render(c, 'Audit log', '/audit', auditPage(items, subject ? { subject } : {}, items.length === 100 ? items[items.length - 1]!.id : null));
  });

  app.get('/jobs', reader, async (c) => {
    const state = q(c, 'state');
    const st = state && ['queued', 'running', 'failed', 'succeeded'].includes(state) ? state : undefined;
    const p = pageNo(c);
    return render(c, 'Jobs', '/jobs', jobsPage(sessionOf(c), await store.jobs(st, p, PER_PAGE), st, p, q(c, 'done', 300)));
  });
  app.post('/jobs/rescan', operator, async (c) => {
    const job = await store.job(String(formOf(c).id ?? '').slice(0, 64));
    if (!job) return c.text('no such job', 404);
    const { job: queued } = await deps.jobs.enqueue({ registry: String(job.registry), repository: String(job.repository), digest: (job.digest as string | null) ?? undefined, tag: (job.tag as string | null) ?? undefined, origin: RESCAN_ORIGIN, force: true }, deps.cfg.workers.maxAttempts);
    deps.onQueued?.();
    log.info({ jobId: queued.id, by: sessionOf(c).name }, 'console queued a re-scan');
    return c.redirect(`/jobs?done=${encodeURIComponent(`Re-scan queued for ${job.registry}/${job.repository}`)}`, 303);
  });
}

/** Only a local path is a place to return to after sign-in (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(next) ? next : '/';
}

function page404(message: string) {
  return html`<p>${message}.</p><p><a href="/images">Images</a></p>`;
}
