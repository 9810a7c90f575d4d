// Package and image registries, and the client configuration files their credentials live in
// (.npmrc, .yarnrc.yml, .pypirc, settings.xml, nuget.config, docker's config.json). Formats: npm's
// and PyPI's token announcements, RubyGems/Clojars/Packagist/NuGet/Docker documentation, Trivy's
// maven-settings-* and dockerconfig-secret rules, gitleaks' nuget-config-password and sidekiq-*.
import { base62Crc32Ok, base64JsonObject, basicAuthOk, pypiMacaroonOk } from '../checksums.ts';
import type { SecretRule } from '../rule-types.ts';
import { END_DASH, token, tokenOrAssigned } from './syntax.ts';

/** A whole docker config.json in base64 (a Kubernetes .dockerconfigjson / .dockercfg) with a credential in it. */
function dockerConfigJsonOk(v: string): boolean {
  const json = base64JsonObject(v.replace(/[+/]/g, (c) => (c === '+' ? '-' : '_')).replace(/=+$/, ''));
  const auths = (json?.auths ?? json) as Record<string, unknown> | undefined;
  return !!auths && Object.values(auths).some((a) => !!a && typeof a === 'object' && ['auth', 'password', 'identitytoken'].some((k) => typeof (a as Record<string, unknown>)[k] === 'string'));
}

