import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { CustomsError, isCustomsError } from '../errors.ts';
import { log, setLogFormat, setLogLevel } from '../log.ts';
import { VERSION } from '../version.ts';
import { deadlineSignal, parseDuration } from '../util/deadline.ts';
import { setTerminal } from './terminal.ts';

const USAGE = `customs ${VERSION} — registry-side image scanning

Usage:
  customs serve                      run the service (embedded defaults; GET /healthz)
  customs scan <ref> [options]       vulnerabilities of an image (table, --format json|sarif|cyclonedx|cosign-vuln|inventory)
  customs sbom <ref> [options]       SBOM of an image (--format cyclonedx|spdx|json)
  customs db update                  download the configured feeds (OSV, NVD, CVE 5, EPSS, KEV); each is its own source
  customs db import <path>...        import each path as its own source (air-gapped): OSV / NVD / CVE 5 JSON, dirs, zips; EPSS csv(.gz), KEV json
  customs db status                  each source with advisories, severity records, ecosystems and age; database version
  customs db remove <source>...      drop a source (its name as db status lists it, or the path it was imported from)
  customs eol update                 refresh end-of-life data (endoflife.date API) into <dataDir>/eol.json
  customs policy apply -f FILE       store a policy (YAML/JSON) as a new version; list | show NAME [--revision N]
  customs policy delete NAME         | test -f FILE (what would change) | vex -f FILE (import OpenVEX exceptions)
  customs quarantine list            quarantined images; release DIGEST --reason TEXT [--repository REPO]
  customs verify <ref> --key FILE    deploy-time check of Customs' signed verdict attestation in the registry
                                     [--max-age 24h] [--require pass|warn]; exit 0 only when acceptable
  customs priorities                 what to fix first across the fleet: upgrades per running image ordered by risk
                                     (severity, EPSS, KEV, fix, replicas, exposure, criticality) [--format table|json]
  customs families                   images sharing a base: its findings, derived images, where they run, "rebuild on base:Y fixes N" [--format table|json]
  customs workloads import FILE --cluster NAME
                                     what runs in a cluster, from kubectl get pods,services,ingresses,httproutes -A -o json
                                     (- for standard input); workloads list [--cluster NAME] [--format table|json]
  customs key show                   the public key Customs signs attestations with (PEM)
  customs version

References:
  registry/repo:tag   registry/repo@sha256:…   oci:DIR[:TAG]   oci-archive:FILE[:TAG]   docker-archive:FILE
  docker-daemon:IMAGE (local Docker Engine, $DOCKER_HOST)   rootfs:DIR / fs:DIR (a directory)   sbom:FILE (CycloneDX/SPDX JSON)

Options:
  --format FMT        output format (scan: table|json|sarif|cyclonedx|cosign-vuln|inventory; sbom: cyclonedx|spdx|json; db status: table|json)
  --severity LIST     scan: only these severities, e.g. high,critical (none,unknown,low,medium,high,critical)
  --ignore-unfixed    scan: only findings with a fixed version available
  --fail-on SEV       scan: exit 1 when a finding (after filtering) is at or above SEV (unknown ranks below low)
  --exit-code N       scan: the exit code when --fail-on is met (default 1; 1-125, not one of Customs' own codes)
  --vex FILE          scan: OpenVEX or CycloneDX VEX; not_affected/fixed statements suppress findings (repeatable)
  --ignorefile FILE   scan: ids to suppress, a .trivyignore list or YAML (vulnerabilities: [{id, package, expires}])
  --include-non-security  scan: report bug-fix and enhancement advisories (RHBA, ALBA, RLEA…) as findings too
  --db PATH|URL       scan: advisories from this database file or libsql URL; db: operate on it
  --output FILE       write to FILE instead of stdout
  -f, --file FILE     policy: the policy or OpenVEX file (for policy commands -f means --file)
  --reason TEXT       quarantine release, policy delete: why (recorded in the audit log)
  --repository REPO   quarantine release: only in this repository
  --cluster NAME      workloads: the cluster (lower-case letters, digits, ".", "_", "-")
  --revision N        policy show: that version of the policy
  --platform P        only this platform of a multi-arch image, os/arch[/variant]
  --timeout D         give up after D (90s, 5m, 1h) with exit 5; every registry request also has its own deadline
  --log-format F      text (default on the command line) or json (default for serve; also CUSTOMS_LOG_FORMAT)
  -q, --quiet         only the output and errors: no progress, no warnings, logs at error
  --no-progress       no progress display (it is drawn only when stderr is a terminal anyway)
  --scanners LIST     scan/sbom: vuln,secret,misconfig,license (default all); misconfig covers image configuration and end-of-life
  --pkg-types LIST    scan/sbom: os,library (default both): which packages are reported and matched
  --skip-dirs GLOB    scan/sbom: leave out everything under matching directories (repeatable or comma list; "usr/share/**")
  --skip-files GLOB   scan/sbom: leave out matching files (repeatable or comma list; "**/*.pem")
  --list-all-pkgs     scan: the table lists every package too (JSON always carries them, in images[].packages)
  --no-cache          do not read or write the per-layer cache
  --config FILE       configuration file (YAML or JSON; also $CUSTOMS_CONFIG)
  --log-level LEVEL   trace|debug|info|warn|error|silent (also $CUSTOMS_LOG_LEVEL)

Exit codes: 0 ok, 1 --fail-on met (scan) / not accepted (verify), 2 usage, 3 config, 4 not found, 5 unreachable, 6 auth refused,
7 digest mismatch, 8 unsupported, 9 corrupt, 10 limit exceeded, 11 registry error, 70 internal error (a bug).
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        format: { type: 'string', short: 'f' }, output: { type: 'string', short: 'o' }, platform: { type: 'string' },
        'no-cache': { type: 'boolean' }, config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' },
        severity: { type: 'string' }, 'ignore-unfixed': { type: 'boolean' }, 'fail-on': { type: 'string' }, db: { type: 'string' }, 'exit-code': { type: 'string' },
        key: { type: 'string' }, 'max-age': { type: 'string' }, require: { type: 'string' },
        file: { type: 'string' }, cluster: { type: 'string' }, reason: { type: 'string' }, repository: { type: 'string' }, revision: { type: 'string' },
        timeout: { type: 'string' }, 'log-format': { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, 'no-progress': { type: 'boolean' },
        vex: { type: 'string', multiple: true }, ignorefile: { type: 'string' }, 'include-non-security': { type: 'boolean' },
        scanners: { type: 'string' }, 'pkg-types': { type: 'string' }, 'list-all-pkgs': { type: 'boolean' },
        'skip-dirs': { type: 'string', multiple: true }, 'skip-files': { type: 'string', multiple: true },
      },
    });
  } catch (e: any) {
    throw new CustomsError('usage', `${e.message}\nrun "customs help" for usage`);
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.version || command === 'version') { process.stdout.write(`${VERSION}\n`); return 0; }
  if (v.help || !command || command === 'help') { process.stdout.write(USAGE); return command || v.help ? 0 : 2; }

  const loaded = loadConfig(v.config ? { file: v.config } : {});
  // --include-non-security: the command line's word for vulndb.includeNonSecurityAdvisories
  const cfg = v['include-non-security'] ? { ...loaded, vulndb: { ...loaded.vulndb, includeNonSecurityAdvisories: true } } : loaded;
  setLogLevel(v['log-level'] ?? process.env.CUSTOMS_LOG_LEVEL ?? (command === 'serve' ? cfg.log.level : 'warn'));
  // a person at the command line reads sentences; the service (and --log-format json) writes JSON lines
  const format = v['log-format'] ?? process.env.CUSTOMS_LOG_FORMAT ?? (command === 'serve' ? 'json' : 'text');
  if (format !== 'json' && format !== 'text') throw new CustomsError('usage', `--log-format must be text or json, not "${format}"`);
  setLogFormat(format);
  // --quiet: the command's output and errors only; a service never draws progress
  if (v.quiet && !v['log-level']) setLogLevel('error');
  setTerminal({ quiet: !!v.quiet, progress: !v['no-progress'] && command !== 'serve' });

  const needRef = () => {
    if (rest.length !== 1) throw new CustomsError('usage', `customs ${command} takes exactly one image reference\nrun "customs help" for usage`);
    return rest[0]!;
  };
  // --timeout: one deadline over the whole scan (every registry request aborts when it passes: exit 5)
  const signal = v.timeout ? deadlineSignal(parseDuration(v.timeout, '--timeout'), `--timeout ${v.timeout}`) : undefined;
  const flags = { format: v.format, output: v.output, platform: v.platform, cache: !v['no-cache'],
    severity: v.severity, ignoreUnfixed: v['ignore-unfixed'], failOn: v['fail-on'], db: v.db, ...(signal ? { signal } : {}),
    ...(v['exit-code'] !== undefined ? { exitCode: v['exit-code'] } : {}),
    ...(v.vex ? { vex: v.vex } : {}), ...(v.ignorefile ? { ignorefile: v.ignorefile } : {}),
    ...(v.scanners ? { scanners: v.scanners } : {}), ...(v['pkg-types'] ? { pkgTypes: v['pkg-types'] } : {}),
    ...(v['skip-dirs'] ? { skipDirs: v['skip-dirs'] } : {}), ...(v['skip-files'] ? { skipFiles: v['skip-files'] } : {}),
    ...(v['list-all-pkgs'] ? { listAllPkgs: true } : {}) };
  switch (command) {
    // commands are imported on demand: `version`/`help` should not pay for the database and HTTP stacks
    case 'serve': await (await import('./serve.ts')).serveCommand(cfg); return 0;
    case 'scan': return (await import('./commands.ts')).scanCommand(needRef(), cfg, flags);
    case 'sbom': await (await import('./commands.ts')).sbomCommand(needRef(), cfg, flags); return 0;
    case 'db': return (await import('./db.ts')).dbCommand(rest, cfg, flags);
    case 'eol': return (await import('./eol.ts')).eolCommand(rest, cfg);
    // kubectl-style: `policy apply -f FILE` (-f is --format elsewhere)
    case 'policy': {
      const takesFile = ['apply', 'test', 'vex'].includes(rest[0] ?? '');
      return (await import('./policy.ts')).policyCommand(rest, cfg, defined({
        file: v.file ?? (takesFile ? v.format : undefined), format: takesFile && !v.file ? undefined : v.format,
        reason: v.reason, revision: v.revision,
      }));
    }
    case 'priorities': return (await import('./priorities.ts')).prioritiesCommand(rest, cfg, defined({ format: v.format }));
    case 'families': return (await import('./families.ts')).familiesCommand(rest, cfg, defined({ format: v.format }));
    case 'workloads': return (await import('./workloads.ts')).workloadsCommand(rest, cfg, defined({ cluster: v.cluster, format: v.format }));
    case 'key': return (await import('./key.ts')).keyCommand(rest, cfg);
    case 'verify': return (await import('./verify.ts')).verifyCommand(rest, cfg, defined({ key: v.key, maxAge: v['max-age'], require: v.require, format: v.format }));
    case 'quarantine': return (await import('./quarantine.ts')).quarantineCommand(rest, cfg, defined({ reason: v.reason, repository: v.repository, format: v.format }));
    default: throw new CustomsError('usage', `unknown command "${command}"\nrun "customs help" for usage`);
  }
}

/** the entries whose value is set (exactOptionalPropertyTypes: no explicit undefined) */
function defined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as { [K in keyof T]?: string };
}

export function run(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      if (isCustomsError(e)) {
        process.stderr.write(`customs: ${e.message}\n`);
        log.debug({ err: e }, 'command failed');
        process.exitCode = e.exitCode;
      } else {
        process.stderr.write(`customs: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
        process.exitCode = 70; // EX_SOFTWARE: CI can tell a broken run from findings (1, or --exit-code)
      }
    },
  );
}
