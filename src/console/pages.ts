// The console's page bodies: plain functions from data to escaped HTML (no I/O here).
import { html } from 'hono/html';
import type { ScanReport } from '../scan/types.ts';
import { platformFixPlan } from '../report/fix-plan.ts';
import { formatPlatform } from '../image/manifest.ts';
import { packageVersion } from '../sbom/package-version.ts';
import { ratingSourceName } from '../report/rating-source.ts';
import { severityRank } from '../report/filter.ts';
import type { DbStatus } from '../vulndb/types.ts';
import type { AuditEntry } from '../policy/store.ts';
import type { DraftChange } from '../judge/draft-test.ts';
import { dailyChart } from './chart.ts';
import type { ConsoleStore, ImageFilter, ImageRow } from './console-store.ts';
import { SEVERITY_FILTERS, SORTS } from './console-store.ts';
import { badge, csrfField, pager, short, when, type Html } from './layout.ts';
import { canDo, type Session } from './session.ts';

type Overview = Awaited<ReturnType<ConsoleStore['overview']>>;

export function overviewPage(o: Overview, db: DbStatus): Html {
  const age = db.updatedAt ? Math.round((Date.now() - Date.parse(db.updatedAt)) / 3600_000) : undefined;
  return html`<section class="cards" aria-label="Totals">
<a class="card" href="/images"><span class="n">${o.images}</span> images seen</a>
<a class="card pass" href="/images?verdict=pass"><span class="n">${o.byVerdict.pass ?? 0}</span> pass</a>
<a class="card warn" href="/images?verdict=warn"><span class="n">${o.byVerdict.warn ?? 0}</span> warn</a>
<a class="card fail" href="/images?verdict=fail"><span class="n">${o.byVerdict.fail ?? 0}</span> fail</a>
<a class="card fail" href="/quarantine"><span class="n">${o.quarantined}</span> quarantined now</a>
<a class="card" href="/jobs?state=queued"><span class="n">${o.jobs.queued ?? 0}</span> jobs queued</a>
<a class="card ${o.jobs.failed ? 'fail' : ''}" href="/jobs?state=failed"><span class="n">${o.jobs.failed ?? 0}</span> jobs failed</a></section>
<h2>Last 30 days</h2>${dailyChart(o.series)}
<h2>Vulnerability data</h2>
<p>${db.version ? html`Database ${db.version}, ${db.advisories} advisories, updated ${when(db.updatedAt)}${age !== undefined ? ` (${age} h ago)` : ''}.` : html`<strong>The vulnerability database is empty</strong>: no finding can be reported until <code>customs db update</code> runs.`}</p>
${Object.keys(db.ecosystems).length ? html`<table><caption>Advisories per ecosystem</caption><thead><tr><th scope="col">Ecosystem</th><th scope="col">Advisories</th></tr></thead><tbody>
${Object.entries(db.ecosystems).sort((a, b) => b[1] - a[1]).map(([e, k]) => html`<tr><td>${e}</td><td class="num">${k}</td></tr>`)}</tbody></table>` : ''}`;
}

