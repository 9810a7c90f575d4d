// A labelled corpus of secrets and look-alikes as files at realistic image paths: every provider
// format written in the syntaxes configuration and code use (env, YAML, JSON, XML, properties,
// INI, TOML, Go, Java, Kotlin, C#, PHP, Python, JS, Ruby, Make, logstash, setProperty, k8s env
// lists, shell, history), private keys in every written form, the credential files of package and
// image registries, curl commands; and negatives next to each: look-alikes of each format
// (wrong length, checksum or alphabet, placeholders, masked and redacted copies, documentation
// examples), values under names that are not credentials, code and references under names that are.
// Used by the tests (per provider) and bench/secrets-corpus.ts (precision/recall through a registry).
import { randomInt } from 'node:crypto';
import { alnum, b64, b64url, basic, crcToken, FORMATS, hex, lowerAlnum, password, type ProviderFormat, uuid } from './secret-formats.ts';
import { everydayLookalikes, toolCredentialFiles } from './secret-corpus-files.ts';
import { gcpServiceAccountJson, jwt, type GeneratedKeys } from './secret-fixtures.ts';

export interface Sample {
  id: string;
  family: string;
  provider: string;
  positive: boolean;
  /** the rule that should report it (positives) */
  rule?: string;
  /** the secret (positives): a hit is matched by its fingerprint */
  value?: string;
  /** what the sample exercises */
  kind: string;
  path: string;
  content: string;
}

const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;

// ---- names -------------------------------------------------------------------------------------
type Style = 'snake' | 'upper' | 'camel' | 'kebab' | 'dotted';
function nameOf(words: string[], style: Style): string {
  const ws = words.flatMap((w) => w.split(/[_\s-]+/)).filter(Boolean);
  switch (style) {
    case 'snake': return ws.join('_').toLowerCase();
    case 'upper': return ws.join('_').toUpperCase();
    case 'kebab': return ws.join('-').toLowerCase();
    case 'dotted': return ws.join('.').toLowerCase();
    case 'camel': return ws.map((w, i) => (i ? w[0]!.toUpperCase() + w.slice(1).toLowerCase() : w.toLowerCase())).join('');
  }
}

// ---- syntaxes: (name words, value) → a file ------------------------------------------------------
interface Written { path: string; content: string; syntax: string }
type Writer = (words: string[], v: string) => Written;
const W = (syntax: string, path: string | (() => string), f: (words: string[], v: string) => string): Writer =>
  (words, v) => ({ syntax, path: typeof path === 'string' ? path : path(), content: f(words, v) });

