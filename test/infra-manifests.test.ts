// The Kubernetes manifests in infra/k8s parse, their embedded Customs configuration is accepted by
// Customs' own loader (as the pod would load it: file + environment), and the replica setup keeps
// the promises the README makes (several replicas, a disruption budget, readiness on /readyz, the
// database URL from a Secret, one signing key file for all).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.ts';

const docs = (file: string) => parseAllDocuments(readFileSync(new URL(`../infra/k8s/${file}`, import.meta.url), 'utf8')).map((d) => {
  expect(d.errors, file).toEqual([]);
  return d.toJS() as any;
});

function embeddedConfig(all: any[], env: Record<string, string>) {
  const secret = all.find((d) => d.kind === 'Secret' && d.stringData?.['customs.yaml']);
  const dir = mkdtempSync(join(tmpdir(), 'customs-infra-'));
  try {
    writeFileSync(join(dir, 'customs.yaml'), secret.stringData['customs.yaml']);
    return loadConfig({ file: join(dir, 'customs.yaml'), env });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

describe('infra/k8s', () => {
  it('replicas/ (kustomize): N replicas on PostgreSQL from a Secret, a PDB over the same pods, readiness on /readyz, one key file', () => {
    const all = docs('replicas/customs.yaml');
    const deploy = all.find((d) => d.kind === 'Deployment');
    const pdb = all.find((d) => d.kind === 'PodDisruptionBudget');
    expect(deploy.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(pdb.spec.minAvailable).toBeLessThan(deploy.spec.replicas);
    expect(pdb.spec.selector.matchLabels).toEqual(deploy.spec.template.metadata.labels);
    const c = deploy.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    const dbEnv = c.env.find((e: any) => e.name === 'CUSTOMS_DB_URL');
    const pgSecret = all.find((d) => d.kind === 'Secret' && d.metadata.name === dbEnv.valueFrom.secretKeyRef.name);
    const url = pgSecret.stringData[dbEnv.valueFrom.secretKeyRef.key];
    expect(url).toMatch(/^postgres:\/\//);
    const cfg = embeddedConfig(all, { CUSTOMS_DB_URL: url });
    expect(cfg.database.url).toBe(url);
    expect(cfg.database.postgres.poolSize).toBeGreaterThan(1);
    // the key file sits in the volume mounted from the signing Secret
    const mount = c.volumeMounts.find((m: any) => cfg.signing.keyFile!.startsWith(m.mountPath + '/') && m.name === 'signing');
    const vol = deploy.spec.template.spec.volumes.find((v: any) => v.name === mount.name);
    const keySecret = all.find((d) => d.kind === 'Secret' && d.metadata.name === vol.secret.secretName);
    expect(Object.keys(keySecret.stringData)).toContain(cfg.signing.keyFile!.slice(mount.mountPath.length + 1));
    expect(all.find((d) => d.kind === 'PersistentVolumeClaim')).toBeUndefined(); // nothing shared on a volume
    const kust = docs('replicas/kustomization.yaml')[0];
    expect(kust.resources).toEqual(['customs.yaml']);
    expect(c.image.startsWith(kust.images[0].name + ':')).toBe(true);
  });

  it('customs.yaml: the single-replica setup loads too', () => {
    const cfg = embeddedConfig(docs('customs.yaml'), { CUSTOMS_DATA: '/var/lib/customs' });
    expect(cfg.database.url).toBe('file:/var/lib/customs/customs.db');
  });
});
