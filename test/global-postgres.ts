import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

// One private PostgreSQL cluster for the whole run: initdb into a temp dir, listening on 127.0.0.1
// on a free port (no Unix socket outside the temp dir). Tests create their own databases in it
// (test/helpers/postgres.ts). As root, the server runs as Debian's `postgres` user (initdb refuses root).

export default async function setup(project: TestProject) {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  const bin = versions.length ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : '';
  if (!bin || !existsSync(`${bin}/initdb`)) {
    // Tests that need it fail with this message (never skipped): test/setup.sh installs it.
    project.provide('pgUrl', 'missing: PostgreSQL is not installed (test/setup.sh installs Debian\'s postgresql)');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'customs-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const port = await freePort();
  execFileSync(...as(`${bin}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'customs', '-E', 'UTF8', '--no-sync']), { stdio: 'ignore' });
  const opts = `-h 127.0.0.1 -p ${port} -k ${dir} -F -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const started = spawnSync(...as(`${bin}/pg_ctl`, ['-D', join(dir, 'data'), '-o', opts, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']), { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`cannot start the test PostgreSQL cluster: ${started.stderr || started.stdout}`);
  project.provide('pgUrl', `postgres://customs@127.0.0.1:${port}/postgres`);
  return () => {
    spawnSync(...as(`${bin}/pg_ctl`, ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']), { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

declare module 'vitest' {
  export interface ProvidedContext { pgUrl: string }
}