export function imagesPage(rows: ImageRow[], total: number, f: ImageFilter, registries: string[]): Html {
  const q = { registry: f.registry, repository: f.repository, tag: f.tag, verdict: f.verdict, severity: f.severity, quarantined: f.quarantined ? '1' : undefined, sort: f.sort };
  const opt = (v: string, cur: string | undefined, label = v) => html`<option value="${v}"${v === (cur ?? '') ? html` selected` : ''}>${label}</option>`;
  return html`<form method="get" action="/images" class="filters" role="search">
<label>Registry <select name="registry">${opt('', f.registry, 'any')}${registries.map((r) => opt(r, f.registry))}</select></label>
<label>Repository <input name="repository" value="${f.repository ?? ''}" maxlength="255"></label>
<label>Tag <input name="tag" value="${f.tag ?? ''}" maxlength="128"></label>
<label>Verdict <select name="verdict">${opt('', f.verdict, 'any')}${['fail', 'warn', 'pass', 'none'].map((v) => opt(v, f.verdict, v === 'none' ? 'not judged' : v))}</select></label>
<label>Severity at least <select name="severity">${opt('', f.severity, 'any')}${SEVERITY_FILTERS.map((s) => opt(s, f.severity))}</select></label>
<label><input type="checkbox" name="quarantined" value="1"${f.quarantined ? html` checked` : ''}> quarantined</label>
<label>Sort <select name="sort">${Object.keys(SORTS).map((s) => opt(s, f.sort))}</select></label>
<button>Filter</button></form>
<table class="list"><caption>${total} images</caption><thead><tr><th scope="col">Image</th><th scope="col">Tags</th><th scope="col">Verdict</th><th scope="col">Critical</th><th scope="col">High</th><th scope="col">Medium</th><th scope="col">Low</th><th scope="col">Last seen</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td><a href="${imageHref(r)}">${r.registry}/${r.repository}@${short(r.digest)}</a></td><td>${r.tags.join(', ')}</td>
<td>${badge(r.verdict)}${r.quarantine === 'quarantined' ? html` <span class="badge fail">quarantined</span>` : ''}</td>
<td class="num">${r.findings === null ? '–' : r.critical}</td><td class="num">${r.findings === null ? '–' : r.high}</td><td class="num">${r.findings === null ? '–' : r.medium}</td><td class="num">${r.findings === null ? '–' : r.low}</td><td>${when(r.lastSeenAt)}</td></tr>`)}
</tbody></table>${pager('/images', q, f.page, f.perPage, total)}`;
}

export function imageHref(i: { registry: string; repository: string; digest: string }): string {
  return `/images/${encodeURIComponent(i.registry)}/${i.repository.split('/').map(encodeURIComponent).join('/')}/@${i.digest}`;
}

export function imagePage(
  s: Session, img: { registry: string; repository: string; digest: string },
  data: NonNullable<Awaited<ReturnType<ConsoleStore['image']>>>, verdicts: Awaited<ReturnType<ConsoleStore['verdicts']>>,
  publication: { state: 'pending' | 'published' | 'disabled'; attempts?: number; lastError?: string | undefined; dueAt?: string } = { state: 'disabled' },
): Html {
  const report: ScanReport | undefined = data.report;
  const root = verdicts.current.find((v) => v.digest === v.root_digest);
  const details = root ? JSON.parse(String(root.details)) : undefined;
  const sbom = `/sbom/${img.digest}?${new URLSearchParams({ registry: img.registry, repository: img.repository })}`;
  return html`<p class="ref">${img.registry}/${img.repository}@${img.digest}${data.tags.length ? html` · tags ${data.tags.join(', ')}` : ''}</p>
<section aria-labelledby="verdict-h"><h2 id="verdict-h">Verdict</h2>
${root ? html`<p>${badge(String(root.verdict))} under policy <a href="/policies/${encodeURIComponent(String(root.policy_name))}">${root.policy_name}</a> version ${root.policy_version} (${root.mode}), ${when(Number(root.evaluated_at))}${root.quarantine === 'quarantined' ? html` — <strong>quarantined</strong>${root.gated ? ', pulls refused by the gate' : ''}` : root.quarantine === 'released' ? html` — released by ${root.released_by} (${root.release_reason})` : ''}</p>
<ul class="reasons">${((details?.platforms ?? []) as { reasons?: { message?: string; rule?: string }[] }[]).flatMap((p) => p.reasons ?? []).slice(0, 50).map((r) => html`<li>${r.message ?? JSON.stringify(r)}</li>`)}</ul>
${root.quarantine === 'quarantined' && canDo(s, 'operator') ? html`<p><a class="button" href="/quarantine#${img.digest}">Release…</a></p>` : ''}` : html`<p>No verdict yet.</p>`}
${verdicts.history.length ? html`<details><summary>History (${verdicts.history.length})</summary><ul>${verdicts.history.map((h) => html`<li>${when(h.at as number)} ${h.actor}: ${h.action}${h.reason ? html` — ${h.reason}` : ''}</li>`)}</ul></details>` : ''}</section>
<p>Signed attestations and status tag: ${publication.state === 'pending' ? html`<strong>pending</strong> (${publication.attempts} attempts${publication.lastError ? html`, last error: ${publication.lastError}` : ''}; next ${when(publication.dueAt)})` : publication.state === 'published' ? 'written to the registry for the current verdict' : 'not written (attestations and status tags are off)'}.
Signature checks are among the verdict's reasons when the policy has a <code>signature</code> rule.</p>
<p>SBOM: <a href="${sbom}&amp;format=cyclonedx" download>CycloneDX</a> · <a href="${sbom}&amp;format=spdx" download>SPDX</a></p>
${report ? report.platforms.map((p) => platformSection(p)) : html`<p>Not scanned yet.</p>`}`;
}

function platformSection(p: ScanReport['platforms'][number]): Html {
  const inv = p.inventory;
  const plan = platformFixPlan(p);
  const findings = [...p.findings].sort((a, b) => severityRank(b.severity.rating) - severityRank(a.severity.rating) || a.package.name.localeCompare(b.package.name));
  const layerOf = new Map(inv.layers.map((l, i) => [l.digest, i]));
  const baseLayers = plan.baseLayers.count;
  const hy = p.hygiene;
  return html`<section class="platform"><h2>${formatPlatform(inv.platform)} · ${inv.os?.prettyName ?? inv.os?.id ?? 'unknown OS'}</h2>