export const REGISTRY_RULES: SecretRule[] = [
  // npm granular/automation tokens: npm_ + 30 base62 + base62 CRC32 (the GitHub scheme)
  { ...token('npm-token', 'npm access token', 'critical', 'npm_[A-Za-z0-9]{36}', { keywords: ['npm_'], glued: true }), verify: base62Crc32Ok },
  {
    id: 'npm-registry-auth', title: 'npm/yarn registry auth token (.npmrc, .yarnrc.yml)', severity: 'high',
    keywords: ['_authtoken', 'npmauthtoken'],
    // legacy npm tokens are UUIDs; other registries (Artifactory, Nexus, GitHub Packages…) have their own
    regex: String.raw`(?<key>(?i:_authToken|npmAuthToken))["']?[ \t]{0,3}[=:][ \t]{0,3}["']?(?<secret>[A-Za-z0-9._~+/=-]{20,512})(?![A-Za-z0-9._~+/=-])`,
    entropy: 3.5,
  },
  {
    id: 'npm-registry-basic-auth', title: 'npm/yarn registry user:password (_auth, _password, npmAuthIdent)', severity: 'high',
    keywords: ['_auth', '_password', 'npmauthident'],
    regex: String.raw`(?<key>(?i:_auth|_password|npmAuthIdent))["']?[ \t]{0,3}[=:][ \t]{0,3}["']?(?<secret>[A-Za-z0-9+/]{8,400}={0,2}|[^\s"':]{1,100}:[^\s"']{3,100})(?![A-Za-z0-9+/=])`,
    entropy: 2.5,
    // base64 of user:password (npm) or a literal user:password (yarn's npmAuthIdent)
    verify: (v) => v.includes(':') ? !/^\$|:\$/.test(v) : basicAuthOk(v),
  },
  // PyPI: pypi- + a macaroon whose location is pypi.org ("AgEIcHlwaS5vcmc") or test.pypi.org
  {
    ...token('pypi-token', 'PyPI upload token', 'critical', String.raw`pypi-(?:AgEIcHlwaS5vcmc|AgENdGVzdC5weXBpLm9yZw)[\w-]{50,1000}`, { keywords: ['pypi-ageichlwas5vcmc', 'pypi-agendgvzdc5wexbplm9yzw'], end: END_DASH, span: 1100 }),
    verify: pypiMacaroonOk,
  },
  // crates.io API tokens (cargo login; ~/.cargo/credentials.toml): cio + 32 alphanumerics
  token('crates-io-api-token', 'crates.io API token', 'critical', 'cio[A-Za-z0-9]{32}', { keywords: ['cio'], entropy: 3.5 }),
  token('rubygems-api-token', 'RubyGems API key', 'critical', 'rubygems_[a-f0-9]{48}', { keywords: ['rubygems_'] }),
  token('clojars-api-token', 'Clojars deploy token', 'critical', 'CLOJARS_[A-Za-z0-9]{60}', { keywords: ['clojars_'] }),
  token('private-packagist-token', 'Private Packagist token', 'critical', 'packagist_(?:ort|out|uut)_[a-fA-F0-9]{68}', { keywords: ['packagist_ort_', 'packagist_out_', 'packagist_uut_'] }),
  // NuGet.org API keys: oy2 + 43 base32 characters (Microsoft security-utilities SEC101/031)
  token('nuget-api-key', 'NuGet API key', 'critical', 'oy2[a-z2-7]{43}', { keywords: ['oy2'], flags: 'i', entropy: 3.5 }),
  {
    id: 'nuget-config-password', title: 'Password in nuget.config', severity: 'high',
    keywords: ['password'], paths: [String.raw`(?:^|/)nuget\.config$`],
    regex: String.raw`<add[ \t]{1,5}key=["'](?i:(?:ClearText)?Password)["'][ \t]{1,5}value=["'](?<secret>[^"'\r\n]{8,300})["']`,
    entropy: 2,
  },
  token('dockerhub-pat', 'Docker Hub personal / organization access token', 'critical', 'dckr_pat_[a-zA-Z0-9_-]{27}|dckr_oat_[a-zA-Z0-9_-]{27,32}', { keywords: ['dckr_pat_', 'dckr_oat_'], end: END_DASH }),
  {
    id: 'docker-config-auth', title: 'Registry credentials in a docker config.json (auths.*.auth)', severity: 'high',
    keywords: ['"auth"'],
    regex: String.raw`"auth"[ \t]{0,5}:[ \t]{0,5}"(?<secret>[A-Za-z0-9+/]{8,2000}={0,2})"`,
    entropy: 2.5, verify: basicAuthOk,
  },
  {
    id: 'docker-config-secret', title: 'Kubernetes docker-registry secret (.dockerconfigjson / .dockercfg)', severity: 'high',
    keywords: ['.dockerconfigjson', '.dockercfg'],
    regex: String.raw`\.docker(?:configjson|cfg)["']?[ \t]{0,5}:[ \t]{0,5}(?:[|>][-+]?)?\s{0,40}["']?(?<secret>e[wy][A-Za-z0-9+/]{20,8000}={0,2})`,
    entropy: 3, span: 8200, verify: dockerConfigJsonOk,
  },
  {
    id: 'maven-settings-password', title: 'Password in Maven settings.xml / settings-security.xml', severity: 'high',
    keywords: ['<password>', '<passphrase>', '<master>'], paths: [String.raw`(?:^|/)settings(?:-security)?\.xml$`],
    // {…} is a value encrypted with the master password, ${…} a property: not the secret itself
    regex: String.raw`<(?<key>password|passphrase|master)>[ \t\r\n]{0,40}(?<secret>[^<\s{$][^<\s]{0,500})[ \t\r\n]{0,40}</\k<key>>`,
    flags: 'i', entropy: 1.5,
    // the commented-out examples of Maven's own settings.xml (proxypass, repopwd)
    allow: [String.raw`^[a-z]{0,12}(?:pass|pwd|password|passphrase|secret)[a-z]{0,12}$`],
  },
  // JFrog Artifactory: API keys (AKCp…), reference tokens (base64 of "reftkn"), identity tokens by name
  tokenOrAssigned('jfrog-token', 'JFrog Artifactory API key / reference or identity token', 'critical', 'AKCp[A-Za-z0-9]{69}|cmVmd[A-Za-z0-9]{59}',
    'jfrog|artifactory|bintray|xray', '[A-Za-z0-9]{73}|[A-Za-z0-9]{64}', { keywords: ['akcp', 'cmvmd', 'jfrog', 'artifactory', 'bintray', 'xray'], entropy: 4 }),
  {
    id: 'sidekiq-credentials', title: 'Sidekiq Pro/Enterprise gem server credentials', severity: 'high',
    keywords: ['contribsys'],
    regex: String.raw`(?i:BUNDLE_(?:ENTERPRISE|GEMS)__CONTRIBSYS__COM)["']?[ \t]{0,3}[:=][ \t]{0,3}["']?(?<secret>[a-f0-9]{8}:[a-f0-9]{8})(?![a-f0-9])|https?://(?<secret>[a-f0-9]{8}:[a-f0-9]{8})@(?:gems|enterprise)\.contribsys\.com`,
    entropy: 2,
  },
];
