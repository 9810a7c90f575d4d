// OpenAPI 3.1 description of the REST API, served at /api/v1/openapi.json.

const problem = { description: 'Problem (RFC 9457)', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
const paged = (item: string) => ({ type: 'object', properties: { items: { type: 'array', items: { $ref: `#/components/schemas/${item}` } }, nextCursor: { type: ['string', 'null'] } } });
const pageParams = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
  { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page' },
];
const digestParam = { name: 'digest', in: 'path', required: true, schema: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' } };
const json = (schema: object) => ({ content: { 'application/json': { schema } } });

export const OPENAPI = {
  openapi: '3.1.0',
  info: { title: 'Customs', version: '1', description: 'Registry-side container image scanning.' },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'api.tokens from the configuration; roles reader < operator < admin' } },
    schemas: {
      Problem: { type: 'object', properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' } } },
      Job: {
        type: 'object', properties: {
          id: { type: 'string' }, state: { enum: ['queued', 'running', 'succeeded', 'failed'] }, registry: { type: 'string' }, repository: { type: 'string' },
          digest: { type: ['string', 'null'] }, tag: { type: ['string', 'null'] }, origin: { type: 'string' }, attempts: { type: 'integer' },
          maxAttempts: { type: 'integer' }, nextRunAt: { type: 'string' }, lastError: { type: ['string', 'null'] }, lastErrorKind: { type: ['string', 'null'] },
          scanId: { type: ['string', 'null'] }, createdAt: { type: 'string' }, finishedAt: { type: ['string', 'null'] },
        },
      },
      ScanSummary: { type: 'object', properties: { platforms: { type: 'integer' }, packages: { type: 'integer' }, findings: { type: 'integer' }, critical: { type: 'integer' }, high: { type: 'integer' }, medium: { type: 'integer' }, low: { type: 'integer' }, unknown: { type: 'integer', description: 'findings no loaded severity source rates' } } },
      Repository: { type: 'object', properties: { registry: { type: 'string' }, repository: { type: 'string' }, images: { type: 'integer' }, liveImages: { type: 'integer' }, lastSeenAt: { type: 'string' } } },
      Tag: { type: 'object', properties: { registry: { type: 'string' }, repository: { type: 'string' }, tag: { type: 'string' }, digest: { type: ['string', 'null'] }, updatedAt: { type: 'string' }, deletedAt: { type: ['string', 'null'] } } },
    },
  },
  security: [{ bearer: [] }],
  paths: {
    '/webhooks/{source}': {
      post: {
        summary: 'Registry notification (distribution, harbor, ecr, github, dockerhub, quay, acr, gar, zot)', security: [],
        parameters: [{ name: 'source', in: 'path', required: true, schema: { enum: ['distribution', 'harbor', 'ecr', 'github', 'dockerhub', 'quay', 'acr', 'gar', 'zot'] } }],
        responses: {
          202: {
            description: 'stored; each event answered on its own (a malformed one is `invalid`, its siblings still count)',
            ...json({ type: 'object', properties: { accepted: { type: 'integer' }, events: { type: 'array', items: { type: 'object', properties: {
              outcome: { enum: ['queued', 'duplicate', 'deleted', 'ignored', 'invalid'] }, jobId: { type: 'string' }, reason: { type: 'string' },
            } } } } }),
          },
          400: problem, 401: problem, 403: problem, 404: problem, 413: problem, 502: problem, 503: problem,
        },
      },
    },
    '/api/v1/scans': {
      post: {
        summary: 'Ask for a scan (role operator). force=true scans again even when the digest has a scan.',
        requestBody: json({ type: 'object', required: ['image'], properties: { image: { type: 'string' }, force: { type: 'boolean' } } }),
        responses: { 202: { description: 'queued (or the existing job)', ...json({ type: 'object', properties: { scanId: { type: 'string' }, jobId: { type: 'string' }, state: { type: 'string' }, duplicate: { type: 'boolean' } } }) }, 400: problem, 401: problem, 403: problem },
      },
    },
    '/api/v1/scans/{id}': {
      get: {
        summary: 'A scan with its report (id of a scan or of its job); 202 while the job is pending',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'scan (or failed job)' }, 202: { description: 'job queued or running' }, 404: problem },
      },
    },
    '/api/v1/jobs': { get: { summary: 'Jobs, newest first', parameters: [{ name: 'state', in: 'query', schema: { enum: ['queued', 'running', 'succeeded', 'failed'] } }, ...pageParams], responses: { 200: { description: 'page', ...json(paged('Job')) }, 400: problem } } },
    '/api/v1/jobs/{id}': { get: { summary: 'One job', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { 200: { description: 'job', ...json({ $ref: '#/components/schemas/Job' }) }, 404: problem } } },
    '/api/v1/images/{digest}': { get: { summary: 'Newest scan of an image: per platform, repositories and tags seen', parameters: [digestParam], responses: { 200: { description: 'image' }, 400: problem, 404: problem } } },
    '/api/v1/keys': { get: { summary: "Customs' public signing key (PEM; X-Customs-Key-Id header): verifies its attestations", security: [], responses: { 200: { description: 'PEM public key', content: { 'application/x-pem-file': { schema: { type: 'string' } } } } } } },
    '/api/v1/images/{digest}/signatures': { get: { summary: "Signatures found at the image's last evaluation under a policy with a signature rule: format, verified, authority, reason (why not verified), notes (a verified signature's log entries and timestamps), signedAt", parameters: [digestParam], responses: { 200: { description: 'signatures', ...json({ type: 'object', properties: { items: { type: 'array' } } }) }, 400: problem } } },
    '/api/v1/images/{digest}/verdict': { get: { summary: 'The stored verdict of this digest in each repository: verdict, policy, quarantine state, reasons per platform, and whether its publication (signed attestations, status tag) is still pending', parameters: [digestParam], responses: { 200: { description: 'verdict', ...json({ type: 'object', properties: { digest: { type: 'string' }, verdict: { enum: ['pass', 'warn', 'fail'] }, items: { type: 'array' } } }) }, 400: problem, 404: problem } } },
    '/api/v1/images/{digest}/findings': { get: { summary: 'Vulnerabilities per platform', parameters: [digestParam], responses: { 200: { description: 'findings' }, 404: problem } } },
    '/api/v1/images/{digest}/sbom': {
      get: {
        summary: 'SBOM: CycloneDX 1.6 JSON (default) or SPDX 2.3 JSON (Accept: application/spdx+json)', parameters: [digestParam],
        responses: { 200: { description: 'SBOM', content: { 'application/vnd.cyclonedx+json': {}, 'application/spdx+json': {} } }, 404: problem },
      },
    },
    '/api/v1/repositories': { get: { summary: 'Repositories seen', parameters: pageParams, responses: { 200: { description: 'page', ...json(paged('Repository')) } } } },
    '/api/v1/tags': { get: { summary: 'Tags seen', parameters: [{ name: 'registry', in: 'query', schema: { type: 'string' } }, { name: 'repository', in: 'query', schema: { type: 'string' } }, ...pageParams], responses: { 200: { description: 'page', ...json(paged('Tag')) } } } },
    '/k8s/admission': {
      post: {
        summary: 'Kubernetes ValidatingAdmissionWebhook (AdmissionReview admission.k8s.io/v1): images judged from stored verdicts (admission.enabled; README "Workloads and admission")', security: [],
        requestBody: json({ type: 'object', required: ['apiVersion', 'kind', 'request'], properties: { apiVersion: { const: 'admission.k8s.io/v1' }, kind: { const: 'AdmissionReview' }, request: { type: 'object' } } }),
        responses: {
          200: { description: 'the AdmissionReview response', ...json({ type: 'object', properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, response: { type: 'object', properties: {
            uid: { type: 'string' }, allowed: { type: 'boolean' }, status: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } }, warnings: { type: 'array', items: { type: 'string' } },
          } } } }) },
          400: problem, 404: problem, 413: problem,
        },
      },
    },
    '/api/v1/priorities': {
      get: {
        summary: 'What to fix first across the fleet: upgrades per running image, ordered by the highest risk priority of the findings they remove; every factor (severity/CVSS, EPSS, KEV, fix, replicas, exposure, criticality) and its points shown (role reader)',
        parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } }],
        responses: { 200: { description: 'total, items (rank, image, package, upgradeTo, action, priority, total, counts, workloads, findings[].factors), unscanned, weights' }, 400: problem },
      },
    },
    '/api/v1/families': {
      get: {
        summary: 'Image families: images sharing a base\'s leading layers, the base\'s findings with every derived image and the workloads running it, and "rebuild on base:Y fixes N" where a later scan of the base\'s repository has fewer of its findings (role reader)',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
          { name: 'rebuild', in: 'query', schema: { type: 'string', enum: ['true', 'false'] }, description: 'true: only families a rebuild helps' },
        ],
        responses: { 200: { description: 'total, items (base, derived[].workloads, running, rebuild {on, fixes, fixedIds, action})' }, 400: problem },
      },
    },
    '/api/v1/workloads': {
      post: {
        summary: 'Import `kubectl get pods,services,ingresses,httproutes -A -o json` of one cluster (role operator)',
        parameters: [{ name: 'cluster', in: 'query', required: true, schema: { type: 'string', pattern: '^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$' } }],
        responses: { 200: { description: 'counts: pods, workloads, containers, internetFacing, withoutDigest' }, 400: problem, 413: problem },
      },
      get: {
        summary: 'What runs where: per cluster, namespace, workload and container — digest, replicas, labels, exposure, criticality, first/last seen (role reader)',
        parameters: [{ name: 'cluster', in: 'query', schema: { type: 'string' } }, { name: 'digest', in: 'query', schema: { type: 'string', pattern: '^sha256:[a-f0-9]{64}$' } }],
        responses: { 200: { description: 'items' }, 400: problem },
      },
    },
    '/api/v1/workloads/clusters': {
      get: {
        summary: 'The Kubernetes API sync of each configured cluster (workloads.clusters): last success, what it found, last error (role reader)',
        responses: { 200: { description: 'items: cluster, lastSuccessAt, last, lastError, lastErrorAt' } },
      },
    },
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { 200: { description: 'ok' }, 503: { description: 'database unavailable' } } } },
    '/readyz': { get: { summary: 'Readiness: database reachable and migrations applied', security: [], responses: { 200: { description: 'ready' }, 503: { description: 'not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics (role reader)', responses: { 200: { description: 'text/plain; version=0.0.4' } } } },
  },
} as const;