<h3>Layers</h3><ol class="layers">${inv.layers.map((l, i) => html`<li><code>${short(l.digest)}</code> ${(l.size / 1048576).toFixed(1)} MB${baseLayers !== undefined ? (i < baseLayers ? ' · base image' : ' · application') : ''} · ${inv.packages.filter((x) => x.layerIndex === i).length} packages</li>`)}</ol>
${plan.upgrades.length ? html`<h3>Fix first</h3><ol>${plan.upgrades.slice(0, 10).map((u) => html`<li>${u.guidance}${u.origin && u.origin !== 'unknown' ? ` (${u.origin} layers)` : ''}</li>`)}</ol>` : ''}
<h3>Vulnerabilities (${findings.length})</h3>
${findings.length ? html`<table class="list"><thead><tr><th scope="col">Package</th><th scope="col">Installed</th><th scope="col">Vulnerability</th><th scope="col">Severity</th><th scope="col">Rated by</th><th scope="col">Fixed in</th><th scope="col">EPSS</th><th scope="col">KEV</th><th scope="col">Layer</th><th scope="col">Title</th></tr></thead><tbody>
${findings.map((f) => html`<tr><td>${f.package.name}</td><td>${f.package.version}</td><td><a href="https://osv.dev/vulnerability/${encodeURIComponent(f.advisories[0] ?? f.id)}" rel="noreferrer">${f.id}</a></td>
<td><span class="sev ${f.severity.rating}">${f.severity.rating}${f.severity.score !== undefined ? ` ${f.severity.score.toFixed(1)}` : ''}</span></td><td>${ratingSourceName(f.severity)}</td><td>${f.fixedVersion ?? ''}</td>
<td class="num">${f.epss ? f.epss.score.toFixed(3) : ''}</td><td>${f.kev ? 'yes' : ''}</td><td class="num">${f.layer !== undefined ? layerOf.get(f.layer) ?? '' : ''}</td><td>${f.summary ?? ''}</td></tr>`)}</tbody></table>` : html`<p>None.</p>`}
${hy?.secrets.length ? html`<h3>Secrets (${hy.secrets.length})</h3><ul>${hy.secrets.map((x) => html`<li><strong>${x.title}</strong> in <code>${x.path}</code>${x.line ? `:${x.line}` : ''} — <code>${x.masked}</code>${x.visible ? '' : ' (deleted by a later layer, still in the image)'}</li>`)}</ul>` : ''}
${hy?.config.length ? html`<h3>Configuration</h3><ul>${hy.config.map((x) => html`<li><span class="sev ${x.severity}">${x.severity}</span> ${x.title}${x.detail ? ` — ${x.detail}` : ''}</li>`)}</ul>` : ''}
${hy?.eol.length ? html`<h3>End of life</h3><ul>${hy.eol.map((x) => html`<li>${x.product} ${x.cycle}: ${x.status}${x.eolDate ? ` since ${x.eolDate}` : ''}</li>`)}</ul>` : ''}
<details><summary>Packages and licenses (${inv.packages.length})</summary><table class="list"><thead><tr><th scope="col">Type</th><th scope="col">Name</th><th scope="col">Version</th><th scope="col">License</th><th scope="col">Layer</th></tr></thead><tbody>
${inv.packages.map((x) => html`<tr><td>${x.type}</td><td>${x.name}</td><td>${packageVersion(x)}</td><td>${x.license ?? ''}</td><td class="num">${x.layerIndex ?? ''}</td></tr>`)}</tbody></table></details></section>`;
}

export function quarantinePage(s: Session, data: Awaited<ReturnType<ConsoleStore['quarantined']>>, page: number, perPage: number, message?: string): Html {
  return html`${message ? html`<p role="status" class="notice">${message}</p>` : ''}
