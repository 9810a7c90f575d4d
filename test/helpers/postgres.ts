import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';

/** A new, empty database in the run's private PostgreSQL cluster (test/global-postgres.ts); its URL. */
export async function freshPgDatabase(): Promise<string> {
  const admin = inject('pgUrl');
  if (admin.startsWith('missing:')) throw new Error(admin);
  const name = `t_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
  return admin.replace(/\/postgres$/, `/${name}`);
}

/** An ECDSA P-256 signing key in `dir` (what several replicas share on PostgreSQL); its path. */
export function writeSigningKey(dir: string): string {
  const path = join(dir, 'signing-key.pem');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return path;
}
