// From a stored scan report to verdicts: one per platform, combined for the image. Used by the
// service after a scan, by re-evaluation after a database or policy change, and by `policy test`.
import { formatPlatform } from '../image/manifest.ts';
import type { ScanReport } from '../scan/types.ts';
import { combineVerdicts, evaluatePolicy, type EolStatus, type PolicySubject, type SignatureStatus, type Verdict, type VerdictValue } from './evaluate.ts';
import type { ActiveException } from './exceptions.ts';
import type { ScopedPolicy } from './scope.ts';

export interface ImageVerdict {
  verdict: VerdictValue;
  policy: Verdict['policy'];
  dbVersion: string | null;
  platforms: ({ platform: string; manifestDigest: string } & Verdict)[];
}

/** Evaluate every platform of a scanned image under one policy. */
export function evaluateReport(
  report: ScanReport,
  image: { registry: string; repository: string; digest: string },
  governing: ScopedPolicy,
  opts: { now?: Date; exceptions?: ActiveException[]; signatures?: SignatureStatus[] } = {},
): ImageVerdict {
  const dbVersion = report.dbVersion?.version ?? null;
  const platforms = report.platforms.map((p) => {
    const extra = p as typeof p & { eol?: EolStatus[] };
    // the scan's end-of-life findings (src/hygiene): only a past end of life counts as eol
    const eol = extra.eol ?? p.hygiene?.eol.map((e): EolStatus => ({ kind: e.kind, product: e.product, version: e.version, eol: e.status === 'end-of-life', ...(e.eolDate ? { eolDate: e.eolDate } : {}) }));
    const subject: PolicySubject = {
      ...image,
      platform: p.inventory.platform,
      inventory: p.inventory,
      findings: p.findings,
      ...(eol ? { eol } : {}),
      ...(opts.signatures ? { signatures: opts.signatures } : {}),
      ...(p.coverage ? { coverage: p.coverage } : {}),
      dbVersion,
    };
    const v = evaluatePolicy(governing.policy, governing.version, subject, {
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.exceptions ? { extraExceptions: opts.exceptions } : {}),
    });
    return { platform: formatPlatform(p.inventory.platform), manifestDigest: p.inventory.manifestDigest, ...v };
  });
  return {
    verdict: platforms.length ? combineVerdicts(platforms.map((p) => p.verdict)) : 'pass',
    policy: { name: governing.policy.metadata.name, version: governing.version, mode: governing.policy.spec.mode },
    dbVersion,
    platforms,
  };
}