const APP = () => pick(['/app', '/srv/app', '/opt/service', '/home/app', '/usr/src/app', '/var/www/app']);
export const WRITERS: Writer[] = [
  W('env', () => `${APP()}/.env`, (w, v) => `NODE_ENV=production\nPORT=8080\n${nameOf(w, 'upper')}=${v}\nLOG_LEVEL=info\n`),
  W('env-quoted', () => `${APP()}/.env.production`, (w, v) => `${nameOf(w, 'upper')}="${v}"\n`),
  W('shell-export', '/etc/profile.d/app-env.sh', (w, v) => `#!/bin/sh\nexport ${nameOf(w, 'upper')}='${v}'\nexport PATH="$PATH:/opt/bin"\n`),
  W('yaml', () => `${APP()}/config/config.yaml`, (w, v) => `server:\n  port: 8080\nintegrations:\n  ${nameOf(w, 'snake')}: ${v}\n  timeout: 30\n`),
  W('yaml-quoted', '/etc/app/settings.yml', (w, v) => `${nameOf(w, 'snake')}: "${v}"\n`),
  W('json', () => `${APP()}/config/settings.json`, (w, v) => JSON.stringify({ name: 'svc', [nameOf(w, 'snake')]: v, retries: 3 }, null, 2)),
  W('json-camel', () => `${APP()}/appsettings.json`, (w, v) => JSON.stringify({ Logging: { Level: 'Info' }, Secrets: { [nameOf(w, 'camel')]: v } }, null, 2)),
  W('json-escaped-newline', () => `${APP()}/config/app.json`, (w, v) => `{"config.ini": "${nameOf(w, 'upper')}=${v}\\nBACKUP_ENABLED=true"}`),
  W('xml-element', () => `${APP()}/conf/app.xml`, (w, v) => `<config>\n  <${nameOf(w, 'camel')}>${v}</${nameOf(w, 'camel')}>\n</config>\n`),
  W('xml-element-multiline', () => `${APP()}/conf/context.xml`, (w, v) => `<config>\n<${nameOf(w, 'camel')}>\n    ${v}\n</${nameOf(w, 'camel')}>\n</config>\n`),
  W('xml-add-key', () => `${APP()}/web.config`, (w, v) => `<configuration><appSettings>\n  <add key="${nameOf(w, 'camel')}" value="${v}" />\n</appSettings></configuration>\n`),
  W('properties', () => `${APP()}/src/main/resources/application.properties`, (w, v) => `spring.application.name=svc\n${nameOf(w, 'dotted')}=${v}\n`),
  W('ini', '/etc/app/app.ini', (w, v) => `[default]\n${nameOf(w, 'camel')} = ${v}\n`),
  W('toml', () => `${APP()}/config.toml`, (w, v) => `[service]\n${nameOf(w, 'snake')} = "${v}"\n`),
  W('python', () => `${APP()}/settings.py`, (w, v) => `import os\n\nDEBUG = False\n${nameOf(w, 'upper')} = '${v}'\n`),
  W('python-kwarg', () => `${APP()}/client.py`, (w, v) => `client = Client(${nameOf(w, 'snake')}="${v}", timeout=5)\n`),
  W('go-var', () => `${APP()}/main.go`, (w, v) => `package main\n\nvar ${nameOf(w, 'camel')} string = "${v}"\n`),
  W('go-short', () => `${APP()}/internal/config.go`, (w, v) => `func cfg() {\n\t${nameOf(w, 'camel')} := \`${v}\`\n\t_ = x\n}\n`),
  W('java', () => `${APP()}/src/main/java/Config.java`, (w, v) => `class Config {\n  private static final String ${nameOf(w, 'upper')} = "${v}";\n}\n`),
  W('java-setproperty', () => `${APP()}/src/main/java/Boot.java`, (w, v) => `System.setProperty("${nameOf(w, 'upper')}", "${v}");\n`),
  W('kotlin', () => `${APP()}/src/main/kotlin/Config.kt`, (w, v) => `val ${nameOf(w, 'camel')}: String = "${v}"\n`),
  W('csharp', () => `${APP()}/Config.cs`, (w, v) => `public class C { string ${nameOf(w, 'camel')} = "${v}"; }\n`),
  W('php-concat', () => `/var/www/html/config.php`, (w, v) => `<?php\n$${nameOf(w, 'camel')} .= "${v}";\n`),
  W('php-array', () => `/var/www/html/config/app.php`, (w, v) => `<?php\nreturn [\n  '${nameOf(w, 'snake')}' => '${v}',\n];\n`),
  W('js', () => `${APP()}/config.js`, (w, v) => `module.exports = {\n  ${nameOf(w, 'camel')}: '${v}',\n};\n`),
  W('ruby', () => `${APP()}/config/initializers/keys.rb`, (w, v) => `${nameOf(w, 'upper')} = "${v}"\n`),
  W('make', () => `${APP()}/Makefile`, (w, v) => `${nameOf(w, 'upper')} ${pick(['=', ':=', '::=', ':::=', '?='])} ${v}\n\nall:\n\t@echo ok\n`),
  W('logstash', '/usr/share/logstash/pipeline/out.conf', (w, v) => `output {\n  http {\n    "${nameOf(w, 'camel')}" => "${v}"\n  }\n}\n`),
  W('k8s-env', () => `${APP()}/deploy/deployment.yaml`, (w, v) => `env:\n  - name: ${nameOf(w, 'upper')}\n    value: "${v}"\n`),
  W('compose-env', () => `${APP()}/docker-compose.yml`, (w, v) => `services:\n  app:\n    environment:\n      - ${nameOf(w, 'upper')}=${v}\n`),
  W('terraform', () => `${APP()}/infra/main.tf`, (w, v) => `variable "region" {}\nlocals {\n  ${nameOf(w, 'snake')} = "${v}"\n}\n`),
  W('history', '/root/.bash_history', (w, v) => `ls -la\nexport ${nameOf(w, 'upper')}=${v}\n./deploy.sh\n`),
];

