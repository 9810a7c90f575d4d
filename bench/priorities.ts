// Priorities across a large fleet (issue 16: 10,000 images × 100 workloads ≤ 2 s): prioritize() on
// synthetic stored reports — IMAGES images (default 10,000), FINDINGS findings each (default 20, over
// 8 packages), WORKLOADS workloads per image (default 100). The database read (fleet.ts) is not timed here.
// node bench/priorities.ts  [IMAGES=… FINDINGS=… WORKLOADS=…]
import { prioritize, type FleetImage, type FleetWorkload } from '../src/priorities/fleet.ts';

const IMAGES = Number(process.env.IMAGES ?? 10_000);
const FINDINGS = Number(process.env.FINDINGS ?? 20);
const WORKLOADS = Number(process.env.WORKLOADS ?? 100);
const RATINGS = ['critical', 'high', 'medium', 'low'] as const;

const hex = (n: number) => n.toString(16).padStart(64, '0');
const images: FleetImage[] = [];
const fleet: FleetWorkload[] = [];
for (let i = 0; i < IMAGES; i++) {
  const digest = `sha256:${hex(i)}`;
  const findings = Array.from({ length: FINDINGS }, (_, j) => ({
    id: `CVE-2024-${10000 + j}`, aliases: [], advisories: [], ecosystem: 'Debian:12', matchedName: `pkg${j % 8}`, matchedVersion: '1.0-1',
    package: { name: `pkg${j % 8}`, version: '1.0-1', type: 'deb' }, fixedVersions: j % 3 ? ['1.0-2'] : [], ...(j % 3 ? { fixedVersion: `1.0-${2 + (j % 4)}` } : {}),
    status: j % 3 ? 'fixed-available' : 'no-fix', guidance: '', severity: { rating: RATINGS[j % 4], score: 9.8 - (j % 4) * 2, source: 'nvd' },
    ...(j % 7 === 0 ? { kev: { cve: `CVE-2024-${10000 + j}`, dateAdded: '2024-01-01' } } : {}), ...(j % 2 ? { epss: { cve: `CVE-2024-${10000 + j}`, score: 0.01 * (j % 50), percentile: 0.5 } } : {}),
    layerIndex: 0, foundIn: 'var/lib/dpkg/status',
  }));
  images.push({ registry: 'registry.internal:5000', repository: `team/app${i}`, digest, report: {
    ref: `registry.internal:5000/team/app${i}@${digest}`, rootDigest: digest, startedAt: '', finishedAt: '', dbVersion: null, warnings: [],
    platforms: [{ inventory: { config: { history: [] }, layers: [{}] }, findings }],
  } as any });
  for (let w = 0; w < WORKLOADS; w++) {
    fleet.push({ cluster: `c${w % 5}`, namespace: `ns${w % 20}`, kind: 'Deployment', name: `app${i}-${w}`, container: 'app', digest,
      replicas: 1 + (w % 4), exposure: w % 10 ? 'internal' : 'internet', exposedBy: w % 10 ? [] : ['Service/x (LoadBalancer)'], labels: w % 5 ? {} : { 'customs.dev/criticality': 'high' } });
  }
}
const started = performance.now();
const r = prioritize(images, fleet, { criticalityLabel: 'customs.dev/criticality' }, 100);
const ms = performance.now() - started;
process.stdout.write(`${IMAGES} images × ${WORKLOADS} workloads (${fleet.length} rows), ${FINDINGS} findings each: ${r.total} fixes (the first ${r.fixes.length} explained) in ${ms.toFixed(0)} ms\n`);
