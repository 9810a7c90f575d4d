// The operator console in a real browser: Debian's Chromium driven by puppeteer-core against a running
// service with a real registry, real scans, the pull gate and the three roles. Sign in per role,
// filter images, read an image's findings, release a quarantined image with a reason and see the
// gate open, dry-run and apply a policy, and check every main page with axe-core.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MT } from '../src/image/media-types.ts';
import { openDatabase } from '../src/db/client.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { startService, type RunningService } from '../src/server/service.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { pushDebianImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { waitFor } from './helpers/util.ts';

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const TOKENS = { admin: 'console-admin-token-0123456789', operator: 'console-operator-token-012345', reader: 'console-reader-token-01234567' };
const POLICY = `apiVersion: customs.dev/v1
kind: Policy
metadata: { name: prod }
spec:
  missingScan: pass
  rules:
    - { type: deny-packages, packages: ["telnetd"] }
  exceptions:
    - { id: CVE-2024-9999, owner: team-shop, expires: "${new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10)}", justification: "telnetd is not started" }
  actions:
    fail: [{ type: gate }]
`;
// an advisory whose summary is markup: the console must show it as text
const XSS = '<img src=x onerror="window.__xss=1">';
const ADVISORY = {
  id: 'DEBIAN-CVE-2024-9999', modified: '2024-01-01T00:00:00Z', upstream: ['CVE-2024-9999'], summary: `telnetd: overflow ${XSS}`,
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
  affected: [{ package: { ecosystem: 'Debian:12', name: 'telnetd' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '0.17-45' }] }] }],
};

let reg: TestRegistry;
let svc: RunningService;
let browser: Browser;
let dir: string;
let base: string;
let gate: string;
let bad: string;
let clean: string;
const client = new RegistryClient(testConfig());
const shots = process.env.CONSOLE_SCREENSHOTS;

const api = (path: string, init: RequestInit = {}, token = TOKENS.admin) =>
  fetch(`${base}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` } });
