import type { Bundle } from '@sigstore/bundle';
import { parseUntrustedJson } from '../util/json.ts';
import { IN_TOTO_PAYLOAD_TYPE } from './dsse.ts';
import type { Statement } from './statements.ts';

// What a verified signature does not say by itself (sigstore-js leaves it to the caller): that the
// signed statement is about this image and is of the expected predicate type.

export type StatementCheck = { ok: true; statement: Statement } | { ok: false; reason: string };

export function checkStatement(bundle: Bundle, expect: { digest: string; predicateType?: string }): StatementCheck {
  if (bundle.content.$case !== 'dsseEnvelope') return { ok: false, reason: 'not a DSSE attestation' };
  const env = bundle.content.dsseEnvelope;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { ok: false, reason: `payload type ${env.payloadType.slice(0, 100)} is not in-toto` };
  let st: any;
  try { st = parseUntrustedJson(env.payload, 'in-toto statement', 64); } catch (e) { return { ok: false, reason: (e as Error).message }; }
  if (typeof st?._type !== 'string' || !st._type.startsWith('https://in-toto.io/Statement/')) return { ok: false, reason: 'not an in-toto statement' };
  const [alg, hex] = expect.digest.split(':');
  const subjects: any[] = Array.isArray(st.subject) ? st.subject : [];
  if (!subjects.some((s) => s?.digest && typeof s.digest === 'object' && s.digest[alg!] === hex)) {
    return { ok: false, reason: `statement subject is not ${expect.digest}` };
  }
  if (expect.predicateType !== undefined && st.predicateType !== expect.predicateType) {
    return { ok: false, reason: `predicate type ${String(st.predicateType).slice(0, 100)} is not ${expect.predicateType}` };
  }
  return { ok: true, statement: st as Statement };
}
