// Image configuration and hygiene checks: each a small rule over the inventory (image config,
// history, file facts, config secrets) with an id, a default severity and fix advice.
import type { ImageInventory, LocatedFact } from '../types.ts';
import type { ConfigFinding, Severity } from './types.ts';

export interface HygieneSettings {
  maxAgeDays: number;
  /** check ids not run */
  disabled: string[];
  /** severity per check id, replacing the default */
  severity: Record<string, Severity>;
}

interface CheckInput { inv: ImageInventory; now: Date; settings: HygieneSettings }
type Seen = { detail?: string; paths?: string[] } | null;

interface Check {
  id: string;
  severity: Severity;
  title: string;
  fix: string;
  /** reads the image config (USER, HEALTHCHECK, ports, history): not run where there is none (rootfs:, sbom:) */
  needsConfig?: true;
  run(input: CheckInput): Seen;
}

const MAX_PATHS = 50;
const DAY_MS = 86_400_000;

function factPaths(inv: ImageInventory, ...ids: string[]): string[] {
  const want = new Set(ids);
  return [...new Set((inv.facts ?? []).filter((f: LocatedFact) => want.has(f.id)).map((f) => f.path))].sort();
}

function seenPaths(paths: string[], what: string): Seen {
  if (paths.length === 0) return null;
  return { detail: `${paths.length} ${what}`, paths: paths.slice(0, MAX_PATHS) };
}

function isRootUser(user: string | undefined): boolean {
  const name = (user ?? '').split(':')[0]!.trim();
  return name === '' || name === 'root' || name === '0';
}

function ports(inv: ImageInventory): { port: number; spec: string }[] {
  return (inv.config.exposedPorts ?? []).map((spec) => ({ port: Number.parseInt(spec, 10), spec })).filter((p) => Number.isInteger(p.port));
}

/** History lines a regex (or a test of the line and its index) picks, as a finding's detail. */
function historyLines(inv: ImageInventory, pick: RegExp | ((by: string, i: number) => boolean)): Seen {
  const test = pick instanceof RegExp ? (by: string) => pick.test(by) : pick;
  const hits = (inv.config.history ?? []).map((h, i) => ({ i, by: h.createdBy ?? '' })).filter((h) => test(h.by, h.i));
  if (hits.length === 0) return null;
  return { detail: hits.slice(0, 5).map((h) => `history[${h.i}]: ${h.by.replace(/\s+/g, ' ').trim().slice(0, 200)}`).join('\n') };
}