/** Contexts a self-identifying token also appears in, without a name (rotated logs, data files, service run scripts). */
let ctx = 0;
const BARE: ((v: string) => Written)[] = [
  (v) => ({ syntax: 'log-line', path: `/var/log/app/app.log.${++ctx % 40}`, content: `2024-05-01T10:00:00Z INFO request ok\n2024-05-01T10:00:01Z DEBUG upstream ${v} selected\n` }),
  (v) => ({ syntax: 'cli-flag', path: `/etc/services.d/svc${++ctx % 40}/run`, content: `#!/bin/sh\nexec /app/bin/agent --token ${v} --verbose\n` }),
  (v) => ({ syntax: 'json-array', path: `/app/data/keys-${++ctx % 40}.json`, content: JSON.stringify({ keys: [v] }) }),
];
const UNNAMED = BARE.filter((_, i) => i !== 1);
/** A token in a URL's query string (only URL-safe ones: an encoded one is a different string). */
const inQuery = (v: string): Written => ({ syntax: 'url-query', path: `/app/config/endpoints.${++ctx % 20}.txt`, content: `https://api.internal/v1/items?access_token=${v}&limit=10\n` });

const credentialSuffixes = ['token', 'api_key', 'secret', 'password', 'access_key', 'auth_token', 'client_secret', 'private_key', 'secret_key'];

let seq = 0;
const nextId = (p: string) => `${p}-${++seq}`;

function sample(f: Pick<ProviderFormat, 'family' | 'provider' | 'rule'>, positive: boolean, kind: string, w: Written, value?: string): Sample {
  return { id: nextId(f.provider), family: f.family, provider: f.provider, positive, ...(positive ? { rule: f.rule, value } : {}), kind: `${kind}/${w.syntax}`, path: w.path, content: w.content };
}

/** Placeholder look-alikes can stand under a credential name; shape look-alikes (wrong length, checksum) only bare. */
const isPlaceholder = (v: string) => /x{6,}|X{6,}|\*{4,}|#{4,}|\.{3}|^(.)\1{5,}$/i.test(v);

/** Samples of one provider format: positives in `n` random syntaxes (named and, for tokens, bare), negatives next to them. */
export function providerSamples(f: ProviderFormat, n = 3): Sample[] {
  const out: Sample[] = [];
  const names = () => [f.ident, f.suffix ?? pick(credentialSuffixes)];
  for (let i = 0; i < n; i++) {
    const v = f.make();
    out.push(sample(f, true, 'named', pick(WRITERS)(names(), v), v));
    if (!f.named) {
      const v2 = f.make();
      out.push(sample(f, true, 'bare', (/^[\w.~-]+$/.test(v2) && randomInt(4) === 0 ? inQuery : pick(BARE))(v2), v2));
    }
  }
  for (const l of f.lookalikes(f.make())) {
    // shape look-alikes stand where no name vouches for them (a log line, a list): under a credential
    // name (`--token …`) any random value is a credential, whatever provider it resembles
    out.push(sample(f, false, 'lookalike', pick(UNNAMED)(l)));
    if (isPlaceholder(l)) out.push(sample(f, false, 'placeholder', pick(WRITERS)(names(), l)));
  }
  // the real value where it is not a secret: documentation, and (named formats) under a name that is not a credential
  out.push(sample(f, false, 'docs', { syntax: 'readme', path: `${APP()}/docs/README.md`, content: `Set ${nameOf(names(), 'upper')}=${f.make()} before starting.\n` }));
  if (f.named) {
    out.push(sample(f, false, 'other-name', pick(WRITERS)([pick(['build', 'commit', 'request', 'trace', 'asset', 'cache', 'release'])], f.make())));
    out.push(sample(f, false, 'provider-setting', pick(WRITERS)([f.ident, pick(['url', 'region', 'username', 'timeout', 'endpoint'])], pick([`https://api.${f.ident}.com/v2`, 'eu-west-1', 'deploy-bot', '30s']))));
  }
  return out;
}

