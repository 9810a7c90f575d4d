// Whole files as images carry them, beyond one assignment per provider: the credential files of
// common tools (true samples), and the random-looking text every image is full of that holds no
// secret (lockfiles, checksums, certificates, public keys, hashes, minified JS, source maps,
// base64 images) — the look-alikes a scanner meets most often in practice.
import { createHash, randomBytes } from 'node:crypto';
import type { Sample } from './secret-corpus.ts';
import { alnum, b64, b64url, crcToken, hex, lowerAlnum, password, uuid } from './secret-formats.ts';
import type { GeneratedKeys } from './secret-fixtures.ts';

let seq = 0;
const S = (family: string, provider: string, kind: string, path: string, content: string, pos?: { rule: string; value?: string }): Sample =>
  ({ id: `${provider}-f${++seq}`, family, provider, positive: pos !== undefined, ...(pos ?? {}), kind: `file/${kind}`, path, content });

const sri = () => 'sha512-' + randomBytes(64).toString('base64');
const sha256 = () => createHash('sha256').update(randomBytes(16)).digest('hex');

/** Credential files of tools, each with its real layout. */
export function toolCredentialFiles(keys: GeneratedKeys): Sample[] {
  const gho = crcToken('gho'), ghp = crcToken('ghp'), pw = password(18), cio = 'cio' + alnum(32), awsSecret = b64(40), awsSecret2 = b64(40);
  const kubeKey = Buffer.from(keys.ecPem).toString('base64');
  return [
    S('code-hosting', 'github', 'gh-hosts', '/root/.config/gh/hosts.yml', `github.com:\n    user: ci-bot\n    oauth_token: ${gho}\n    git_protocol: https\n`, { rule: 'github-token', value: gho }),
    S('code-hosting', 'github', 'composer-auth', '/root/.composer/auth.json', JSON.stringify({ 'github-oauth': { 'github.com': ghp } }, null, 4), { rule: 'github-token', value: ghp }),
    S('registries', 'crates', 'cargo-credentials', '/root/.cargo/credentials.toml', `[registry]\ntoken = "${cio}"\n`, { rule: 'crates-io-api-token', value: cio }),
    S('keys', 'kubernetes', 'kubeconfig', '/root/.kube/config', `apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t${b64(200)}\n    client-key-data: ${kubeKey}\n`, { rule: 'private-key-base64', value: kubeKey }),
    S('generic', 'wordpress', 'wp-config', '/var/www/html/wp-config.php', `<?php\ndefine( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'wp' );\ndefine( 'DB_PASSWORD', '${pw}' );\ndefine( 'DB_HOST', 'db' );\n`, { rule: 'generic-password', value: pw }),
    S('generic', 'spring', 'spring-yaml', '/app/config/application.yml', `spring:\n  datasource:\n    url: jdbc:postgresql://db:5432/app\n    username: app\n    password: ${pw}\n`, { rule: 'generic-password', value: pw }),
    S('generic', 'gradle', 'gradle-properties', '/root/.gradle/gradle.properties', `org.gradle.jvmargs=-Xmx2g\nossrhUsername=acme\nossrhPassword=${pw}\n`, { rule: 'generic-password', value: pw }),
    S('cloud', 's3cmd', 's3cfg', '/root/.s3cfg', `[default]\naccess_key = ${lowerAlnum(20).toUpperCase()}\nsecret_key = ${awsSecret}\nhost_base = s3.amazonaws.com\n`, { rule: 'aws-secret-access-key', value: awsSecret }),
    S('generic', 'netrc', 'netrc', '/root/.netrc', `machine api.acme.io\n  login deploy\n  password ${pw}\n`, { rule: 'netrc-password', value: pw }),
    S('cloud', 'rclone', 'rclone', '/root/.config/rclone/rclone.conf', `[remote]\ntype = s3\nprovider = AWS\naccess_key_id = AKIA${'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.slice(0, 16)}\nsecret_access_key = ${awsSecret2}\n`, { rule: 'aws-secret-access-key', value: awsSecret2 }),
  ];
}