// bounded quantifiers only: history lines come from the image
const REMOTE_ADD = /\bADD\s+(?:--[\w-]{1,30}(?:=\S{0,200})?\s+){0,5}https?:\/\/\S/;
const CURL_PIPE_SH = /\b(?:curl|wget)\b[^|;&\n]{0,500}\|\s{0,5}(?:sudo\s+(?:-\S{1,10}\s+){0,3})?(?:env\s+)?(?:\/[\w/]{0,40}\/)?(?:ba|da|z|k|a)?sh\b/;
// sudo as a command (after `-c`, a separator, or as an exec-form RUN), not `apt-get install sudo`
const SUDO_RUN = /(?:^RUN\s{1,5}|\s-c\s{1,5}|[;&|(\x60]\s{0,5}|\n\s{0,20})sudo\s{1,5}\S/;
// ADD of a local file or directory, in the two forms builders write: legacy `#(nop) ADD file:<hash> in
// /dest` (or dir:), BuildKit `ADD [--flags] src… dest # buildkit` — not free-form comments that mention ADD
const LOCAL_ADD = /#\(nop\)\s{1,5}ADD\s{1,5}((?:file|dir):\S{1,200})\s|^ADD\s{1,5}(?:--[\w-]{1,30}(?:=\S{0,200})?\s{1,5}){0,5}(?!https?:\/\/|git@)(\S{1,500})\s[^\n]{0,2000}#\s?buildkit\s*$/;
const ARCHIVE = /\.(?:tar|tgz|tbz2?|txz|tzst|tar\.(?:gz|bz2|xz|zst|lz4))$/i;

/** ADD of local files — not archives (ADD extracts them, COPY cannot), not the base image's rootfs (history[0]). */
function localAdd(by: string, i: number): boolean {
  const m = LOCAL_ADD.exec(by);
  const src = m?.[1] ?? m?.[2];
  return src !== undefined && !ARCHIVE.test(src) && !(i === 0 && src.startsWith('file:'));
}

const FROM_IMAGE = /\bFROM\s+(?:--platform=\S{1,60}\s+)?([\w./:@-]{1,255})/;

/** A base image reference with neither a digest nor a tag other than latest. */
function unpinnedBase(ref: string): boolean {
  if (ref.includes('@sha256:')) return false;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return !last.includes(':') || last.endsWith(':latest');
}

export const CHECKS: Check[] = [
  {
    id: 'root-user', needsConfig: true, severity: 'medium', title: 'Image runs as root',
    fix: 'Add a non-root user and set USER (e.g. `USER 10001:10001`); give it only the files it needs.',
    run: ({ inv }) => (isRootUser(inv.config.user) ? { detail: inv.config.user ? `User is "${inv.config.user}"` : 'no User set (defaults to root)' } : null),
  },
  {
    id: 'secrets-in-env', severity: 'high', title: 'Secret in the image environment',
    fix: 'Do not bake secrets into ENV: pass them at run time (orchestrator secrets, mounted files) and rotate the leaked ones.',
    run: ({ inv }) => seenPaths((inv.secrets ?? []).filter((s) => s.path.startsWith('config:Env')).map((s) => `${s.path} (${s.rule})`), 'secret(s) in Env'),
  },
  {
    id: 'secrets-in-history', severity: 'high', title: 'Secret baked into the build history (ARG/ENV/RUN)',
    fix: 'Use build secrets (`RUN --mount=type=secret`) instead of ARG/ENV; rebuild and rotate the leaked credentials.',
    run: ({ inv }) => seenPaths((inv.secrets ?? []).filter((s) => s.path.startsWith('history[')).map((s) => `${s.path} (${s.rule})`), 'secret(s) in history'),
  },
  {
    id: 'no-healthcheck', needsConfig: true, severity: 'low', title: 'No HEALTHCHECK',
    fix: 'Add a HEALTHCHECK (or rely on the orchestrator\'s probes and ignore this check).',
    run: ({ inv }) => {
      const hc = inv.config.healthcheck;
      if (hc && hc.length > 0 && hc[0] !== 'NONE') return null;
      return { detail: hc?.[0] === 'NONE' ? 'HEALTHCHECK NONE' : 'no Healthcheck in the config' };
    },
  },
  {
    id: 'ssh-exposed', needsConfig: true, severity: 'medium', title: 'SSH port 22 exposed',
    fix: 'Do not run an SSH server in a container; use `kubectl exec` / `docker exec` for access.',
    run: ({ inv }) => (ports(inv).some((p) => p.port === 22) ? { detail: 'EXPOSE 22' } : null),
  },
  {
    id: 'privileged-port', needsConfig: true, severity: 'low', title: 'Privileged port (< 1024) exposed',
    fix: 'Listen on a port ≥ 1024 so the process needs neither root nor CAP_NET_BIND_SERVICE; map the port outside.',
    run: ({ inv }) => {
      const p = ports(inv).filter((x) => x.port > 0 && x.port < 1024 && x.port !== 22);
      return p.length ? { detail: p.map((x) => x.spec).join(', ') } : null;
    },
  },
  {
    id: 'remote-add', needsConfig: true, severity: 'medium', title: 'ADD of a remote URL',
    fix: 'Download with a checksum check (`ADD --checksum=sha256:…` or curl + sha256sum) or COPY a vetted file.',
    run: ({ inv }) => historyLines(inv, REMOTE_ADD),
  },
  {
    id: 'local-add', needsConfig: true, severity: 'low', title: 'ADD of local files (COPY says what it does)',
    fix: 'Use COPY for local files and folders: ADD also extracts archives and fetches URLs, which hides what enters the image.',
    run: ({ inv }) => historyLines(inv, localAdd),
  },
  {
    id: 'sudo-in-build', needsConfig: true, severity: 'low', title: 'sudo run in a build step',
    fix: 'Build steps run as root already: switch users with USER, and leave sudo out of the image.',
    // metadata lines (`#(nop)`: ENV, LABEL…) run no command
    run: ({ inv }) => historyLines(inv, (by) => !by.includes('#(nop)') && SUDO_RUN.test(by)),
  },
  {
    id: 'curl-pipe-shell', needsConfig: true, severity: 'medium', title: 'Script downloaded and piped into a shell',
    fix: 'Download the script, verify its checksum or signature, then run it.',
    run: ({ inv }) => historyLines(inv, CURL_PIPE_SH),
  },
  {
    id: 'unpinned-base', needsConfig: true, severity: 'low', title: 'Base image not pinned (latest or no tag)',
    fix: 'Pin the base image by digest (`FROM image:tag@sha256:…`) and update it deliberately.',
    run: ({ inv }) => {
      const label = inv.config.labels?.['org.opencontainers.image.base.name'];
      if (label) return unpinnedBase(label) ? { detail: `base ${label}` } : null;
      for (const h of inv.config.history ?? []) {
        const m = FROM_IMAGE.exec(h.createdBy ?? '');
        if (m && m[1] !== 'scratch' && unpinnedBase(m[1]!)) return { detail: `history: FROM ${m[1]}` };
      }
      return null;
    },
  },
  {
    id: 'setuid-binaries', severity: 'medium', title: 'setuid/setgid binaries',
    fix: 'Remove the setuid/setgid bits (`chmod u-s,g-s`) or the binaries; run with `no-new-privileges`.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'setuid', 'setgid'), 'setuid/setgid file(s)'),
  },
  {
    id: 'world-writable', severity: 'medium', title: 'World-writable files or directories',
    fix: 'Remove write permission for others (`chmod o-w`); directories everyone writes need the sticky bit.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'world-writable'), 'world-writable path(s)'),
  },
  {
    id: 'sudo-present', severity: 'low', title: 'sudo/doas present',
    fix: 'Remove sudo: a container should not need to change user at run time.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'sudo'), 'file(s)'),
  },
  {
    id: 'shell-present', severity: 'low', title: 'Shell present',
    fix: 'Use a distroless or scratch-based final stage if the application does not need a shell.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'shell'), 'shell(s)'),
  },
  {
    id: 'package-manager-present', severity: 'low', title: 'Package manager present',
    fix: 'Install packages in a build stage and copy only the results into the final image.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'package-manager'), 'package manager(s)'),
  },
  {
    id: 'compiler-present', severity: 'low', title: 'Compiler or build tools present',
    fix: 'Build in a separate stage; ship only the built artefacts.',
    run: ({ inv }) => seenPaths(factPaths(inv, 'compiler'), 'compiler(s)'),
  },
  {
    id: 'image-too-old', needsConfig: true, severity: 'low', title: 'Image built long ago',
    fix: 'Rebuild regularly so base image and package fixes are picked up.',
    run: ({ inv, now, settings }) => {
      const created = Date.parse(inv.config.created ?? '');
      // reproducible builds stamp 1970 (SOURCE_DATE_EPOCH=0): no meaningful build date
      if (!Number.isFinite(created) || created < Date.UTC(1990, 0, 1)) return null;
      const days = Math.floor((now.getTime() - created) / DAY_MS);
      return days > settings.maxAgeDays ? { detail: `built ${inv.config.created!.slice(0, 10)}, ${days} days ago (limit ${settings.maxAgeDays})` } : null;
    },
  },
];

/** Run every enabled check over one platform's inventory. */
export function runHygieneChecks(inv: ImageInventory, settings: HygieneSettings, now = new Date()): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const disabled = new Set(settings.disabled);
  for (const c of CHECKS) {
    if (disabled.has(c.id) || (c.needsConfig && !inv.configDigest)) continue;
    const seen = c.run({ inv, now, settings });
    if (!seen) continue;
    out.push({ id: c.id, severity: settings.severity[c.id] ?? c.severity, title: c.title, ...seen, fix: c.fix });
  }
  return out;
}
