// Credentials without a provider's format: passwords and keys assigned to credential-like names
// (in env files, YAML, JSON, XML, properties, code, Makefiles, Dockerfiles, command lines),
// passwords in URLs and in .netrc/.pgpass, curl's -u and -H, Authorization headers, JWTs,
// Kubernetes Secret manifests. These run after the provider rules, so a provider's token is
// reported once, under its provider.
import { base64JsonObject } from '../checksums.ts';
import { randomEnough } from '../entropy.ts';
import type { SecretRule } from '../rule-types.ts';
import { ASSIGN, END_B64, END_DASH, token, VALUE_END, VALUE_START } from './syntax.ts';

/** A JWT: its header is base64url JSON naming an algorithm or type. */
function jwtOk(v: string): boolean {
  const head = base64JsonObject(v.slice(0, v.indexOf('.')));
  if (head) return 'alg' in head || 'typ' in head;
  // a header damaged in transcription still decodes to `{"alg"…`
  return /"(?:alg|typ)"/.test(Buffer.from(v.slice(0, v.indexOf('.')), 'base64url').toString('latin1'));
}

/** Placeholders and references that stand where a credential would (any rule that reads a free-form value). */
const NOT_A_VALUE = [
  String.raw`^["']?\$\{?\w+\}?["']?$`, String.raw`\$\(`, String.raw`\{\{|\}\}`, String.raw`^%\w+%$`, String.raw`<[^>]*>`, String.raw`\[[^\]]*\]`,
];

/**
 * Names that hold a credential. `pass`, `auth` and `secret` only as whole words (not passive,
 * author, secretary); `token` not as tokenizer or tokens.
 */
const CREDENTIAL_NAME = String.raw`(?:(?i:password|passwd|passphrase|pwd|api[_.-]?key|apikey|access[_.-]?key|private[_.-]?key|(?:signing|encryption|master|license|client|app|hmac|jwt|session|shared)[_.-]?key|credentials?|creds)|(?i:pass|auth)(?![a-z])|(?i:secret)(?![a-z]{0,3}ary)|(?i:token)(?!iz|s\b|[a-rt-z]))`;

/** A value written without quotes or inside them: up to a blank, quote, separator or bracket. */
const FREE_VALUE = String.raw`[^\s"'\x60;,<>(){}\[\]\\|&]{8,150}`;

/** Names that contain a credential word but name something else (a file, an id, a public value…). */
const NOT_A_CREDENTIAL_NAME = [
  // what the credential word is qualified by
  String.raw`(?:public|pub|csrf|xsrf|authenticity|next|prev|previous|page|continuation|cancellation|cancel|sync|paging|pagination|id|lexer|parser|bearer[_.-]?format)[_.-]?tokens?`,
  String.raw`(?:public|primary|foreign|sort|partition|cache|hash|idempotency|lookup|map|dict|registry|bucket|object|ssh[_.-]?public)[_.-]?keys?$`,
  // what follows it: the name of the thing that holds or describes it
  String.raw`(?:pass(?:word|wd|phrase)?|pwd|secret|token|key|auth|credentials?|creds)s?(?:[_.-]?(?:file|files|path|paths|dir|name|names|id|ids|url|uri|endpoint|host|env|var|variable|ref|reference|source|hash|hashed|digest|length|len|size|min|max|minimum|maximum|policy|prompt|hint|label|field|placeholder|pattern|regex|format|type|types|enabled|enable|disabled|required|mode|expiry|expires|expiration|expired|ttl|lifetime|rotation|version|reset|changed|updated|count|attempts|strength|validator|validation|header|prefix|suffix|param|parameter|store|provider|method|scheme|kind|class|location|manager|service|loader|helper|util|utils|mgr|generator|cmd|command|option|options|flag|input|text|title|description|encoding|algorithm|algo|cipher|lookup|index|vault|resolver|selector|chars|characters|digits|age|days|seconds|timeout)){1,4}$`,
  String.raw`(?:secret|token|key|password)[_.-]?keyref`, String.raw`secretKeyRef|secretRef|secretName|secretsmanager|secrets?manager|keyvault|key[_.-]?vault`,
  String.raw`secrets$`, 'author', 'passport|bypass|passthrough|compass|passenger|passive|password[_.-]?less',
  // Java/Maven coordinates (io.jsonwebtoken:jjwt, org.apache.…): a dotted package, not a setting
  String.raw`^(?:io|org|com|net|javax?|jakarta)\.[a-z]`, 'jsonwebtoken',
];