const pull = (repo: string, ref: string) => fetch(`${gate}/v2/${repo}/manifests/${ref}`, { headers: { accept: MT.ociManifest } }).then((r) => r.status);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'customs-console-'));
  reg = await startRegistry();
  const cfg = testConfig({
    dataDir: dir, database: { url: `file:${join(dir, 'customs.db')}` }, server: { host: '127.0.0.1', port: 0 },
    api: { tokens: [{ name: 'ada', token: TOKENS.admin, role: 'admin' }, { name: 'otto', token: TOKENS.operator, role: 'operator' }, { name: 'rita', token: TOKENS.reader, role: 'reader' }] },
    workers: { concurrency: 2, pollMs: 50, leaseMs: 5000, backoffMs: 50, maxBackoffMs: 200 },
    gate: { enabled: true, port: 0, upstream: `http://${reg.host}` },
  });
  const db = await openDatabase(cfg);
  writeFileSync(join(dir, 'adv.json'), JSON.stringify(ADVISORY));
  await new VulnStore(db).importFrom([join(dir, 'adv.json')]);
  db.close();
  svc = await startService(cfg);
  base = `http://127.0.0.1:${svc.port}`;
  gate = `http://127.0.0.1:${svc.gatePort}`;
  expect((await api('/api/v1/policies/prod', { method: 'PUT', body: POLICY })).status).toBe(201);
  bad = (await pushDebianImage(client, reg.host, 'shop/web', 'v1', [['telnetd', '0.17-44'], ['libc6', '2.36-9']])).manifestDigest;
  clean = (await pushDebianImage(client, reg.host, 'shop/api', 'v2', [['libc6', '2.36-9']])).manifestDigest;
  for (const [repo, d] of [['shop/web', bad], ['shop/api', clean]] as const) {
    expect((await api('/api/v1/scans', { method: 'POST', body: JSON.stringify({ image: `${reg.host}/${repo}@${d}` }) })).status).toBe(202);
  }
  await waitFor('the quarantine', async () => (await pull('shop/web', bad)) === 403 || undefined, 60_000);
  await waitFor('the clean verdict', async () => (await api(`/api/v1/images/${clean}/verdict`)).status === 200 || undefined, 60_000);
  browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  if (shots) mkdirSync(shots, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await svc?.stop();
  await reg?.stop();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(role: keyof typeof TOKENS): Promise<Page> {
  const ctx = await browser.createBrowserContext();
  const page = await ctx.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.type('#token', TOKENS[role]);
  await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
  expect(new URL(page.url()).pathname).toBe('/');
  return page;
}

async function axe(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const r = await page.evaluate(async () => (await (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] })).violations.map((v: any) => ({ id: v.id, impact: v.impact, n: v.nodes.length, help: v.help })));
  return (r as { id: string; impact: string; n: number; help: string }[]).filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.n}): ${v.help}`);
}

const text = (page: Page) => page.evaluate(() => (globalThis as any).document.body.innerText);

describe('signing in', () => {
  it('an unknown token is refused; no session, no page', async () => {
    const page = await (await browser.createBrowserContext()).newPage();
    await page.goto(`${base}/images`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.type('#token', 'not-a-token-not-a-token');
    const [res] = await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
    expect(res!.status()).toBe(401);
    expect(await text(page)).toMatch(/not one Customs knows/);
    const headers = res!.headers();
    expect(headers['content-security-policy']).toMatch(/script-src 'self';.*frame-ancestors 'none'/);
    expect(headers['content-security-policy']).not.toMatch(/unsafe-inline/);
  });
});

describe('a reader', () => {
  it('sees the overview, filters images and reads an image (markup in advisory text stays text)', async () => {
    const page = await signIn('reader');
    const overview = await text(page);
    expect(overview).toMatch(/2\s*images seen/);
    expect(overview).toMatch(/1\s*quarantined now/);
    expect(await page.$('svg[role="img"]')).not.toBeNull();
    if (shots) await page.screenshot({ path: join(shots, 'overview.png'), fullPage: true });
    await page.goto(`${base}/images?verdict=fail`);
    const rows = await page.$$eval('table.list tbody tr', (trs) => trs.map((t) => (t as any).innerText as string));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/shop\/web/);
    await page.goto(`${base}/images?repository=api`);
    expect(await page.$$eval('table.list tbody tr', (trs) => trs.length)).toBe(1);
    if (shots) await page.screenshot({ path: join(shots, 'images.png'), fullPage: true });
    await page.goto(`${base}/images?verdict=fail`);
    await Promise.all([page.waitForNavigation(), page.click('table.list tbody a')]);
    const image = await text(page);
    expect(image).toMatch(/denied package: telnetd 0\.17-44/);
    expect(image).toMatch(/CVE-2024-9999/);
    expect(image).toContain(XSS); // shown as text …
    expect(await page.evaluate(() => (globalThis as any).__xss)).toBeUndefined(); // … never run
    expect(await page.$$eval('main img', (x) => x.length)).toBe(0);
    expect(image).not.toMatch(/Release…/); // a reader is not offered the action
    expect(image).toMatch(/Signed attestations and status tag: not written \(attestations and status tags are off\)/);
    if (shots) await page.screenshot({ path: join(shots, 'image.png'), fullPage: true });
    // the SBOM downloads through the session
    const sbomHref = await page.$eval('a[download]', (a) => (a as any).href);
    const sbom = await page.evaluate(async (h) => (await fetch(h)).json(), sbomHref);
    expect((sbom as any).bomFormat).toBe('CycloneDX');
  }, 60_000);

  it('cannot release, even by posting the form itself', async () => {
    const page = await signIn('reader');
    await page.goto(`${base}/quarantine`);
    expect(await page.$('form[action="/quarantine/release"]')).toBeNull();
    const csrf = await page.$eval('input[name="_csrf"]', (i) => (i as any).value);
    const status = await page.evaluate(async (args) => (await fetch('/quarantine/release', { method: 'POST', body: new URLSearchParams({ _csrf: args.csrf, digest: args.bad, repository: 'shop/web', reason: 'trying' }) })).status, { csrf, bad });
    expect(status).toBe(403);
    expect(await pull('shop/web', bad)).toBe(403);
  });
});

describe('an operator', () => {
  it('releases the quarantined image with a reason; the gate opens', async () => {
    const page = await signIn('operator');
    await page.goto(`${base}/quarantine`);
    expect(await text(page)).toMatch(/A release undoes: .*gate lets pulls through again/s);
    if (shots) await page.screenshot({ path: join(shots, 'quarantine.png'), fullPage: true });
    // without the CSRF token the server refuses
    const forged = await page.evaluate(async (d) => (await fetch('/quarantine/release', { method: 'POST', body: new URLSearchParams({ digest: d, repository: 'shop/web', reason: 'x' }) })).status, bad);
    expect(forged).toBe(403);
    await page.type('form[action="/quarantine/release"] input[name="reason"]', 'telnetd is disabled in this deployment (INC-4711)');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/quarantine/release"] button')]);
    expect(await text(page)).toMatch(/Released shop\/web@/);
    expect(await pull('shop/web', bad)).toBe(200);
    const audit = await (await api('/api/v1/audit?limit=10')).json() as any;
    expect(audit.items.find((e: any) => e.action === 'release')).toMatchObject({ actor: 'otto (console)', reason: 'telnetd is disabled in this deployment (INC-4711)' });
  }, 60_000);

  it('queues a re-scan from the jobs page', async () => {
    const page = await signIn('operator');
    await page.goto(`${base}/jobs`);
    await Promise.all([page.waitForNavigation(), page.click('form[action="/jobs/rescan"] button')]);
    expect(await text(page)).toMatch(/Re-scan queued for/);
  });
});

describe('an admin', () => {
  it('dry-runs a policy (which images would change and why), then applies it', async () => {
    const page = await signIn('admin');
    await page.goto(`${base}/policies/prod`);
    expect(await text(page)).toMatch(/CVE-2024-9999\s+any\s+all\s+team-shop\s+\S+ \(expiring soon\)/);
    const draft = POLICY.replace('packages: ["telnetd"]', 'packages: ["telnetd", "libc6"]');
    await page.$eval('#doc', (t, v) => { (t as any).value = v as string; }, draft);
    await Promise.all([page.waitForNavigation(), page.click('button[value="dry-run"]')]);
    const dry = await text(page);
    expect(dry).toMatch(/Dry run: \d+ of \d+ stored images would change/);
    expect(dry).toMatch(/shop\/api.*pass\s*fail.*libc6/s);
    if (shots) await page.screenshot({ path: join(shots, 'policy-dry-run.png'), fullPage: true });
    // a broken document gets the API's field-precise message
    await page.$eval('#doc', (t) => { (t as any).value = 'apiVersion: customs.dev/v1\nkind: Policy\nmetadata: { name: prod }\nspec: { rules: [{ type: nonsense }] }\n'; });
    await Promise.all([page.waitForNavigation(), page.click('button[value="dry-run"]')]);
    expect(await page.$eval('[role="alert"]', (e) => (e as any).innerText)).toMatch(/rules/);
    await page.$eval('#doc', (t, v) => { (t as any).value = v as string; }, draft);
    await Promise.all([page.waitForNavigation(), page.click('button[value="apply"]')]);
    expect(await text(page)).toMatch(/Applied as version 2/);
    const stored = await (await api('/api/v1/policies/prod')).json() as any;
    expect(stored.version).toBe(2);
  }, 60_000);

  it('every main page has no serious accessibility violation (axe-core)', async () => {
    const page = await signIn('admin');
    const paths = ['/', '/images', '/quarantine', '/policies', '/policies/prod', '/audit', '/jobs', '/policies/new'];
    const img = await page.goto(`${base}/images?repository=web`).then(() => page.$eval('table.list tbody a', (a) => (a as any).pathname));
    for (const p of [...paths, img]) {
      await page.goto(`${base}${p}`);
      expect(await axe(page), p).toEqual([]);
    }
    if (shots) { await page.goto(`${base}/audit`); await page.screenshot({ path: join(shots, 'audit.png'), fullPage: true }); }
  }, 120_000);
});
