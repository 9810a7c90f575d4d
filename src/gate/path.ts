// What a request to the gate is, decided on the path as the upstream registry will route it.
//
// distribution (Go net/http + gorilla/mux) percent-decodes the path once and matches its routes on
// the decoded text, so `/v2/rt%2Ftelnetd/%6danifests/%31` IS a pull of rt/telnetd:1; it answers
// `//`, `/./`, `/../` and a trailing slash with a 301 to the cleaned path. The gate decodes the same
// way, classifies the decoded path and forwards only that canonical path — never the raw target — so
// what it checked and what the upstream serves cannot differ. What other servers could read another
// way (an encoded `/`, `%25`, `;`, `\`, control or non-ASCII bytes) is refused, and a path with a
// `manifests` or `blobs` segment that is not a well-formed manifest or blob request is refused too:
// deny by default, whatever the upstream would have made of it.

export type GateTarget =
  | { kind: 'refuse'; status: 400 | 404; code: string; message: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'manifest'; path: string; query: string; name: string; reference: string; tag: boolean }
  | { kind: 'blob'; path: string; query: string; name: string; digest: string }
  | { kind: 'other'; path: string; query: string };

// OCI distribution-spec grammar (lower-case only: distribution reads an upper-case first component
// as a registry host, and a case-insensitive upstream would serve it as another repository's image)
const NAME = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128})$/;
const MANIFEST = /^\/v2\/(.+)\/manifests\/([^/]+)$/;
const BLOB = /^\/v2\/(.+)\/blobs\/([^/]+)$/;
/** routes that may hold a `manifests`/`blobs` segment as part of the repository name */
const NAMED_OTHER = /^\/v2\/(.+)\/(?:blobs\/uploads\/[^/]*|tags\/list|referrers\/[^/]+)$/;
const GUARDED_SEGMENT = /\/(?:manifests|blobs)(?:\/|$)/i;
/** raw bytes allowed in the path: RFC 3986 pchar and `/`, without `;` (path parameters to some servers) */
const RAW_PATH = /^[A-Za-z0-9\-._~!$&'()*+,=:@/%]*$/;
/** what a percent escape may stand for: the same set without `/` and `%` (ambiguous to decode twice) */
const DECODED_OK = /^[A-Za-z0-9\-._~!$&'()*+,=:@]$/;
const RAW_QUERY = /^[\x21-\x22\x24-\x7e]*$/; // printable ASCII without '#'

export function classifyTarget(rawTarget: string): GateTarget {
  if (!rawTarget.startsWith('/')) return refuse(400, 'UNSUPPORTED', 'the request target must be a path (origin-form)');
  const q = rawTarget.indexOf('?');
  const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q);
  const query = q < 0 ? '' : rawTarget.slice(q);
  if (!RAW_QUERY.test(query.slice(1))) return refuse(400, 'UNSUPPORTED', 'the query string holds characters the gate does not pass on');
  if (!RAW_PATH.test(rawPath)) return refuse(400, 'UNSUPPORTED', 'the path holds characters the gate does not pass on (;, \\, #, spaces, control or non-ASCII bytes)');
  const decoded = percentDecode(rawPath);
  if (typeof decoded !== 'string') return decoded;
  const path = cleanPath(decoded);
  if (path !== '/v2' && !path.startsWith('/v2/')) return refuse(404, 'NAME_UNKNOWN', 'only the registry API (/v2/) is served here');
  if (path !== decoded) return { kind: 'redirect', location: path + query }; // what distribution answers too
  // a trailing slash on a manifest or blob path: distribution redirects to the path without it
  const named = NAMED_OTHER.exec(path);
  if (named && NAME.test(named[1]!)) return { kind: 'other', path, query };
  if (path.endsWith('/') && path !== '/v2/' && GUARDED_SEGMENT.test(path)) return { kind: 'redirect', location: path.slice(0, -1) + query };
  let m = MANIFEST.exec(path);
  if (m) {
    const [, name, reference] = m as unknown as [string, string, string];
    if (!NAME.test(name) || name.length > 255) return refuse(400, 'NAME_INVALID', `invalid repository name "${name.slice(0, 300)}"`);
    if (DIGEST.test(reference)) return { kind: 'manifest', path, query, name, reference, tag: false };
    if (TAG.test(reference)) return { kind: 'manifest', path, query, name, reference, tag: true };
    return reference.includes(':')
      ? refuse(400, 'DIGEST_INVALID', `invalid digest "${reference.slice(0, 200)}" (sha256/sha384/sha512, lower-case hex)`)
      : refuse(400, 'TAG_INVALID', `invalid tag "${reference.slice(0, 200)}"`);
  }
  m = BLOB.exec(path);
  if (m) {
    const [, name, digest] = m as unknown as [string, string, string];
    if (!NAME.test(name) || name.length > 255) return refuse(400, 'NAME_INVALID', `invalid repository name "${name.slice(0, 300)}"`);
    if (!DIGEST.test(digest)) return refuse(400, 'DIGEST_INVALID', `invalid digest "${digest.slice(0, 200)}" (sha256/sha384/sha512, lower-case hex)`);
    return { kind: 'blob', path, query, name, digest };
  }
  if (GUARDED_SEGMENT.test(path)) return refuse(400, 'UNSUPPORTED', 'not a manifest or blob request the gate can check: /v2/<name>/manifests/<tag|digest> or /v2/<name>/blobs/<digest>');
  return { kind: 'other', path, query };
}

/** Strict percent-decoding (Go's url.PathUnescape, minus what is ambiguous): a refusal or the text. */
function percentDecode(raw: string): string | Extract<GateTarget, { kind: 'refuse' }> {
  if (!raw.includes('%')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== '%') { out += raw[i]; continue; }
    const hex = raw.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return refuse(400, 'UNSUPPORTED', `invalid percent escape "%${hex}" in the path`);
    const c = String.fromCharCode(parseInt(hex, 16));
    if (c === '/') return refuse(400, 'NAME_INVALID', 'an encoded "/" (%2F) in the path is refused: it would name another repository');
    if (!DECODED_OK.test(c)) return refuse(400, 'UNSUPPORTED', `the percent escape %${hex} stands for a character the gate does not pass on`);
    out += c;
    i += 2;
  }
  return out;
}

/** gorilla/mux's cleanPath: Go's path.Clean, keeping a trailing slash. */
function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const cleaned = '/' + out.join('/');
  return p.endsWith('/') && cleaned !== '/' ? cleaned + '/' : cleaned;
}

function refuse(status: 400 | 404, code: string, message: string): Extract<GateTarget, { kind: 'refuse' }> {
  return { kind: 'refuse', status, code, message };
}