/** Words of one case (or Capitalized) with at most 4 trailing digits, or numbers, joined by `_`, `-`, `.`. */
const WORD = '(?:(?:[a-z]+|[A-Z][a-z]+|[A-Z]+)[0-9]{0,4}|[0-9]+)';
const WORDS = `${WORD}(?:[-_.]${WORD}){1,12}`;

const IDENT = String.raw`_{0,2}(?:[a-z$][a-z0-9_$]*|[a-z$][a-z0-9]*(?:[A-Z][a-z0-9]+)+[A-Z]?|(?:[A-Z][a-z0-9]+)+[A-Z]?|[A-Z][A-Z0-9_]*)`;

/** Values that are code, references, paths, words or placeholders rather than a credential (case-sensitive). */
const NOT_A_SECRET = [
  ...NOT_A_VALUE,
  // obj.field, Class::CONST, $this->x: every part an identifier (lower, snake, camel, Pascal or UPPER case), not random text
  String.raw`^${IDENT}(?:(?:\.|::|->)${IDENT})+$`,
  // camelCase / PascalCase identifiers: each capital starts a word (a random mix like abcDEFghi… is not one)
  // (digits only at the very end: R1Sk43Dkto… and sOcFexnu54KaDvos… are random, secretOrPublicKey is a name)
  '^[a-z]+(?:[A-Z][a-z]+)*[0-9]{0,3}(?:[A-Z]{1,4}[0-9]{0,3})?$', '^[A-Z]{0,6}(?:[A-Z][a-z]+){2,}[0-9]{0,3}(?:[A-Z]{1,4})?$',
  // words joined by _ - . (snake, UPPER_SNAKE, kebab, Header-Case, dotted names, file names): each word
  // letters of one case (or Capitalized), at most a few digits at its end — random text mixes them inside
  `^_{0,2}${WORDS}$`,
  // variables and references: $VAR ${…} $(…) $dir/path $pkg::name %(name)s @name &name — a sigil before random text with symbols is a password
  String.raw`^\$(?:[{(]|[A-Za-z_]\w*(?:$|/|::))`, String.raw`^%\(`, String.raw`^[%@&][A-Za-z_]\w*$`,
  // paths: lower-case segments (a base64 value may start with / too, but has capitals)
  String.raw`^~?/(?:[a-z0-9_.@-]{1,64}/){0,12}[a-z0-9_.@-]{0,64}$`, String.raw`^\.{1,2}/`, String.raw`^[A-Za-z]:\\`,
  String.raw`\.(?:pem|key|crt|cer|der|p12|pfx|jks|json|ya?ml|txt|env|conf|cfg|ini|properties|xml|toml|[choa]|cc|cpp|go|py|js|ts|rb|java|sh|so|html?|css|log|lock|exe|dll)$`, // file names
  '^(?:[Tt]rue|[Ff]alse|[Nn]ull|[Nn]one|[Nn]il|undefined|TRUE|FALSE|NULL|NONE)$', String.raw`^https?:`,
  String.raw`^\d+(?:\.\d+)*$`, String.raw`^v?\d+\.\d+(?:\.\d+)?(?:[-+.][\w.]+)?$`, // numbers and versions
  String.raw`^[\w.-]+:[\w.-]+:\d[\w.-]*$`, // group:artifact:version
  '^(?:string|String|str|bytes|int|bool|boolean|object|Object|any|secret|password|token|required|optional)$',
];

