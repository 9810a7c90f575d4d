import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './registry.ts';

// A private PostgreSQL cluster (Debian's postgresql): initdb into a temp dir, listening on 127.0.0.1
// on a free port (its Unix socket inside the temp dir). As root, the server runs as Debian's
// `postgres` user (initdb refuses root). Used by the test run (test/global-postgres.ts) and benchmarks.

export interface PgCluster { url: string; stop(): void }

export function postgresBin(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort() : [];
  const bin = versions.length ? `/usr/lib/postgresql/${versions.at(-1)}/bin` : '';
  return bin && existsSync(`${bin}/initdb`) ? bin : undefined;
}

/** Start a cluster; `durable: false` turns fsync off (tests), true keeps PostgreSQL's defaults (benchmarks). */
export async function startPgCluster(opts: { durable: boolean }): Promise<PgCluster> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (test/setup.sh installs Debian\'s postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'customs-pg-'));
  const asRoot = process.getuid?.() === 0;
  const as = (cmd: string, args: string[]) => (asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]) as [string, string[]];
  if (asRoot) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), 0);
  const port = await freePort();
  execFileSync(...as(`${bin}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'customs', '-E', 'UTF8', '--no-sync']), { stdio: 'ignore' });
  const fast = opts.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off';
  const started = spawnSync(...as(`${bin}/pg_ctl`, ['-D', join(dir, 'data'), '-o', `-h 127.0.0.1 -p ${port} -k ${dir} -c max_connections=300${fast}`, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']), { encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`cannot start a PostgreSQL cluster: ${started.stderr || started.stdout}`);
  return {
    url: `postgres://customs@127.0.0.1:${port}/postgres`,
    stop: () => {
      spawnSync(...as(`${bin}/pg_ctl`, ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']), { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
