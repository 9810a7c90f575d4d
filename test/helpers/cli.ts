// Run bin/customs (Node 24) as a child process with its own data dir and a config that keeps
// failure paths fast (no long retry waits).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface CliResult { code: number; stdout: string; stderr: string }

export const CUSTOMS_BIN = join(resolve(import.meta.dirname, '../..'), 'bin/customs');

/** A runner for `customs ARGS` keeping its data and config under `work`; `extraConfig` is YAML added to the config. */
export function customsCli(work: string, extraConfig = '', env: Record<string, string> = {}): (args: string[]) => Promise<CliResult> {
  const cfgFile = join(work, 'customs.yaml');
  writeFileSync(cfgFile, 'http:\n  retries: 1\n  backoffMs: 10\n  maxBackoffMs: 50\n  timeoutMs: 3000\n' + extraConfig);
  return (args) => new Promise((res) => {
    execFile(CUSTOMS_BIN, args, { env: { ...process.env, CUSTOMS_DATA: join(work, 'data'), CUSTOMS_CONFIG: cfgFile, CUSTOMS_LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => res({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}
