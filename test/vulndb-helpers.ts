import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { loadConfig } from '../src/config/load.ts';
import { openDatabase, type Database } from '../src/db/client.ts';
import { VulnStore } from '../src/vulndb/store.ts';
import { collect } from './helpers/util.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/osv/', import.meta.url));
export const GO_DIR = join(FIXTURES, 'go');
export const PYPI_DIR = join(FIXTURES, 'pypi');
/** counts of the real advisories in test/fixtures/osv */
export const GO_FILES = 152;
export const GO_WITHDRAWN = 17;
export const PYPI_FILES = 36;
export const PYPI_WITHDRAWN = 10;

export async function freshStore(): Promise<{ store: VulnStore; db: Database; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'customs-vulndb-'));
  const db = await openDatabase(loadConfig({ env: { CUSTOMS_DATA: dataDir } }));
  return { store: new VulnStore(db), db, dataDir };
}

export function goAdvisory(id: string): any {
  return JSON.parse(readFileSync(join(GO_DIR, `${id}.json`), 'utf8'));
}

export function goFiles(): string[] {
  return readdirSync(GO_DIR).filter((f) => f.endsWith('.json')).sort();
}

/** Build a zip in memory. `store: true` keeps entries uncompressed (so tests can corrupt bytes). */
export async function buildZip(entries: { name: string; data: Buffer | string }[], store = false): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) zip.addBuffer(Buffer.from(e.data), e.name, { compress: !store });
  zip.end();
  return collect(zip.outputStream as AsyncIterable<Buffer>);
}
