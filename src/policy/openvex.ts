// OpenVEX documents (https://github.com/openvex/spec) turned into exceptions: a `not_affected` or
// `fixed` statement says a vulnerability does not apply to a product, which is what an exception
// means. `affected` and `under_investigation` statements change nothing.
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';
import type { ActiveException } from './exceptions.ts';

interface VexProduct { '@id'?: string; identifiers?: { purl?: string }; subcomponents?: VexProduct[] }
interface VexStatement {
  vulnerability?: { name?: string; '@id'?: string; aliases?: string[] } | string;
  products?: (VexProduct | string)[];
  status?: string;
  justification?: string;
  impact_statement?: string;
  status_notes?: string;
}

const MAX_VEX_BYTES = 16 * 1024 * 1024;

/** Parse an OpenVEX document into exceptions. Throws CustomsError('usage') when it is not OpenVEX. */
export function openVexExceptions(text: string, origin = 'OpenVEX document'): ActiveException[] {
  if (Buffer.byteLength(text) > MAX_VEX_BYTES) throw new CustomsError('usage', `${origin}: larger than ${MAX_VEX_BYTES} bytes`);
  let doc: any;
  try {
    doc = parseUntrustedJson(text, origin, 32);
  } catch (e) {
    throw new CustomsError('usage', `${origin} is not JSON: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || typeof doc['@context'] !== 'string' || !doc['@context'].startsWith('https://openvex.dev/ns')) {
    throw new CustomsError('usage', `${origin}: not an OpenVEX document (@context must be https://openvex.dev/ns/...)`);
  }
  if (!Array.isArray(doc.statements)) throw new CustomsError('usage', `${origin}: statements must be a list`);
  const author = typeof doc.author === 'string' && doc.author ? doc.author : 'unknown author';
  const docId = typeof doc['@id'] === 'string' ? doc['@id'] : 'openvex';
  const out: ActiveException[] = [];
  (doc.statements as VexStatement[]).forEach((st, i) => {
    if (!st || typeof st !== 'object') throw new CustomsError('usage', `${origin}: statements[${i}] is not an object`);
    if (st.status !== 'not_affected' && st.status !== 'fixed') return;
    const v = st.vulnerability;
    const ids = typeof v === 'string' ? [v] : [v?.name, ...(Array.isArray(v?.aliases) ? v.aliases : [])].filter((x): x is string => typeof x === 'string' && x.length > 0);
    if (ids.length === 0) throw new CustomsError('usage', `${origin}: statements[${i}] names no vulnerability`);
    const why = [st.status, st.justification, st.impact_statement ?? st.status_notes].filter(Boolean).join(': ');
    for (const target of productTargets(st.products ?? [])) {
      for (const id of ids) {
        out.push({
          id, justification: why || st.status, owner: author, source: `openvex:${docId}`,
          ...(target.digest ? { digest: target.digest } : {}),
          ...(target.package ? { package: target.package } : {}),
        });
      }
    }
  });
  return out;
}

/**
 * What a statement's products narrow the exception to. An image product (pkg:oci/…@sha256:…, or a
 * reference with a digest) narrows to that digest; subcomponents (package purls) narrow to those
 * packages. A product with no usable identifier applies to every image: that is how a team says
 * "this CVE does not affect anything of ours", and is what the document literally states.
 */
function productTargets(products: (VexProduct | string)[]): { digest?: string; package?: string }[] {
  const out: { digest?: string; package?: string }[] = [];
  for (const raw of products.length ? products : [{}]) {
    const p: VexProduct = typeof raw === 'string' ? { '@id': raw } : raw ?? {};
    const id = p['@id'] ?? p.identifiers?.purl ?? '';
    const digest = /sha256:[0-9a-f]{64}/.exec(decodeURIComponent(id))?.[0];
    const subs = (p.subcomponents ?? []).map((s) => packageName(s['@id'] ?? s.identifiers?.purl ?? '')).filter((x): x is string => !!x);
    const pkgSelf = !digest ? packageName(id) : undefined;
    if (subs.length) for (const s of subs) out.push({ ...(digest ? { digest } : {}), package: s });
    else if (pkgSelf) out.push({ package: pkgSelf });
    else out.push(digest ? { digest } : {});
  }
  return out;
}

/** the package name of a non-image purl: pkg:deb/debian/openssl@3.0 → openssl; pkg:npm/%40a/b → @a/b */
function packageName(purl: string): string | undefined {
  const m = /^pkg:([a-z]+)\/(.+?)(?:@[^?#]*)?(?:[?#].*)?$/.exec(purl);
  if (!m || m[1] === 'oci' || m[1] === 'docker') return undefined;
  const parts = m[2]!.split('/').map(decodeURIComponent);
  if (m[1] === 'npm' && parts.length >= 2 && parts[0]!.startsWith('@')) return `${parts[0]}/${parts[1]}`;
  if (m[1] === 'maven' && parts.length >= 2) return `${parts[0]}:${parts[1]}`;
  return parts[parts.length - 1];
}
