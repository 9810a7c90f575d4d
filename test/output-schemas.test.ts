// Every output format validated against its official JSON schema by an independent validator (ajv):
// CycloneDX 1.6 (the CycloneDX project's schemas, shipped in @cyclonedx/cyclonedx-library), SPDX 2.3
// (spdx/spdx-spec) and SARIF 2.1.0 (OASIS), on a real image with real findings: Debian packages with a
// DEP-5 copyright file, pip's aiohttp and a Go binary built here, against real PyPI and Go advisories.
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client.ts';
import { parseReference } from '../src/image/reference.ts';
import { toCycloneDxWithVulns } from '../src/report/cyclonedx-vulns.ts';
import { toSarif } from '../src/report/sarif.ts';
import { RegistryClient } from '../src/registry/client.ts';
import { toCycloneDx } from '../src/sbom/cyclonedx.ts';
import { toSpdx } from '../src/sbom/spdx.ts';
import { scanImage } from '../src/scan/scan-image.ts';
import type { ScanReport } from '../src/scan/types.ts';
import { VERSION } from '../src/version.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { buildFixtures } from './helpers/fixtures-build.ts';
import { dpkgStatus, pushImage } from './helpers/push.ts';
import { startRegistry, testConfig, type TestRegistry } from './helpers/registry.ts';
import { gzip, makeTar } from './helpers/tar.ts';
import { GO_DIR, PYPI_DIR } from './vulndb-helpers.ts';

const require = createRequire(import.meta.url);
// CommonJS packages: their default exports, typed
const Ajv2019 = require('ajv').default as typeof import('ajv').default;
const AjvDraft04 = require('ajv-draft-04').default as typeof import('ajv-draft-04').default;
const addFormats = require('ajv-formats').default as typeof import('ajv-formats').default;
const CDX = join(require.resolve('@cyclonedx/cyclonedx-library/package.json'), '../res/schema');
const SCHEMAS = join(import.meta.dirname, 'fixtures/schemas');
const json = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

let reg: TestRegistry;
let database: Database;
let report: ScanReport;
let ref: string;
const work = mkdtempSync(join(tmpdir(), 'customs-schemas-'));
const cfg = testConfig({ dataDir: work, database: { url: `file:${join(work, 'customs.db')}` } });

const COPYRIGHT = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: libfoo

Files: *
Copyright: 2020 Foo
License: LGPL-3+

Files: lib/*
Copyright: 2021 Foo
License: LGPL-3.0+
`;

beforeAll(async () => {
  const goDir = await buildFixtures('test/fixtures/go/build.sh', 'go');
  reg = await startRegistry({ auth: 'none' });
  const client = new RegistryClient(cfg);
  const layer = gzip(await makeTar([
    { path: 'etc/os-release', content: 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' },
    { path: 'var/lib/dpkg/status', content: dpkgStatus([['libfoo1', '1.0-1'], ['libc6', '2.36-9']]) },
    { path: 'usr/share/doc/libfoo1/copyright', content: COPYRIGHT },
    { path: 'usr/local/lib/python3.11/site-packages/aiohttp-3.7.3.dist-info/METADATA', content: 'Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.7.3\nLicense: Apache 2\n' },
    { path: 'usr/local/bin/app', content: readFileSync(join(goDir, 'hello')), mode: 0o755 },
  ]));
  await pushImage(client, reg.host, 'schema/app', 'v1', { layers: [{ data: layer }], config: { architecture: 'amd64', os: 'linux', config: { User: 'app' }, rootfs: { type: 'layers', diff_ids: [] } } });
  await client.close();
  database = await openDatabase(cfg);
  await new VulnStore(database).importFrom([GO_DIR, join(PYPI_DIR, 'aiohttp')]);
  ref = `${reg.host}/schema/app:v1`;
  report = await scanImage(ref, { cfg, database });
}, 300_000);

afterAll(async () => {
  database?.close();
  await reg?.stop();
  rmSync(work, { recursive: true, force: true });
});

function errorsOf(validate: { errors?: unknown[] | null }): string {
  return JSON.stringify(validate.errors?.slice(0, 5), null, 1);
}

describe('outputs against their official schemas', () => {
  it('has real findings to put in them', () => {
    expect(report.platforms[0]!.findings.map((f) => f.package.name)).toEqual(expect.arrayContaining(['aiohttp', 'stdlib']));
  });

  it('CycloneDX 1.6: the SBOM and the SBOM with vulnerabilities', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    // the bom schema refers to its companions by their file names, relative to its own $id
    ajv.addSchema({ ...json(join(CDX, 'spdx.SNAPSHOT.schema.json')), $id: 'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json' });
    ajv.addSchema({ ...json(join(CDX, 'jsf-0.82.SNAPSHOT.schema.json')), $id: 'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json' });
    const validate = ajv.compile(json(join(CDX, 'bom-1.6.SNAPSHOT.schema.json')));
    const sbom = toCycloneDx({ ref: parseReference(ref), toolVersion: VERSION, timestamp: report.finishedAt, inventories: report.platforms.map((p) => p.inventory) });
    expect(validate(sbom), errorsOf(validate)).toBe(true);
    const withVulns = toCycloneDxWithVulns(report) as { vulnerabilities: unknown[] };
    expect(withVulns.vulnerabilities.length).toBeGreaterThan(0);
    expect(validate(withVulns), errorsOf(validate)).toBe(true);
  });

  it('SPDX 2.3: valid, the OS package purpose spelled as the schema wants, licenses without repeated terms', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(json(join(SCHEMAS, 'spdx-2.3.schema.json')));
    const doc = toSpdx({ ref: parseReference(ref), toolVersion: VERSION, timestamp: report.finishedAt, inventories: report.platforms.map((p) => p.inventory) }) as any;
    expect(validate(doc), errorsOf(validate)).toBe(true);
    expect(doc.packages.filter((p: any) => p.primaryPackagePurpose === 'OPERATING_SYSTEM')).toHaveLength(1);
    // LGPL-3+ and LGPL-3.0+ are one license: not "LGPL-3.0-or-later AND LGPL-3.0-or-later"
    expect(doc.packages.find((p: any) => p.name === 'libfoo1').licenseDeclared).toBe('LGPL-3.0-or-later');
  });

  it('SARIF 2.1.0: valid, with fingerprints that survive a rebuild', () => {
    const ajv = new AjvDraft04({ strict: false, allErrors: true });
    addFormats(ajv);
    const validate = ajv.compile(json(join(SCHEMAS, 'sarif-2.1.0.schema.json')));
    const sarif = toSarif(report) as any;
    expect(validate(sarif), errorsOf(validate)).toBe(true);
    // GitHub code scanning: every result names a rule of the run and carries a fingerprint
    const rules = new Set(sarif.runs[0].tool.driver.rules.map((r: any) => r.id));
    for (const r of sarif.runs[0].results) {
      expect(rules.has(r.ruleId)).toBe(true);
      expect(Object.values(r.partialFingerprints)[0]).not.toContain(report.platforms[0]!.inventory.manifestDigest);
    }
    // the same findings in a rebuilt image (another digest) give the same fingerprints
    const rebuilt = structuredClone(report);
    rebuilt.rootDigest = 'sha256:' + 'b'.repeat(64);
    rebuilt.platforms[0]!.inventory.manifestDigest = rebuilt.rootDigest;
    const fp = (s: any) => s.runs[0].results.map((r: any) => r.partialFingerprints);
    expect(fp(toSarif(rebuilt))).toEqual(fp(sarif));
  });
});
