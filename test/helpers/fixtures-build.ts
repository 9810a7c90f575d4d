// Build test fixtures once per machine with a generator script, shared by test files running in
// parallel forks: the output goes to a directory named after the script's hash, built in a temp
// directory and renamed into place (the rename is atomic; a loser of the race keeps the winner's).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run `bash script OUTDIR` unless its output for this script version exists; returns OUTDIR. */
export async function buildFixtures(script: string, name: string): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(script)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `customs-fixtures-${name}-${hash}`);
  if (existsSync(dir)) return dir;
  const tmp = mkdtempSync(join(tmpdir(), `customs-fixtures-${name}-build-`));
  try {
    await run('bash', [script, tmp], { maxBuffer: 16 << 20 });
    try { renameSync(tmp, dir); } catch (e) { if (!existsSync(dir)) throw e; }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