${data.rows.length ? data.rows.map((r) => html`<article class="q" id="${r.digest}"><h2><a href="${imageHref(r)}">${r.registry}/${r.repository}@${short(r.digest)}</a></h2>
<p>${r.summary} (policy ${r.policyName} v${r.policyVersion}, ${when(r.evaluatedAt)})</p>
<p>A release undoes: ${r.actions.length ? r.actions.map((a, i) => html`${i ? '; ' : ''}${a.type} (${a.detail})`) : 'no registry action'}${r.gated ? '; the gate lets pulls through again' : ''}.</p>
${canDo(s, 'operator') ? html`<form method="post" action="/quarantine/release">${csrfField(s)}<input type="hidden" name="digest" value="${r.digest}"><input type="hidden" name="repository" value="${r.repository}">
<label>Reason for the release <input name="reason" required minlength="3" maxlength="500"></label> <button>Release</button></form>` : ''}</article>`) : html`<p>Nothing is quarantined.</p>`}
${pager('/quarantine', {}, page, perPage, data.total)}`;
}

export function policiesPage(s: Session, list: { name: string; version: number; mode: string; createdAt: string; createdBy: string }[], vex: Html = html``): Html {
  return html`${list.length ? '' : html`<p>No policy stored: the built-in default policy governs every image.</p>`}<table class="list"><thead><tr><th scope="col">Policy</th><th scope="col">Version</th><th scope="col">Mode</th><th scope="col">Changed</th></tr></thead><tbody>
${list.map((p) => html`<tr><td><a href="/policies/${encodeURIComponent(p.name)}">${p.name}</a></td><td class="num">${p.version}</td><td>${p.mode}</td><td>${when(p.createdAt)} by ${p.createdBy}</td></tr>`)}</tbody></table>
${canDo(s, 'admin') ? html`<p><a class="button" href="/policies/new">New policy</a></p>` : ''}
<h2>OpenVEX</h2>${vex}`;
}

export interface ExceptionRow { id: string; package?: string | undefined; repository?: string | undefined; owner: string; expires: string; justification: string }

/** Exceptions of a policy, the expired and those expiring within 14 days marked. */
function exceptionsTable(rows: ExceptionRow[], now = Date.now()): Html {
  if (!rows.length) return html``;
  const state = (e: ExceptionRow) => { const t = Date.parse(e.expires); return t < now ? 'expired' : t < now + 14 * 86_400_000 ? 'expiring soon' : ''; };
  return html`<h2>Exceptions (${rows.length})</h2><table class="list"><thead><tr><th scope="col">Vulnerability</th><th scope="col">Package</th><th scope="col">Repositories</th><th scope="col">Owner</th><th scope="col">Expires</th><th scope="col">Justification</th></tr></thead><tbody>
${[...rows].sort((a, b) => a.expires.localeCompare(b.expires)).map((e) => html`<tr${state(e) ? html` class="soon"` : ''}><td>${e.id}</td><td>${e.package ?? 'any'}</td><td>${e.repository ?? 'all'}</td><td>${e.owner}</td><td>${e.expires}${state(e) ? html` <strong>(${state(e)})</strong>` : ''}</td><td>${e.justification}</td></tr>`)}</tbody></table>`;
}

export function vexTable(docs: { docId: string; importedAt: number; importedBy: string; statements: number }[]): Html {
  if (!docs.length) return html`<p>No OpenVEX document imported (<code>customs policy vex -f FILE</code> or <code>POST /api/v1/vex</code>).</p>`;
  return html`<table class="list"><caption>OpenVEX documents</caption><thead><tr><th scope="col">Document</th><th scope="col">Statements</th><th scope="col">Imported</th></tr></thead><tbody>
${docs.map((d) => html`<tr><td>${d.docId}</td><td class="num">${d.statements}</td><td>${when(d.importedAt)} by ${d.importedBy}</td></tr>`)}</tbody></table>`;
}

export function policyEditor(s: Session, name: string | undefined, yamlText: string, opts: { error?: string; changes?: { evaluated: number; images: DraftChange[] }; history?: { version: number; createdAt: string; createdBy: string }[]; applied?: number; exceptions?: ExceptionRow[] } = {}): Html {
  const admin = canDo(s, 'admin');
  return html`${opts.applied ? html`<p role="status" class="notice">Applied as version ${opts.applied}; stored images are being judged again.</p>` : ''}