/** Random-looking text that is not a secret. */
export function everydayLookalikes(keys: GeneratedKeys): Sample[] {
  const lock = JSON.stringify({ name: 'app', lockfileVersion: 3, packages: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`node_modules/pkg-${i}`,
    { version: `1.${i}.0`, resolved: `https://registry.npmjs.org/pkg-${i}/-/pkg-${i}-1.${i}.0.tgz`, integrity: sri() }])) }, null, 2);
  const gosum = Array.from({ length: 20 }, (_, i) => `github.com/acme/mod${i} v1.${i}.0 h1:${randomBytes(32).toString('base64')}\ngithub.com/acme/mod${i} v1.${i}.0/go.mod h1:${randomBytes(32).toString('base64')}`).join('\n');
  const cargo = Array.from({ length: 10 }, (_, i) => `[[package]]\nname = "crate${i}"\nversion = "0.${i}.1"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "${sha256()}"\n`).join('\n');
  const reqs = Array.from({ length: 10 }, (_, i) => `pkg${i}==1.${i}.0 \\\n    --hash=sha256:${sha256()}`).join('\n');
  const cert = `-----BEGIN CERTIFICATE-----\n${(b64(64) + '\n').repeat(12)}${b64(20)}==\n-----END CERTIFICATE-----\n`;
  const minified = `!function(e){var t={};function n(r){if(t[r])return t[r].exports;var o=t[r]={i:r,l:!1,exports:{}};return e[r].call(o.exports,o,o.exports,n),o.l=!0,o.exports}n.p="",n.token="${'t'}",n.csrfToken=document.querySelector('meta[name="csrf-token"]').content,n.apiKey=window.__CONFIG__.apiKey,n.password=e.target.value,n.secret=null}([function(e,t){e.exports={id:"${hex(32)}",hash:"${b64url(43)}"}}]);\n`;
  const sourcemap = JSON.stringify({ version: 3, sources: ['webpack:///./src/auth/token.ts'], names: ['token', 'password', 'secret'], mappings: Array.from({ length: 200 }, () => alnum(6)).join(';') });
  const css = `.logo{background:url(data:image/png;base64,${randomBytes(600).toString('base64')})}\n`;
  const htpasswd = `admin:$apr1$${alnum(8)}$${alnum(22)}\ndeploy:$2y$05$${alnum(53)}\n`;
  const shadow = `root:$6$${alnum(16)}$${alnum(86)}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n`;
  return [
    S('generic', 'everyday', 'package-lock', '/app/package-lock.json', lock),
    S('generic', 'everyday', 'yarn-lock', '/app/yarn.lock', Array.from({ length: 10 }, (_, i) => `pkg-${i}@^1.0.0:\n  version "1.${i}.0"\n  resolved "https://registry.yarnpkg.com/pkg-${i}/-/pkg-${i}-1.${i}.0.tgz#${hex(40)}"\n  integrity ${sri()}\n`).join('\n')),
    S('generic', 'everyday', 'go-sum', '/src/app/go.sum', gosum),
    S('generic', 'everyday', 'cargo-lock', '/src/app/Cargo.lock', cargo),
    S('generic', 'everyday', 'pip-hashes', '/app/requirements.txt', reqs),
    S('generic', 'everyday', 'certificate', '/etc/app/tls/server.crt', cert),
    S('generic', 'everyday', 'public-key', '/etc/app/jwt/public.pem', keys.rsaPublicPem),
    S('generic', 'everyday', 'authorized-keys', '/home/deploy/.ssh/authorized_keys', keys.opensshPub),
    S('generic', 'everyday', 'minified-js', '/app/public/js/main.3f9a1c.js', minified),
    S('generic', 'everyday', 'source-map', '/app/public/js/main.3f9a1c.js.map', sourcemap),
    S('generic', 'everyday', 'css-data-uri', '/app/public/css/site.css', css),
    S('generic', 'everyday', 'htpasswd', '/etc/nginx/.htpasswd', htpasswd),
    S('generic', 'everyday', 'shadow', '/etc/shadow', shadow),
    S('generic', 'everyday', 'git-objects', '/app/.git/packed-refs', Array.from({ length: 10 }, (_, i) => `${hex(40)} refs/tags/v1.${i}.0`).join('\n')),
    S('generic', 'everyday', 'docker-digests', '/app/deploy/images.txt', Array.from({ length: 10 }, (_, i) => `registry.acme.io/svc${i}@sha256:${sha256()}`).join('\n')),
    S('generic', 'everyday', 'uuids', '/app/config/tenants.yaml', Array.from({ length: 10 }, () => `- id: ${uuid()}\n  request_id: ${uuid()}\n  trace_token_id: ${hex(32)}`).join('\n')),
    S('generic', 'everyday', 'csrf-html', '/app/templates/form.html', `<meta name="csrf-token" content="${b64url(43)}">\n<input type="hidden" name="authenticity_token" value="${b64(88)}">\n`),
    S('generic', 'everyday', 'k8s-secret-ref', '/app/k8s/deployment.yaml', `env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n`),
  ];
}