/** Environment variables named like a credential: a literal value baked into the image config is a
 *  leak even when it is too short or too plain for the rules above. */
export const SECRET_ENV_NAME = /(?:^|_)(?:PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?)$/i;
/** empty, references, paths, placeholders, booleans: not a credential */
export const NOT_A_SECRET_VALUE = /^(?:|\$.*|\/.*|<.*>|\*+|x+|changeme|change_me|none|null|false|true|0|1)$/i;

export const GENERIC_RULES: SecretRule[] = [
  {
    ...token('jwt', 'JSON Web Token', 'medium', String.raw`eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,8000}\.(?:[A-Za-z0-9_-]{10,2000}={0,2})?`,
      { keywords: ['.eyj'], end: END_DASH, span: 12100 }),
    // jwt.io's example token is in every tutorial
    allow: ['SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'], verify: jwtOk,
  },
  {
    ...token('jwt-base64', 'JSON Web Token in base64', 'medium', 'ZXlK[A-Za-z0-9+/]{40,16000}={0,2}', { keywords: ['zxlk'], end: END_B64, span: 16100 }),
    verify: (v) => { const s = Buffer.from(v, 'base64').toString('latin1'); return /^eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./.test(s) && jwtOk(s); },
  },
  {
    id: 'database-url-password', title: 'Database URL with a password', severity: 'high',
    keywords: ['://'],
    regex: String.raw`\b(?:postgres(?:ql)?|mysql[x2]?|mariadb|mongodb(?:\+srv)?|redis|rediss|amqps?|mssql|sqlserver|oracle|clickhouse|cockroachdb|couchdb|neo4j(?:\+s)?|bolt|cassandra|jdbc:[a-z]{2,12}(?::[a-z]{1,12})?)://[^\s:/@"'\x60]{0,64}:(?<secret>[^\s:/@"'\x60]{3,128})@[\w.-]{1,253}`,
    flags: 'i', span: 600,
    allow: ['^(?:password|pass|passwd|secret|pwd|changeme|\\$[\\w{}]+|%[\\w(].*)$', ...NOT_A_VALUE],
  },
  {
    id: 'url-credentials', title: 'Password in a URL (http, ftp, git, smtp, ldap…)', severity: 'high',
    keywords: ['://'],
    regex: String.raw`\b(?:https?|ftps?|sftp|ssh|git|svn|smtps?|imaps?|pop3s?|ldaps?|rsync|wss?|nats|mqtts?|kafka|s3)://[^\s:/@"'\x60]{1,64}:(?<secret>[^\s:/@"'\x60]{3,128})@[\w.-]{1,253}`,
    flags: 'i', entropy: 2.5, span: 600,
    allow: ['^(?:password|pass|passwd|secret|pwd|token|x-oauth-basic|changeme|[x*]+)$', ...NOT_A_VALUE],
    allowMatch: [String.raw`@(?:www\.)?(?:example|test)\.(?:com|org|net)\b|@(?:host|hostname|server|domain|your[\w-]*)\b`],
  },
  {
    id: 'netrc-password', title: 'Password in a .netrc file', severity: 'high',
    keywords: ['password'], paths: [String.raw`(?:^|/)[._]netrc$`],
    regex: String.raw`(?:^|\s)password[ \t]{1,10}(?<secret>\S{3,200})`,
    entropy: 2, allow: NOT_A_VALUE,
  },
  {
    id: 'pgpass-password', title: 'Password in a .pgpass file', severity: 'high',
    keywords: [':'], paths: [String.raw`(?:^|/)\.pgpass$`],
    // hostname:port:database:username:password
    regex: String.raw`(?:^|\n)[^:\s#]{1,253}:(?:\d{1,5}|\*):[^:\s]{1,63}:[^:\s]{1,63}:(?<secret>\S{3,200})`,
    entropy: 2, span: 700,
  },
  {
    id: 'curl-auth-user', title: 'Credentials on a curl command line (-u/--user)', severity: 'high',
    keywords: ['curl'],
    regex: String.raw`(?<![\w-])(?:-u|--user)(?:=|[ \t]{1,5})(?:"(?<secret>[^"\r\n]{0,200}:[^"\r\n]{0,200})"|'(?<secret>[^'\r\n]{0,200}:[^'\r\n]{0,200})'|(?<secret>(?:"[^"\r\n]{1,100}"|'[^'\r\n]{1,100}'|[\w$@.{}-]{1,100}):(?:"[^"\r\n]{1,100}"|'[^'\r\n]{1,100}'|[^\s"';|&]{1,100})))(?=\s|$|[;|&])`,
    near: { regex: String.raw`\bcurl\b`, before: 1000 }, span: 1500, entropy: 2,
    // at least 3 characters on one side; the other side may be empty (an API key sent as the user name)
    verify: (v) => { const [u = '', p = ''] = v.replace(/["']/g, '').split(/:(.*)/s); return u.length >= 3 || p.length >= 3; },
    allow: [...NOT_A_VALUE, String.raw`:["']?\$`, String.raw`(?i:^[^:]*:["']?(?:change(?:it|me)|pass(?:word)?|pwd|test|token|secret|x+|\*+)["']?$)`, '^:?$'],
  },
  {
    id: 'curl-auth-header', title: 'Credential in a curl header (-H)', severity: 'high',
    keywords: ['curl'],
    regex: String.raw`(?<![\w-])(?:-H|--header)(?:=|[ \t]{1,5})["'](?i:(?:x-(?:[a-z]{1,20}-)?)?(?:api-?)?(?:key|token)|apikey)[ \t]{0,3}:[ \t]{0,5}(?<secret>[\w=~@.+/-]{8,500})["']`,
    near: { regex: String.raw`\bcurl\b`, before: 1500 }, span: 2000, entropy: 2.75,
    allow: NOT_A_VALUE,
  },
  {
    id: 'cli-password', title: 'Password on a command line (docker login -p, sshpass -p, mysql -p…)', severity: 'high',
    keywords: ['docker', 'sshpass', 'mysql', 'mariadb', 'mongo', 'redis-cli'],
    regex: String.raw`(?:\bdocker[ \t]{1,3}login\b[^\n|;&]{0,200}?[ \t](?:-p|--password)(?:=|[ \t]{1,3})|\bsshpass[ \t]{1,3}-p[ \t]?|\b(?:mysql|mariadb|mysqldump|mysqladmin)\b[^\n|;&]{0,200}?[ \t]-p|\bredis-cli\b[^\n|;&]{0,200}?[ \t]-a[ \t]{1,3}|\bmongo(?:sh|dump|restore)?\b[^\n|;&]{0,200}?[ \t](?:-p|--password)[ \t=])["']?(?<secret>[^\s"'$;|&<>]{4,128})`,
    entropy: 2.5, span: 400, allow: [...NOT_A_VALUE, '^(?i:password|pass|secret|changeme)$'],
  },
  {
    id: 'authorization-header', title: 'Credential in an HTTP Authorization header', severity: 'high',
    keywords: ['authorization'],
    regex: String.raw`(?i:authorization)["']?(?:[ \t]{0,3}[:=][ \t]{0,3}["']?(?:(?i:bearer|token|api-token)[ \t]{1,3})?|[ \t]{1,3}["']?(?i:bearer|token|api-token)[ \t]{1,3})(?<secret>[\w=~@.+/-]{8,2000})(?![\w=~@.+/-])`,
    entropy: 2.75, span: 2100,
    allow: ['^(?i:basic|bearer|token|digest|negotiate|ntlm)$', ...NOT_A_SECRET],
  },
  {
    id: 'basic-auth-header', title: 'Basic credentials in an HTTP Authorization header', severity: 'high',
    keywords: ['basic'],
    // `Authorization: Basic …`, or with a blank between (nginx proxy_set_header, HTTP client configs)
    regex: String.raw`(?i:authorization)["']?(?:[ \t]{0,3}[:=]|[ \t])[ \t]{0,3}["']?(?i:basic)[ \t]{1,3}(?<secret>[A-Za-z0-9+/]{8,400}={0,3})(?![\w=~@.+/-])`,
    entropy: 2, span: 500,
    // base64 of user:password (an empty password is allowed: an API key sent as the user)
    verify: (v) => v.length % 4 === 0 && /^[\x21-\x39\x3b-\x7e][\x20-\x39\x3b-\x7e]{0,199}:[\x20-\x7e]{0,200}$/.test(Buffer.from(v, 'base64').toString('latin1')),
  },
  {
    id: 'kubernetes-secret', title: 'Kubernetes Secret manifest with data', severity: 'high',
    keywords: ['data:'], paths: [String.raw`\.ya?ml$`],
    // the first value under data:/stringData: of a manifest whose kind is Secret (kubectl prints data before kind)
    regex: String.raw`(?:^|\n)[ \t]{0,8}(?:string)?[Dd]ata:[ \t]*\r?\n[ \t]{1,12}(?<key>[\w.-]{1,100}):[ \t]{1,5}["']?(?<secret>[^\s"'#{}|>$][^\s"']{7,4000})`,
    near: { regex: String.raw`kind:[ \t]*["']?Secret["']?[ \t]*(?:\r?\n|$)`, before: 4000, after: 8000 },
    entropy: 3, span: 4200,
  },
  {
    id: 'generic-password', title: 'Password or secret assignment', severity: 'medium',
    // every spelling of the compound names (signing_key, signingKey, signing.key, signing-key): a
    // regex window opens only where a keyword occurs
    // `pass` and `auth` only followed by a separator: "passed", "compass", "author" (every package.json) open no window
    keywords: ['password', 'passwd', 'passphrase', ...['pass', 'auth'].flatMap((w) => ['=', ':', '"', "'", ' ', '\t', '>', '_', '-', '.'].map((d) => w + d)),
      'pwd', 'secret', 'token', 'credential', 'creds',
      ...['api', 'access', 'private', 'signing', 'encryption', 'master', 'license', 'client', 'app', 'hmac', 'jwt', 'session', 'shared']
        .flatMap((w) => ['', '_', '.', '-'].map((sep) => `${w}${sep}key`))],
    regex: [
      `(?<key>${CREDENTIAL_NAME}[\\w.-]{0,30})${ASSIGN}${VALUE_START}(?<secret>${FREE_VALUE})(?<!:)${VALUE_END}`,
      // Dockerfile `ENV NAME value` / `ARG`, and command-line flags `--password value`; their prefixes are
      // consumed, not looked behind, so the regex does not run a lookbehind at every position of a window
      `(?:^|(?<=\\n))[ \\t]{0,8}(?:ENV|ARG)[ \\t]{1,5}[\\w.-]{0,40}?(?<key>${CREDENTIAL_NAME}[\\w.-]{0,30})[ \\t]{1,5}["']?(?<secret>${FREE_VALUE})(?<!:)${VALUE_END}`,
      `[ \\t]--[\\w-]{0,30}?(?<key>${CREDENTIAL_NAME}[\\w-]{0,30})[ \\t]{1,3}["']?(?<secret>${FREE_VALUE})(?<!:)${VALUE_END}`,
    ].join('|'),
    entropy: 3, verify: (v) => randomEnough(v, 3.5),
    // a match is a name (≤ 80), an operator and a value (≤ 150): 300 characters around a keyword hold it
    span: 300,
    allowKeys: NOT_A_CREDENTIAL_NAME,
    allow: NOT_A_SECRET,
  },
];
