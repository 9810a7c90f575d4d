import { createVerify, X509Certificate } from 'node:crypto';
import { CustomsError } from '../errors.ts';
import { str } from './classify.ts';

// Amazon SNS HTTP(S) delivery: every message is signed by SNS with the certificate at
// SigningCertURL, which must be an https URL on an sns.<region>.amazonaws.com host (otherwise anyone
// could sign with their own certificate). SubscriptionConfirmation is confirmed by GETting
// SubscribeURL (also only on amazonaws.com). Returns the Message of a Notification.

export interface SnsOptions {
  /** a PEM used instead of fetching SigningCertURL (tests, air-gapped setups) */
  certificatePem?: string | undefined;
  /** HTTP GET used for the certificate and the confirmation (tests inject a local one) */
  fetch?: (url: string) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;
  /** topics accepted (ARNs); empty = any */
  topics?: string[];
}

const SNS_HOST = /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const certCache = new Map<string, string>();

const FIELDS: Record<string, string[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

function refused(message: string): CustomsError { return new CustomsError('auth', message); }

export function amazonUrl(u: string | undefined, what: string): URL {
  let url: URL;
  try { url = new URL(u ?? ''); } catch { throw refused(`${what} is not a URL`); }
  if (url.protocol !== 'https:' || !SNS_HOST.test(url.hostname)) throw refused(`${what} is not an https sns.*.amazonaws.com URL`);
  return url;
}

/** The canonical string SNS signs: "Key\nValue\n" for each present field of the type, in order. */
export function snsStringToSign(m: Record<string, unknown>): string {
  const fields = FIELDS[String(m.Type)];
  if (!fields) throw new CustomsError('usage', `unknown SNS message type ${String(m.Type).slice(0, 40)}`);
  return fields.filter((f) => typeof m[f] === 'string').map((f) => `${f}\n${m[f] as string}\n`).join('');
}

export async function verifySns(m: Record<string, unknown>, opts: SnsOptions): Promise<void> {
  const signature = str(m, 'Signature');
  const version = str(m, 'SignatureVersion');
  if (!signature || (version !== '1' && version !== '2')) throw refused('SNS message without a Signature (version 1 or 2)');
  let pem = opts.certificatePem;
  if (!pem) {
    const url = amazonUrl(str(m, 'SigningCertURL'), 'SigningCertURL').toString();
    pem = certCache.get(url);
    if (!pem) {
      const res = await get(opts, url, 'the SNS signing certificate');
      if (!res.ok) throw new CustomsError('unreachable', `cannot fetch the SNS signing certificate (HTTP ${res.status})`);
      pem = (await res.text()).slice(0, 64 * 1024);
      certCache.set(url, pem);
    }
  }
  let ok = false;
  try {
    const key = new X509Certificate(pem).publicKey;
    ok = createVerify(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256').update(snsStringToSign(m)).verify(key, signature, 'base64');
  } catch (e) {
    if (e instanceof CustomsError) throw e;
    throw refused('SNS signature cannot be checked');
  }
  if (!ok) throw refused('SNS signature does not verify');
}

/** Verify, confirm a subscription, and return a Notification's Message (undefined otherwise). */
export async function handleSns(m: Record<string, unknown>, opts: SnsOptions): Promise<string | undefined> {
  await verifySns(m, opts);
  if (opts.topics?.length && !opts.topics.includes(String(m.TopicArn))) throw refused('SNS topic not allowed');
  if (m.Type === 'SubscriptionConfirmation') {
    const url = amazonUrl(str(m, 'SubscribeURL'), 'SubscribeURL').toString();
    const res = await get(opts, url, 'the SNS subscription confirmation');
    if (!res.ok) throw new CustomsError('unreachable', `SNS subscription confirmation failed (HTTP ${res.status})`);
    return undefined;
  }
  if (m.Type === 'Notification') return str(m, 'Message');
  return undefined;
}

/** GET from SNS; a failure to reach it is SNS's (502 with the reason), never the sender's or a 500. */
async function get(opts: SnsOptions, url: string, what: string) {
  try {
    return await (opts.fetch ?? defaultFetch)(url);
  } catch (e) {
    if (e instanceof CustomsError) throw e;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CustomsError('unreachable', `cannot fetch ${what} from ${new URL(url).host} (${cause?.code ?? cause?.message ?? (e as Error).message})`, { cause: e, transient: true });
  }
}

async function defaultFetch(url: string) {
  return fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'error' });
}
