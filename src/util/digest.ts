import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CustomsError } from '../errors.ts';

export const DIGEST_RE = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export function isDigest(s: string): boolean { return DIGEST_RE.test(s); }

export function assertDigest(s: string, what = 'digest'): string {
  if (!isDigest(s)) throw new CustomsError('usage', `${what} "${s.slice(0, 100)}" is not a sha256/sha512 digest`);
  return s;
}

function algorithmOf(digest: string): 'sha256' | 'sha512' {
  return digest.startsWith('sha512:') ? 'sha512' : 'sha256';
}

export function digestOf(data: Buffer | string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throw unless `data` hashes to `expected`. */
export function verifyBuffer(data: Buffer, expected: string, what: string): void {
  assertDigest(expected, what);
  const got = digestOf(data, algorithmOf(expected));
  if (got !== expected) throw new CustomsError('digest-mismatch', `${what}: content digest ${got} does not match expected ${expected}`);
}

/**
 * A pass-through stream that hashes what flows through it and fails (before signalling the end)
 * when the digest or size differs from what was expected. It also stops early when more bytes
 * arrive than `expectedSize`, so a lying registry cannot make us read forever.
 */
export class DigestVerifier extends Transform {
  private readonly hash;
  private seen = 0;
  private readonly expected: string;
  private readonly expectedSize: number | undefined;
  private readonly what: string;
  constructor(expected: string, expectedSize: number | undefined, what: string) {
    super();
    this.expected = expected; this.expectedSize = expectedSize; this.what = what;
    assertDigest(expected, what);
    this.hash = createHash(algorithmOf(expected));
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.expectedSize !== undefined && this.seen > this.expectedSize) {
      cb(new CustomsError('digest-mismatch', `${this.what}: more than the ${this.expectedSize} bytes its descriptor declares`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    if (this.expectedSize !== undefined && this.seen !== this.expectedSize) {
      cb(new CustomsError('corrupt', `${this.what}: truncated, got ${this.seen} of ${this.expectedSize} bytes`));
      return;
    }
    const got = `${algorithmOf(this.expected)}:${this.hash.digest('hex')}`;
    if (got !== this.expected) {
      cb(new CustomsError('digest-mismatch', `${this.what}: content digest ${got} does not match expected ${this.expected}`));
      return;
    }
    cb();
  }
  get bytes(): number { return this.seen; }
}
