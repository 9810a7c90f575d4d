// Private keys, however they are written down: PEM on lines, PEM inside a JSON string (escaped
// line breaks, once or twice: service-account files, Terraform state, Kubernetes secrets rendered
// to JSON), PEM on one line (blanks or nothing between the body's lines, as environment variables
// carry it), PEM in base64 (Kubernetes data:), PuTTY key files; age secret keys (bech32, checksummed).
import { bech32Ok } from '../checksums.ts';
import type { SecretRule } from '../rule-types.ts';
import { END_B64, START, token } from './syntax.ts';

/** Between two lines of a PEM body: a line break, a JSON-escaped one (`\n`, `\\n`, `\r\n`), or blanks. */
const SEP = String.raw`(?:\r?\n|(?:\\{1,3}r)?\\{1,3}n|[ \t]{1,4})`;
const B64 = '[A-Za-z0-9+/=]';

function normalizedLength(v: string): number {
  return v.replace(/\\+[rn]|\s+/g, '').length;
}

export const KEY_RULES: SecretRule[] = [
  {
    id: 'private-key', title: 'Private key (PEM, PKCS#8, OpenSSH, PGP)', severity: 'critical',
    keywords: ['private key'],
    // header; armor headers of encrypted PEM / PGP (Proc-Type:, DEK-Info:, Version:); then the body's
    // first lines — a document that quotes only the header has no body
    regex: String.raw`-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----${SEP}?(?:[A-Za-z-]{1,30}: [^\r\n\\]{0,200}${SEP}){0,4}${SEP}{0,2}(?<secret>${B64}{40,5000}(?:${SEP}${B64}{4,100}){0,8})`,
    span: 6000,
    verify: (v) => normalizedLength(v) >= 64,
  },
  {
    ...token('private-key-base64', 'Private key (PEM in base64)', 'critical', `LS0tLS1CRUdJTi${B64}{100,8000}`, { keywords: ['ls0tls1crudjti'], end: END_B64, span: 8100 }),
    // base64 of "-----BEGIN …PRIVATE KEY-----" followed by a body
    verify: (v) => /^-----BEGIN[ A-Z0-9_-]{0,40}PRIVATE KEY(?: BLOCK)?-----\s*[\s\S]{0,300}?[A-Za-z0-9+/]{40}/.test(Buffer.from(v.slice(0, 600), 'base64').toString('latin1')),
  },
  {
    id: 'putty-private-key', title: 'PuTTY private key (.ppk)', severity: 'critical',
    keywords: ['private-lines:'],
    regex: String.raw`Private-Lines: \d{1,3}\r?\n(?<secret>${B64}{16,100}(?:\r?\n${B64}{4,100}){0,40})`,
    near: { regex: 'PuTTY-User-Key-File-\\d', before: 6000 }, span: 4500,
  },
  {
    id: 'age-secret-key', title: 'age secret key', severity: 'critical',
    keywords: ['age-secret-key-1'],
    regex: `${START}(?<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})(?![A-Za-z0-9])`,
    verify: bech32Ok,
  },
];
