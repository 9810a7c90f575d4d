// `node bench/secrets-only.ts`: only the secret-scanning measurement of bench/run.ts (lab image from $LAB).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setLogLevel } from '../src/log.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { benchSecrets } from './secrets.ts';
import { benchSecretThroughput } from './secrets-throughput.ts';

const LAB = process.env.LAB ?? '/tmp/lab';
const registry = await startRegistry({ auth: 'none' });
try {
  execFileSync('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${join(LAB, 'oci')}:app`, `docker://${registry.host}/lab/app:vuln`], { stdio: 'inherit' });
  setLogLevel('warn');
  console.log(JSON.stringify(await benchSecrets(`${registry.host}/lab/app:vuln`, mkdtempSync(join(tmpdir(), 'customs-bench-secrets-')), Number(process.env.BENCH_RUNS ?? 2)), null, 2));
  console.log(JSON.stringify(await benchSecretThroughput(join(LAB, 'oci')), null, 2));
} finally {
  await registry.stop();
}
