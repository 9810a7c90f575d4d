// Secret detection rules as plain data. Regexes adapted from gitleaks v8's default config
// (config/gitleaks.toml: aws-access-token, github-pat/oauth/app-token/fine-grained-pat, gitlab-pat,
// npm-access-token, pypi-upload-token, slack-*-token/webhook-url, stripe-access-token,
// twilio-api-key, sendgrid-api-token, jwt, private-key, generic-api-key), tightened so that every
// quantifier is bounded (no catastrophic backtracking on hostile layer bytes).
import type { SecretHit } from '../types.ts';

export type Severity = SecretHit['severity'];

export interface SecretRule {
  id: string;
  title: string;
  severity: Severity;
  /** lower-case substrings; the regex runs only when one occurs in the text (cheap prefilter) */
  keywords: string[];
  /** JavaScript regex source; the secret is capture group `group` (default: 1 when the regex has groups, else 0) */
  regex: string;
  /** extra regex flags ('i'); 'g' is always added */
  flags?: string;
  group?: number;
  /** minimum Shannon entropy (bits per character) of the secret, for generic rules */
  entropy?: number;
  /** regexes that, matching the secret (or the whole match), mark it as a known false positive */
  allow?: string[];
}

/** Values that are documentation examples or placeholders everywhere (gitleaks' global allow list, extended). */
export const GLOBAL_ALLOW: string[] = [
  'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', // AWS documentation keys
  '2YotnFZFEjr1zCsicMWpAA', 'tGzv3JOkF0XG5Qx2TlKWIA', 'SlAV32hkKG', // RFC 6749 examples
  '(?:^|[^a-z])(?:example|sample|dummy|placeholder|changeme|change_me|redacted|your[_-]?\\w{0,20}[_-]?here)(?:[^a-z]|$)',
  '^(.)\\1{5,}$', 'x{6,}', 'X{6,}', '\\*{4,}', '\\.{3,}', '<[^>]{0,60}>', '\\$\\{[^}]{0,80}\\}', '\\{\\{[^}]{0,80}\\}\\}',
];

/** Paths whose content is documentation, examples or test data (regexes on the absolute path). */
export const GLOBAL_ALLOW_PATHS: string[] = [
  '/(?:tests?|testdata|testing|__tests__|fixtures?|spec|specs|examples?|samples?|docs?)/',
  '\\.(?:md|rst|markdown|adoc|example|sample|template|dist|pub)$',
  '(?:^|/)(?:README|CHANGELOG|CHANGES|NEWS|HISTORY)[^/]*$',
  '\\.(?:egg-info|dist-info)/(?:PKG-INFO|METADATA|DESCRIPTION\\.rst)$', // package long descriptions (READMEs)
];

// A value after `=`/`:` that ends at whitespace/quote: bounded so a long line costs linear time.
const ASSIGNED = `[\\t ]{0,3}(?:=|:=|:|=>)[\\t ]{0,3}["'\`]?`;