${opts.error ? html`<p role="alert" class="error">${opts.error}</p>` : ''}
<form method="post" action="/policies/draft">${csrfField(s)}
<label for="doc">Policy (YAML)</label><textarea id="doc" name="doc" rows="24" spellcheck="false"${admin ? '' : html` readonly`}>${yamlText}</textarea>
${admin ? html`<p><button name="action" value="dry-run">Dry run</button> <button name="action" value="apply">Apply</button></p>` : ''}</form>
${opts.changes ? html`<section aria-labelledby="dry-h"><h2 id="dry-h">Dry run: ${opts.changes.images.length} of ${opts.changes.evaluated} stored images would change</h2>
${opts.changes.images.length ? html`<table class="list"><thead><tr><th scope="col">Image</th><th scope="col">Now</th><th scope="col">With this policy</th><th scope="col">Why</th></tr></thead><tbody>
${opts.changes.images.map((c) => html`<tr><td>${c.image}</td><td>${badge(c.before)}</td><td>${badge(c.after)}</td><td>${c.reasons.slice(0, 3).join('; ')}</td></tr>`)}</tbody></table>` : html`<p>No verdict would change.</p>`}</section>` : ''}
${exceptionsTable(opts.exceptions ?? [])}
${opts.history?.length ? html`<h2>Versions</h2><ul>${opts.history.map((h) => html`<li><a href="/policies/${encodeURIComponent(name ?? '')}?version=${h.version}">v${h.version}</a> ${when(h.createdAt)} by ${h.createdBy}</li>`)}</ul>` : ''}`;
}

export function auditPage(items: AuditEntry[], filter: { subject?: string; actor?: string }, next: number | null): Html {
  return html`<form method="get" action="/audit" class="filters" role="search"><label>Subject <input name="subject" value="${filter.subject ?? ''}" maxlength="300"></label> <button>Filter</button></form>
<table class="list"><thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Subject</th><th scope="col">Why</th></tr></thead><tbody>
${items.map((e) => html`<tr><td>${when(e.at)}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.subject}</td><td>${e.reason ?? ''}</td></tr>`)}</tbody></table>
${next ? html`<p><a href="/audit?${new URLSearchParams({ ...(filter.subject ? { subject: filter.subject } : {}), before: String(next) })}">Older entries</a></p>` : ''}`;
}

export function jobsPage(s: Session, rows: Awaited<ReturnType<ConsoleStore['jobs']>>, state: string | undefined, page: number, message?: string): Html {
  return html`${message ? html`<p role="status" class="notice">${message}</p>` : ''}<p>${['', 'queued', 'running', 'failed', 'succeeded'].map((st) => html`<a href="/jobs${st ? `?state=${st}` : ''}"${(state ?? '') === st ? html` aria-current="page"` : ''}>${st || 'all'}</a> `)}</p>
<table class="list"><thead><tr><th scope="col">Image</th><th scope="col">State</th><th scope="col">Origin</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Updated</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>
${rows.map((j) => html`<tr><td>${j.registry}/${j.repository}${j.digest ? `@${short(String(j.digest))}` : j.tag ? `:${j.tag}` : ''}</td><td>${j.state}</td><td>${j.origin}</td><td class="num">${j.attempts}/${j.max_attempts}</td><td>${j.last_error ?? ''}</td><td>${when(Number(j.updated_at))}</td>
<td>${canDo(s, 'operator') && (j.state === 'failed' || j.state === 'succeeded') ? html`<form method="post" action="/jobs/rescan" class="inline">${csrfField(s)}<input type="hidden" name="id" value="${String(j.id)}"><button>Re-scan</button></form>` : ''}</td></tr>`)}</tbody></table>
<p>${page > 1 ? html`<a href="/jobs?${new URLSearchParams({ ...(state ? { state } : {}), page: String(page - 1) })}">Previous</a> ` : ''}${rows.length === 50 ? html`<a href="/jobs?${new URLSearchParams({ ...(state ? { state } : {}), page: String(page + 1) })}">Next</a>` : ''}</p>`;
}

export function loginPage(next: string, error?: string): Html {
  return html`${error ? html`<p role="alert" class="error">${error}</p>` : ''}<form method="post" action="/login" class="login">
<input type="hidden" name="next" value="${next}"><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="current-password" required>
<button>Sign in</button></form><p>Sign in with a Customs API token (<code>api.tokens</code>); its role decides what you may do.</p>`;
}
