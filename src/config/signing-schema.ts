import { z } from 'zod';

const attestationFormat = z.enum(['both', 'legacy', 'referrers']);
/** 7 MiB: its bundle is at most 9,786,712 bytes of base64 plus about a kilobyte of JSON */
const MAX_STATEMENT_BYTES = 7 * 1024 * 1024;

/** Customs' signing key (src/signing/key.ts). */
export const signingSchema = z.object({
  /** PEM file of an ECDSA P-256 private key; default <dataDir>/signing-key.pem, generated on first use (mode 0600) */
  keyFile: z.string().min(1).optional(),
  /** trust root of keyless signatures: "public-good" (Sigstore's, embedded, offline), a trusted_root.json file, or "none" */
  trustedRoot: z.string().min(1).default('public-good'),
}).strict().default({ trustedRoot: 'public-good' });

/** Signed in-toto attestations written back to the registry after each verdict (src/attest/, published by src/publish/publisher.ts). */
export const attestationsSchema = z.object({
  enabled: z.boolean().default(false),
  /** legacy cosign `.att` tag, sigstore bundle referrers, or both (default) */
  format: attestationFormat.default('both'),
  /** per registry host ("127.0.0.1:5000"), overriding `format` */
  registries: z.record(z.string(), attestationFormat).default({}),
  /**
   * largest in-toto statement (the SBOM is the big one); larger ones fail the whole write, nothing is
   * pushed. The default keeps each bundle (base64 of the statement, 4/3 larger) under the 10,000,000
   * bytes Kyverno reads of a bundle layer: one larger bundle fails Kyverno's SigstoreBundle check of
   * every attestation of the image (pkg/image/verifiers/cpol/cosign/sigstore.go maxLayerSize).
   */
  maxStatementBytes: z.number().int().min(1024).default(MAX_STATEMENT_BYTES),
  /** the publication outbox (attestations and status tags): images published at once by this process, in all and per registry */
  concurrency: z.number().int().min(1).max(256).default(16),
  perRegistry: z.number().int().min(1).max(256).default(8),
  /** first retry of a failed publication; doubles per attempt (with jitter) up to maxRetryMs, never gives up */
  retryMs: z.number().int().min(1).default(2_000),
  maxRetryMs: z.number().int().min(1).default(300_000),
  /** how often an idle publisher looks for due publications (it is also woken by this process's verdicts) */
  pollMs: z.number().int().min(10).default(1_000),
  /** a publication in progress is leased for this long, renewed every leaseMs/3; a process that died holding one delays it this long at most */
  leaseMs: z.number().int().min(1000).default(60_000),
}).strict().default({ enabled: false, format: 'both', registries: {}, maxStatementBytes: MAX_STATEMENT_BYTES, concurrency: 16, perRegistry: 8, retryMs: 2_000, maxRetryMs: 300_000, pollMs: 1_000, leaseMs: 60_000 });

export type AttestationFormat = z.infer<typeof attestationFormat>;
export type AttestationsConfig = z.infer<typeof attestationsSchema>;