export const DEFAULT_RULES: SecretRule[] = [
  {
    id: 'aws-access-key-id', title: 'AWS access key ID', severity: 'high',
    keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'],
    regex: '\\b((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\\b',
  },
  {
    id: 'aws-secret-access-key', title: 'AWS secret access key', severity: 'critical',
    keywords: ['aws', 'secret_access_key', 'secretaccesskey'],
    regex: `(?:aws)?[\\w.-]{0,20}?(?:secret[_-]?access[_-]?key|secret[_-]?key)[\\w.-]{0,10}["']?${ASSIGNED}([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])`,
    flags: 'i', entropy: 3.5,
  },
  {
    id: 'gcp-service-account', title: 'GCP service account key (JSON)', severity: 'critical',
    keywords: ['"private_key"'],
    // a service-account JSON: a PEM private key (JSON-escaped newlines) followed by client_email
    regex: '"private_key"\\s{0,5}:\\s{0,5}"-----BEGIN PRIVATE KEY-----\\\\n([A-Za-z0-9+/=]{40,80}(?:\\\\n[A-Za-z0-9+/=]{40,80}){1,4})(?=[\\s\\S]{0,4000}?"client_email"\\s{0,5}:)',
  },
  {
    id: 'gcp-api-key', title: 'Google API key', severity: 'high',
    keywords: ['aiza'],
    regex: '\\b(AIza[\\w-]{35})(?![\\w-])',
  },
  {
    id: 'azure-storage-key', title: 'Azure storage account key / connection string', severity: 'critical',
    keywords: ['accountkey'],
    regex: 'AccountKey=([A-Za-z0-9+/]{86}==)',
  },
  {
    id: 'azure-sas-connection', title: 'Azure Service Bus / Event Hubs connection string', severity: 'critical',
    keywords: ['sharedaccesskey='],
    regex: 'SharedAccessKey=([A-Za-z0-9+/]{42,44}=?)',
  },
  {
    id: 'github-token', title: 'GitHub token (personal, OAuth, app)', severity: 'critical',
    keywords: ['ghp_', 'gho_', 'ghs_', 'ghu_', 'ghr_'],
    regex: '\\b((?:ghp|gho|ghs|ghu|ghr)_[0-9a-zA-Z]{36})\\b',
  },
  {
    id: 'github-fine-grained-pat', title: 'GitHub fine-grained personal access token', severity: 'critical',
    keywords: ['github_pat_'],
    regex: '\\b(github_pat_[0-9a-zA-Z_]{82})\\b',
  },
  {
    id: 'gitlab-pat', title: 'GitLab personal access token', severity: 'critical',
    keywords: ['glpat-'],
    regex: '\\b(glpat-[\\w-]{20,64})(?![\\w-])',
  },
  {
    id: 'npm-token', title: 'npm access token', severity: 'critical',
    keywords: ['npm_'],
    regex: '\\b(npm_[a-zA-Z0-9]{36})\\b',
  },
  {
    id: 'pypi-token', title: 'PyPI upload token', severity: 'critical',
    keywords: ['pypi-ageichlwas5vcmc'],
    regex: '\\b(pypi-AgEIcHlwaS5vcmc[\\w-]{50,1000})(?![\\w-])',
  },
  {
    id: 'dockerhub-pat', title: 'Docker Hub personal access token', severity: 'critical',
    keywords: ['dckr_pat_'],
    regex: '\\b(dckr_pat_[a-zA-Z0-9_-]{27})(?![\\w-])',
  },
  {
    id: 'slack-token', title: 'Slack token', severity: 'high',
    keywords: ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxs-', 'xoxe-'],
    regex: '\\b(xox[abprse]-(?:[0-9]{6,13}-){1,3}[a-zA-Z0-9-]{10,48})(?![\\w-])',
  },
  {
    id: 'slack-webhook', title: 'Slack incoming webhook URL', severity: 'high',
    keywords: ['hooks.slack.com'],
    regex: '(hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{20,64}(?:/[A-Za-z0-9+/]{10,64}){0,2})',
  },
  {
    id: 'stripe-key', title: 'Stripe live secret / restricted key', severity: 'critical',
    keywords: ['sk_live_', 'rk_live_'],
    regex: '\\b((?:sk|rk)_live_[a-zA-Z0-9]{20,99})\\b',
  },
  {
    id: 'twilio-api-key', title: 'Twilio API key', severity: 'high',
    keywords: ['twilio'],
    // an SK id alone is common hex: require "twilio" shortly before it
    regex: 'twilio[\\s\\S]{0,200}?\\b(SK[0-9a-fA-F]{32})\\b',
    flags: 'i',
  },
  {
    id: 'sendgrid-api-key', title: 'SendGrid API key', severity: 'high',
    keywords: ['sg.'],
    regex: '\\b(SG\\.[\\w-]{22}\\.[\\w-]{43})(?![\\w-])',
  },
  {
    id: 'private-key', title: 'Private key (PEM / OpenSSH)', severity: 'critical',
    keywords: ['private key'],
    // header plus the first lines of a real base64 body: docs that only quote the header do not match
    regex: '-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----\\r?\\n((?:[A-Za-z-]{1,30}: [^\\r\\n]{0,200}\\r?\\n){0,4}\\s{0,2}(?:[A-Za-z0-9+/=]{40,80}\\r?\\n){2,6})',
  },
  {
    id: 'jwt', title: 'JSON Web Token', severity: 'medium',
    keywords: ['eyj'],
    regex: '\\b(eyJ[a-zA-Z0-9_-]{15,2000}\\.eyJ[a-zA-Z0-9_-]{15,8000}\\.[a-zA-Z0-9_-]{20,2000})(?![\\w-])',
  },
  {
    id: 'database-url-password', title: 'Database URL with a password', severity: 'high',
    keywords: ['://'],
    regex: '\\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\\+srv)?|redis|rediss|amqps?|mssql|sqlserver|jdbc:[a-z]{2,12})://[^\\s:/@"\'`]{1,64}:([^\\s:/@"\'`]{3,128})@[\\w.-]{1,253}',
    flags: 'i',
    allow: ['^(?:password|pass|passwd|secret|pwd|\\$[\\w{}]+|%[\\w(].*)$'],
  },
  {
    id: 'generic-password', title: 'Password or secret assignment', severity: 'medium',
    keywords: ['pass', 'pwd', 'secret', 'token', 'api_key', 'apikey', 'api-key'],
    // keys naming something about the secret (token_type, password_file, secret_name) hold no secret
    regex: `(?:password|passwd|pwd|secret|token|api[_-]?key)(?![_.-]?(?:type|file|path|name|url|uri|id|len|length|prompt|hint|field|env|cmd|command|policy|ttl|count|expiry|expires)\\b)[\\w.-]{0,20}["']?${ASSIGNED}([^\\s"'\`;,<>(){}\\[\\]\\\\&]{8,128})`,
    flags: 'i', entropy: 3.5,
    // identifiers, references, paths and calls are code, not values
    allow: ['^[A-Za-z_]\\w*(?:(?:\\.|::|->)[A-Za-z_]\\w*)+$', '^[a-z]+$', '^_{0,2}[a-z][a-z0-9]*(?:_[a-z0-9]+)+$', '^[a-z]+(?:[A-Z][a-z]+)+$', '^[A-Z]+(?:_[A-Z]+)*$', '^[$%@&]', '^/', '^(?:true|false|null|none|nil|undefined)$', '^https?:'],
  },
];

/** Environment variables named like a credential: a literal value baked into the image config is a
 *  leak even when it is too short or too plain for the rules above. */
export const SECRET_ENV_NAME = /(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
/** empty, references, paths, placeholders, booleans: not a credential */
export const NOT_A_SECRET_VALUE = /^(?:|\$.*|\/.*|<.*>|\*+|x+|changeme|change_me|none|null|false|true|0|1)$/i;