// ---- private keys ------------------------------------------------------------------------------
export function keySamples(keys: GeneratedKeys): Sample[] {
  const f = { family: 'keys', provider: 'private-key', rule: 'private-key' };
  const body = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const pos = (kind: string, path: string, content: string, value: string, rule = 'private-key', provider = 'private-key') =>
    ({ ...sample({ ...f, rule, provider }, true, kind, { syntax: kind, path, content }), value });
  const neg = (kind: string, path: string, content: string) => sample(f, false, kind, { syntax: kind, path, content });
  const pemLines = (pem: string) => pem.trim().split('\n');
  const rsaBody = body(keys.rsaPem);
  const out: Sample[] = [
    pos('pem', '/root/.ssh/id_rsa', keys.rsaPem, pemLines(keys.rsaPem).slice(1, 10).join('\n')),
    pos('pem-ec', '/etc/nginx/tls/server.key', keys.ecPem, pemLines(keys.ecPem).slice(1, -1).join('\n')),
    pos('openssh', '/home/deploy/.ssh/id_ed25519', keys.opensshKey, pemLines(keys.opensshKey).slice(1, -1).join('\n')),
    pos('json-escaped', '/app/config/tls.json', JSON.stringify({ cert: 'x', key: keys.rsaPem }), rsaBody.slice(0, 64 * 9)),
    pos('terraform-state', '/app/infra/terraform.tfstate', JSON.stringify({ version: 4, resources: [{ type: 'tls_private_key', instances: [{ attributes: { private_key_pem: keys.rsaPem } }] }] }, null, 2), rsaBody.slice(0, 64 * 9)),
    pos('k8s-json', '/app/k8s/secret.json', JSON.stringify({ apiVersion: 'v1', kind: 'Secret', stringData: { 'tls.key': keys.ecPem } }), body(keys.ecPem)),
    pos('one-line-spaces', '/app/.env', `TLS_KEY="${keys.rsaPem.trim().replace(/\n/g, ' ')}"\n`, rsaBody.slice(0, 64 * 9)),
    pos('one-line-joined', '/etc/app/key.txt', keys.rsaPem.trim().replace(/\n(?!-----END)/g, '').replace(/(-----BEGIN [A-Z ]+-----)/, '$1') + '\n', rsaBody),
    pos('base64', '/app/k8s/tls-secret.yaml', `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.key: ${Buffer.from(keys.rsaPem).toString('base64')}\n`, Buffer.from(keys.rsaPem).toString('base64'), 'private-key-base64'),
    pos('gcp-service-account', '/app/config/service-account.json', gcpServiceAccountJson(keys.rsaPem), rsaBody.slice(0, 64 * 9), 'gcp-service-account', 'gcp'),
    pos('gcp-service-account-escaped', '/app/config/sa-wrapped.json', JSON.stringify({ credentials: gcpServiceAccountJson(keys.rsaPem) }), rsaBody.slice(0, 64 * 9), 'gcp-service-account', 'gcp'),
    neg('public-key', '/root/.ssh/authorized_keys', keys.opensshPub),
    neg('public-pem', '/etc/app/jwt-public.pem', keys.rsaPublicPem),
    neg('header-only', '/app/src/crypto.py', 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    kind = "rsa"\n'),
    neg('placeholder-body', '/app/config/tls.yaml', 'key: |\n  -----BEGIN PRIVATE KEY-----\n  <your private key here>\n  -----END PRIVATE KEY-----\n'),
    neg('truncated', '/app/config/notes.txt', 'tls_key: -----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA...\\n-----END RSA PRIVATE KEY-----\n'),
    neg('docs', '/app/docs/tls.md', keys.rsaPem),
  ];
  return out.map((s) => ({ ...s, value: s.positive ? s.value : undefined }));
}

// ---- credential files of registries and tools ----------------------------------------------------
export function configFileSamples(): Sample[] {
  const S = (family: string, provider: string, rule: string | undefined, kind: string, path: string, content: string, value?: string): Sample =>
    ({ id: nextId(provider), family, provider, positive: rule !== undefined, ...(rule ? { rule, value } : {}), kind, path, content });
  const user = pick(['deploy', 'ci-bot', 'jenkins', 'svc_build']);
  const pw = password(20);
  const auth = basic(user, pw);
  const npmUuid = uuid();
  const sasSig = b64(43) + '=';
  const dockerCfg = JSON.stringify({ auths: { 'registry.acme.io': { auth } } });
  return [
    S('registries', 'docker', 'docker-config-auth', 'docker-config', '/root/.docker/config.json', JSON.stringify({ auths: { 'registry.acme.io': { auth } } }, null, '\t'), auth),
    S('registries', 'docker', 'docker-config-secret', 'k8s-dockerconfigjson', '/app/k8s/pull-secret.yaml', `apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from(dockerCfg).toString('base64')}\n`, Buffer.from(dockerCfg).toString('base64')),
    S('registries', 'docker', undefined, 'docker-config-helper', '/root/.docker/config.json', JSON.stringify({ auths: { 'registry.acme.io': {} }, credsStore: 'ecr-login' }, null, '\t')),
    S('registries', 'maven', 'maven-settings-password', 'maven-settings', '/root/.m2/settings.xml', `<settings>\n  <servers>\n    <server>\n      <id>nexus</id>\n      <username>${user}</username>\n      <password>${pw}</password>\n    </server>\n  </servers>\n</settings>\n`, pw),
    S('registries', 'maven', undefined, 'maven-encrypted', '/usr/share/maven/conf/settings.xml', `<settings><servers><server><id>n</id><password>{COQLCE6DU6GtcS5P=}</password></server></servers></settings>\n`),
    S('registries', 'maven', undefined, 'maven-property', '/root/.m2/settings.xml', `<settings><servers><server><id>n</id><password>\${env.NEXUS_PASSWORD}</password></server></servers></settings>\n`),
    S('registries', 'nuget', 'nuget-config-password', 'nuget-config', '/root/.nuget/NuGet/NuGet.Config', `<?xml version="1.0"?>\n<configuration>\n  <packageSourceCredentials>\n    <acme>\n      <add key="Username" value="${user}" />\n      <add key="ClearTextPassword" value="${pw}" />\n    </acme>\n  </packageSourceCredentials>\n</configuration>\n`, pw),
    S('registries', 'nuget', undefined, 'nuget-env-ref', '/app/nuget.config', `<configuration><packageSourceCredentials><acme><add key="ClearTextPassword" value="%NUGET_PASSWORD%" /></acme></packageSourceCredentials></configuration>\n`),
    S('registries', 'npm', 'npm-registry-auth', 'npmrc-uuid', '/root/.npmrc', `registry=https://npm.acme.io/\n//npm.acme.io/:_authToken=${npmUuid}\n`, npmUuid),
    S('registries', 'npm', 'npm-registry-basic-auth', 'npmrc-auth', '/home/node/.npmrc', `_auth=${auth}\nalways-auth=true\n`, auth),
    S('registries', 'npm', 'npm-token', 'npmrc-npm-token', '/usr/src/app/.npmrc', `//registry.npmjs.org/:_authToken=${crcToken('npm')}\n`),
    S('registries', 'npm', undefined, 'npmrc-env', '/app/.npmrc', '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n'),
    S('registries', 'pypi', 'generic-password', 'pypirc', '/root/.pypirc', `[distutils]\nindex-servers = acme\n\n[acme]\nrepository = https://pypi.acme.io/\nusername = ${user}\npassword = ${pw}\n`, pw),
    S('generic', 'git', 'url-credentials', 'git-credentials', '/root/.git-credentials', `https://${user}:${pw.replace(/[@:/]/g, 'k')}@git.acme.io\n`, pw.replace(/[@:/]/g, 'k')),
    S('generic', 'database', 'database-url-password', 'database-url', '/app/.env', `DATABASE_URL=postgres://app:${pw.replace(/[@:/]/g, 'k')}@db.internal:5432/app\n`, pw.replace(/[@:/]/g, 'k')),
    S('generic', 'database', undefined, 'database-url-placeholder', '/app/config/database.yml', 'url: postgres://user:password@localhost/db\n'),
    S('cloud', 'azure', 'azure-sas-token', 'azure-sas', '/app/config/blob.txt', `https://acme.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&spr=https&sig=${encodeURIComponent(sasSig)}\n`, encodeURIComponent(sasSig)),
    S('cloud', 'azure', undefined, 'azure-sas-placeholder', '/app/config/blob-example.txt', 'https://acme.blob.core.windows.net/c?sv=2022-11-02&sp=r&sig=<signature>\n'),
    S('cloud', 'azure', 'azure-storage-key', 'azure-connection-string', '/app/appsettings.Production.json', JSON.stringify({ Storage: `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${b64(86)}==;EndpointSuffix=core.windows.net` })),
    S('cloud', 'azure', 'azure-app-config-connection-string', 'azure-app-config', '/app/.env', `APPCONFIG=Endpoint=https://acme.azconfig.io;Id=${alnum(4)}-l0-s0:${b64(20)};Secret=${b64(43)}=\n`),
    S('cloud', 'aws', 'aws-access-key-id', 'aws-credentials', '/root/.aws/credentials', `[default]\naws_access_key_id = AKIA${'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'[randomInt(32)]}${alnum(15).toUpperCase().replace(/[0189]/g, '7')}\naws_secret_access_key = ${b64(40)}\n`),
    S('generic', 'curl', 'curl-auth-user', 'curl-user-history', '/root/.bash_history', `cd /tmp\ncurl -s -u ${user}:${pw.replace(/[\s'"$&|;]/g, 'Q')} https://nexus.acme.io/service/rest/v1/status\n`, `${user}:${pw.replace(/[\s'"$&|;]/g, 'Q')}`),
    S('generic', 'curl', 'curl-auth-user', 'curl-user-script', '/usr/local/bin/publish.sh', `#!/bin/sh\ncurl -X POST \\\n  -H 'Content-Type: application/json' \\\n  --user "${user}:${pw.replace(/["$\\]/g, 'Q')}" \\\n  https://ci.acme.io/api\n`, `${user}:${pw.replace(/["$\\]/g, 'Q')}`),
    S('generic', 'curl', 'curl-auth-header', 'curl-header', '/app/scripts/call.sh', `curl https://api.acme.io/v1 \\\n  -H "X-Api-Key: ${hex(32)}"\n`),
    S('generic', 'curl', 'authorization-header', 'curl-bearer', '/root/.ash_history', `curl -H "Authorization: Bearer ${b64url(40)}" https://api.acme.io\n`),
    S('generic', 'curl', 'basic-auth-header', 'http-basic', '/etc/nginx/conf.d/upstream.conf', `proxy_set_header Authorization "Basic ${auth}";\n`, auth),
    ...['curl -u "$USER:$PASS" https://x', 'curl -u username:token https://x', 'curl --user "{{ .Values.user }}:{{ .Values.password }}" https://x', 'curl -u "myusername" http://x', 'curl -X POST --user "$(cat login.txt):$(cat pw.txt)" https://x', 'curl -H "Authorization: Bearer $API_KEY" https://x', 'curl -H "Authorization: Bearer <token>" https://x', 'curl --user user:pass --digest http://127.0.0.1/', 'curl -u ":" https://localhost:9200']
      .map((c, i) => S('generic', 'curl', undefined, 'curl-placeholder', `/app/scripts/example-${i}.sh`, `#!/bin/sh\n${c}\n`)),
    S('devtools', 'kubernetes', 'kubernetes-secret', 'k8s-secret', '/app/k8s/db-secret.yaml', `apiVersion: v1\ndata:\n  password: ${Buffer.from(pw).toString('base64')}\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n`, Buffer.from(pw).toString('base64')),
    S('devtools', 'kubernetes', undefined, 'k8s-configmap', '/app/k8s/config.yaml', `apiVersion: v1\ndata:\n  log_level: ${b64(24)}\nkind: ConfigMap\n`),
    S('devtools', 'terraform', 'terraform-password', 'terraform-password', '/app/infra/db.tf', `resource "azurerm_sql_server" "db" {\n  administrator_login          = "sqladmin"\n  administrator_login_password = "${alnum(14)}"\n}\n`),
    S('devtools', 'symfony', 'symfony-default-secret', 'symfony', '/var/www/app/.env', 'APP_ENV=prod\nAPP_SECRET=ThisTokenIsNotSoSecretChangeIt\n', 'ThisTokenIsNotSoSecretChangeIt'),
    S('generic', 'jwt', 'jwt', 'jwt', '/app/config/service.yaml', `auth:\n  service_jwt: ${jwt()}\n`),
    S('generic', 'jwt', undefined, 'jwt-io-example', '/app/src/auth.test-data.js', "const t = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';\n"),
  ];
}

// ---- generic credentials and what looks like them -------------------------------------------------
const GENERIC_NAMES = [['password'], ['db', 'password'], ['mysql', 'root', 'password'], ['api', 'key'], ['secret'], ['client', 'secret'], ['auth', 'token'],
  ['access', 'token'], ['secret', 'key'], ['signing', 'key'], ['encryption', 'key'], ['jwt', 'secret'], ['session', 'secret'], ['app', 'key'], ['credentials'], ['smtp', 'pass'], ['token'], ['passphrase']];
const genericValue = () => pick([password(20), b64(32), hex(40), alnum(24), `${alnum(8)}_${alnum(12)}`, b64url(43), `${alnum(6)}-${alnum(6)}-${alnum(6)}`]);

export function genericSamples(n: number): Sample[] {
  const f = { family: 'generic', provider: 'generic', rule: 'generic-password' };
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const v = genericValue();
    out.push(sample(f, true, 'generic', pick(WRITERS)(pick(GENERIC_NAMES), v), v));
  }
  // names with a credential word that name something else, holding random-looking values
  const notCredentialNames = [['public', 'token'], ['csrf', 'token'], ['next', 'page', 'token'], ['token', 'type'], ['password', 'file'], ['secret', 'name'],
    ['api', 'key', 'id'], ['token', 'url'], ['key', 'vault', 'to', 'store', 'secrets'], ['password', 'min', 'length'], ['user', 'secrets', 'id'], ['author'], ['primary', 'key'], ['cache', 'key']];
  for (const words of notCredentialNames) out.push(sample(f, false, 'not-a-credential-name', pick(WRITERS)(words, pick([uuid(), lowerAlnum(16) + '-' + hex(8), `cmp2-qat-${hex(10)}`, hex(32)]))));
  // values under credential names that are code, references, paths or placeholders
  const notSecrets = ['user.password', 'config.apiKey', 'self.settings.secret_key', 'process.env.SECRET', '${DB_PASSWORD}', '$API_TOKEN', '{{ .Values.token }}',
    '/run/secrets/db_password', './secrets/api.key', 'changeme', 'your_api_key_here', '<password>', 'xxxxxxxxxxxxxxxx', '********', '[REDACTED]', 'REDACTED',
    'password123', 'true', 'None', 'userPassword', 'getAuthToken', 'DB_PASSWORD', 'my-secret-name', '%(password)s', '${{ secrets.API_KEY }}', 'os.environ["TOKEN"]',
    '•••••••••••', 'sk_live_…', 'io.jsonwebtoken:jjwt-api:0.11.5', 'org.springframework:spring-web:6.1.2', 'v2.14.1', '3600'];
  for (const v of notSecrets) out.push(sample(f, false, 'not-a-secret', pick(WRITERS)(pick(GENERIC_NAMES), v)));
  // random values under names that are not credentials at all
  for (const name of [['build', 'id'], ['commit'], ['sha256'], ['etag'], ['integrity'], ['request', 'id'], ['checksum'], ['nonce', 'seed']]) {
    out.push(sample(f, false, 'random-not-credential', pick(WRITERS)(name, pick([hex(40), hex(64), uuid(), b64(44)]))));
  }
  out.push(sample(f, false, 'maven-notes', { syntax: 'properties', path: '/app/build.properties', content: 'notes = io.jsonwebtoken:jjwt-api:0.11.5\n' }));
  out.push(sample(f, false, 'redacted-slack', { syntax: 'json', path: '/app/logs/audit.json', content: `{"token4": "xoxp-572370529330-573807301142-572331691188-####################"}` }));
  return out;
}

/** The whole corpus: `perFormat` positives per provider format (and their negatives), keys, credential files, generic. */
export function buildCorpus(keys: GeneratedKeys, perFormat = 3, generic = 60): Sample[] {
  return [...FORMATS.flatMap((f) => providerSamples(f, perFormat)), ...keySamples(keys), ...configFileSamples(), ...genericSamples(generic),
    ...toolCredentialFiles(keys), ...everydayLookalikes(keys)];
}

export { alnum, b64, b64url, hex, lowerAlnum };
