import type { TestProject } from 'vitest/node';
import { postgresBin, startPgCluster } from './helpers/pg-cluster.ts';

// One private PostgreSQL cluster for the whole run (fsync off: tests, not durability); tests create
// their own databases in it (test/helpers/postgres.ts).
export default async function setup(project: TestProject) {
  if (!postgresBin()) {
    // tests that need it fail with this message (never skipped): test/setup.sh installs it
    project.provide('pgUrl', 'missing: PostgreSQL is not installed (test/setup.sh installs Debian\'s postgresql)');
    return;
  }
  const cluster = await startPgCluster({ durable: false });
  project.provide('pgUrl', cluster.url);
  return () => cluster.stop();
}

declare module 'vitest' {
  export interface ProvidedContext { pgUrl: string }
}
