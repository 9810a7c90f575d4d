// Real-format values per provider, built from each provider's documented format (prefix, length,
// alphabet, and the checksum or structure where there is one: GitHub/npm base62 CRC32, PyPI
// macaroons, age bech32, JWT headers, base64 user:password), and per provider the look-alikes
// that must not be reported. Random every call: nothing is hard-coded but public example values.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { BECH32, bech32Polymod } from '../../src/secrets/checksums.ts';
import { crcToken, jwt, pypiToken, rand } from './secret-fixtures.ts';

export { crcToken, pypiToken };

export const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = LOWER.toUpperCase();
export const alnum = (n: number) => rand(B62, n);
export const lowerAlnum = (n: number) => rand(LOWER + '0123456789', n);
export const upperAlnum = (n: number) => rand(UPPER + '0123456789', n);
export const letters = (n: number) => rand(LOWER + UPPER, n);
export const hex = (n: number) => rand('0123456789abcdef', n);
export const HEX = (n: number) => rand('0123456789ABCDEF', n);
export const digits = (n: number) => rand('0123456789', n);
export const b64 = (n: number) => rand(B62 + '+/', n);
export const b64url = (n: number) => rand(B62 + '-_', n);
export const base32 = (n: number) => rand('abcdefghijklmnopqrstuvwxyz234567', n);
export const uuid = () => randomUUID();

/** The same token with its checksum broken (one checksum character changed). */
export function badChecksum(token: string): string {
  const last = token.at(-1)!;
  return token.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

/** An age X25519 identity: bech32 of 32 random bytes, HRP "age-secret-key-", upper-cased. */
export function ageSecretKey(): string {
  const hrp = 'age-secret-key-';
  const data: number[] = [];
  let acc = 0, bits = 0;
  for (const b of randomBytes(32)) { acc = (acc << 8) | b; bits += 8; while (bits >= 5) { bits -= 5; data.push((acc >>> bits) & 31); } }
  if (bits) data.push((acc << (5 - bits)) & 31);
  const exp = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  const mod = bech32Polymod([...exp, ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  const check = [0, 1, 2, 3, 4, 5].map((i) => (mod >>> (5 * (5 - i))) & 31);
  return (hrp + '1' + [...data, ...check].map((d) => BECH32[d]).join('')).toUpperCase();
}

/** A random password as people and generators make them: letters, digits, a few symbols. */
export function password(n = 16): string {
  let p = '';
  while (!/[a-z]/.test(p) || !/[A-Z]/.test(p) || !/\d/.test(p)) p = rand(B62 + '!@#%^*_-+=.~', n);
  return p;
}
export const basic = (user: string, pass: string) => Buffer.from(`${user}:${pass}`).toString('base64');

export interface ProviderFormat {
  /** provider (the README's rule family groups providers) */
  provider: string;
  family: string;
  /** the rule expected to report it */
  rule: string;
  /** one fresh value */
  make(): string;
  /** the identifier a configuration names it by (`{ident}_{suffix}`); tokens with a prefix of their own need none */
  ident: string;
  suffix?: string;
  /** only recognisable by the name it is assigned to (no prefix of its own) */
  named?: boolean;
  /** values of the same shape that are not this provider's secret (wrong length, checksum, alphabet, placeholders…) */
  lookalikes(v: string): string[];
}

const xs = (v: string, keep: number) => v.slice(0, keep) + 'x'.repeat(v.length - keep);
const stars = (v: string, keep: number) => v.slice(0, keep) + '*'.repeat(Math.max(8, v.length - keep - 4)) + v.slice(-4);
/** A fixed-length token one character short and one long, a placeholder, a masked copy. */
const exact = (keep: number) => (v: string) => [v.slice(0, -1), v + 'q', xs(v, keep), stars(v, keep)];
/** Variable-length tokens: placeholder and masked copies only. */
const masked = (keep: number) => (v: string) => [xs(v, keep), stars(v, keep)];

const T = (provider: string, family: string, rule: string, make: () => string, ident: string, lookalikes: (v: string) => string[], extra: Partial<ProviderFormat> = {}): ProviderFormat =>
  ({ provider, family, rule, make, ident, lookalikes, ...extra });
/** A provider whose keys are only recognisable by name: look-alikes are the same value under another name (in the corpus) and placeholders. */
const N = (provider: string, family: string, rule: string, make: () => string, ident: string, suffix = 'api_key'): ProviderFormat =>
  ({ provider, family, rule, make, ident, suffix, named: true, lookalikes: (v) => ['x'.repeat(v.length), v.slice(0, -1)] });

export const FORMATS: ProviderFormat[] = [
  // cloud
  T('aws', 'cloud', 'aws-access-key-id', () => 'AKIA' + rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16), 'aws', (v) => ['AKIAIOSFODNN7EXAMPLE', 'AKIA' + 'X'.repeat(16), v.slice(0, -1), v.replace('AKIA', 'AIDA')]),
  T('aws', 'cloud', 'aws-access-key-id', () => 'ASIA' + rand('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16), 'aws', (v) => [v.slice(0, -1), 'ASIA' + '0'.repeat(16)]),
  N('aws', 'cloud', 'aws-secret-access-key', () => b64(40), 'aws', 'secret_access_key'),
  T('aws', 'cloud', 'aws-session-token', () => 'IQoJb3JpZ2luX2VjE' + b64(300) + '==', 'aws', masked(12), { suffix: 'session_token' }),
  T('aws', 'cloud', 'aws-bedrock-api-key', () => 'ABSK' + Buffer.from(`BedrockAPIKey-${lowerAlnum(4)}-at-${digits(12)}:${b64(60)}`).toString('base64'), 'bedrock', masked(4)),
  T('gcp', 'cloud', 'gcp-api-key', () => 'AIzaSy' + b64url(33), 'google', (v) => [v.slice(0, -1), 'AIza' + 'a'.repeat(35), 'AIzaSyabcdefghijklmnopqrstuvwxyz1234567', 'AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY', v.toUpperCase()]),
  T('gcp', 'cloud', 'gcp-oauth-client-secret', () => 'GOCSPX-' + b64url(28), 'google_client', exact(7), { suffix: 'secret' }),
  T('azure', 'cloud', 'azure-ad-client-secret', () => alnum(3) + '8Q~' + rand(B62 + '_~.-', 34), 'azure_client', (v) => [v.slice(0, 20), stars(v, 6)], { suffix: 'secret' }),
  T('azure', 'cloud', 'azure-identifiable-key', () => alnum(52) + 'JQQJ99' + 'C' + 'E' + 'ACYeBjFEqg7NAAA' + 'C' + 'AZCR' + alnum(4), 'acr', (v) => [v.slice(1), v.replace('JQQJ99', 'JQQJ11')], { suffix: 'password' }),
  T('azure', 'cloud', 'azure-identifiable-key', () => b64(76) + '+ASt' + b64(5) + 'A==', 'azure_storage', (v) => [v.replace('+ASt', '+XSt'), xs(v, 10)], { suffix: 'key' }),
  T('azure', 'cloud', 'azure-identifiable-key', () => alnum(52) + 'JQQJ99C' + 'E' + alnum(7) + 'XJ3w3' + alnum(4) + 'ACOG' + alnum(4), 'azure_ai', (v) => [v.slice(2)], { suffix: 'key' }),
  T('alibaba', 'cloud', 'alibaba-access-key-id', () => 'LTAI' + alnum(20), 'alibaba', exact(4)),
  N('alibaba', 'cloud', 'alibaba-secret-key', () => alnum(30), 'alibaba', 'secret'),
  N('yandex', 'cloud', 'yandex-cloud-key', () => 'AQVN' + b64url(36), 'yandex'),
  T('digitalocean', 'cloud', 'digitalocean-token', () => 'dop_v1_' + hex(64), 'digitalocean', exact(7), { suffix: 'token' }),
  T('digitalocean', 'cloud', 'digitalocean-token', () => 'doo_v1_' + hex(64), 'digitalocean', exact(7), { suffix: 'token' }),
  T('heroku', 'cloud', 'heroku-api-key', () => 'HRKU-AA' + b64url(58), 'heroku', exact(7)),
  N('heroku', 'cloud', 'heroku-api-key', () => uuid(), 'heroku'),
  T('flyio', 'cloud', 'flyio-access-token', () => 'fo1_' + b64url(43), 'fly', exact(4), { suffix: 'api_token' }),
  T('scalingo', 'cloud', 'scalingo-api-token', () => 'tk-us-' + b64url(48), 'scalingo', exact(6)),
  N('cloudflare', 'cloud', 'cloudflare-api-key', () => b64url(40), 'cloudflare', 'api_token'),
  N('cloudflare', 'cloud', 'cloudflare-api-key', () => hex(37), 'cloudflare', 'global_key'),
  T('cloudflare', 'cloud', 'cloudflare-api-key', () => `v1.0-${hex(24)}-${hex(146)}`, 'cloudflare', exact(5), { suffix: 'origin_ca_key' }),
  N('fastly', 'cloud', 'fastly-api-token', () => b64url(32), 'fastly', 'api_token'),
  N('netlify', 'cloud', 'netlify-access-token', () => b64url(43), 'netlify', 'auth_token'),
  T('openshift', 'cloud', 'openshift-user-token', () => 'sha256~' + b64url(43), 'openshift', exact(7), { suffix: 'token' }),
  T('databricks', 'cloud', 'databricks-api-token', () => 'dapi' + hex(32), 'databricks', exact(4), { suffix: 'token' }),
  T('clickhouse', 'cloud', 'clickhouse-cloud-api-secret', () => '4b1d' + alnum(38), 'clickhouse', (v) => [v.slice(0, -1), '4b1d' + hex(38)], { suffix: 'secret' }),
  T('planetscale', 'cloud', 'planetscale-token', () => 'pscale_pw_' + b64url(43), 'planetscale', masked(10), { suffix: 'password' }),
  // code hosting
  T('github', 'code-hosting', 'github-token', () => crcToken('ghp'), 'github', (v) => [badChecksum(v), v.slice(0, -1), 'ghp_' + 'x'.repeat(36), 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', stars(v, 4)], { suffix: 'token' }),
  T('github', 'code-hosting', 'github-token', () => crcToken('gho'), 'github', (v) => [badChecksum(v), v + 'a'], { suffix: 'oauth_token' }),
  T('github', 'code-hosting', 'github-token', () => crcToken('ghs'), 'github', (v) => [badChecksum(v)], { suffix: 'app_token' }),
  T('github', 'code-hosting', 'github-token', () => crcToken('ghu'), 'github', (v) => [badChecksum(v)], { suffix: 'user_token' }),
  T('github', 'code-hosting', 'github-token', () => `ghs_${digits(6)}_${jwt()}`, 'github', (v) => [v.replace(/\.[^.]*$/, '')], { suffix: 'installation_token' }),
  T('github', 'code-hosting', 'github-fine-grained-pat', () => `github_pat_${alnum(22)}_${alnum(59)}`, 'github', exact(11), { suffix: 'pat' }),
  T('gitlab', 'code-hosting', 'gitlab-pat', () => 'glpat-' + b64url(20), 'gitlab', exact(6), { suffix: 'token' }),
  T('gitlab', 'code-hosting', 'gitlab-token', () => 'glrt-' + b64url(20), 'gitlab_runner', exact(5), { suffix: 'token' }),
  T('gitlab', 'code-hosting', 'gitlab-token', () => 'gldt-' + b64url(20), 'gitlab_deploy', exact(5), { suffix: 'token' }),
  T('gitlab', 'code-hosting', 'gitlab-token', () => 'GR1348941' + b64url(20), 'gitlab_registration', exact(9), { suffix: 'token' }),
  T('atlassian', 'code-hosting', 'atlassian-api-token', () => 'ATATT3' + b64url(186), 'jira', exact(6), { suffix: 'api_token' }),
  N('atlassian', 'code-hosting', 'atlassian-api-token', () => lowerAlnum(20) + hex(4), 'confluence', 'token'),
  N('bitbucket', 'code-hosting', 'bitbucket-credential', () => lowerAlnum(32), 'bitbucket', 'client_id'),
  N('bitbucket', 'code-hosting', 'bitbucket-credential', () => b64url(64), 'bitbucket', 'client_secret'),
  N('gitter', 'code-hosting', 'gitter-access-token', () => b64url(40), 'gitter', 'token'),
  N('travisci', 'code-hosting', 'travisci-access-token', () => alnum(22), 'travis', 'token'),
  N('droneci', 'code-hosting', 'droneci-access-token', () => alnum(32), 'droneci', 'token'),
  N('codecov', 'code-hosting', 'codecov-access-token', () => lowerAlnum(32), 'codecov', 'token'),
  T('sonar', 'code-hosting', 'sonar-token', () => 'squ_' + hex(40), 'sonar', exact(4), { suffix: 'token' }),
  N('snyk', 'code-hosting', 'snyk-api-token', () => uuid(), 'snyk', 'token'),
  T('sourcegraph', 'code-hosting', 'sourcegraph-access-token', () => `sgp_${hex(16)}_${hex(40)}`, 'sourcegraph', exact(4), { suffix: 'token' }),
  T('harness', 'code-hosting', 'harness-api-key', () => `pat.${b64url(22)}.${alnum(24)}.${alnum(20)}`, 'harness', exact(4)),
  T('octopus', 'code-hosting', 'octopus-deploy-api-key', () => 'API-' + upperAlnum(26), 'octopus', exact(4)),
  // registries
  T('npm', 'registries', 'npm-token', () => crcToken('npm'), 'npm', (v) => [badChecksum(v), v.slice(0, -1), 'npm_' + 'x'.repeat(36)], { suffix: 'token' }),
  T('pypi', 'registries', 'pypi-token', () => pypiToken(), 'pypi', (v) => ['pypi-AgEIcHlwaS5vcmc' + b64url(120), stars(v, 20)], { suffix: 'token' }),
  T('rubygems', 'registries', 'rubygems-api-token', () => 'rubygems_' + hex(48), 'gem_host', exact(9)),
  T('clojars', 'registries', 'clojars-api-token', () => 'CLOJARS_' + lowerAlnum(60), 'clojars', exact(8), { suffix: 'password' }),
  T('packagist', 'registries', 'private-packagist-token', () => 'packagist_ort_' + hex(68), 'packagist', exact(14), { suffix: 'token' }),
  T('nuget', 'registries', 'nuget-api-key', () => 'oy2' + base32(43), 'nuget', exact(3)),
  T('dockerhub', 'registries', 'dockerhub-pat', () => 'dckr_pat_' + b64url(27), 'docker', exact(9), { suffix: 'password' }),
  T('jfrog', 'registries', 'jfrog-token', () => 'AKCp' + alnum(69), 'artifactory', exact(4), { suffix: 'api_key' }),
  N('jfrog', 'registries', 'jfrog-token', () => lowerAlnum(64), 'jfrog', 'identity_token'),
  // ai
  T('openai', 'ai', 'openai-api-key', () => `sk-proj-${b64url(74)}T3BlbkFJ${b64url(74)}`, 'openai', (v) => [v.replace('T3BlbkFJ', 'T3BlbkFK'), xs(v, 8)]),
  T('openai', 'ai', 'openai-api-key', () => `sk-${alnum(20)}T3BlbkFJ${alnum(20)}`, 'openai', (v) => [v.replace('T3BlbkFJ', 'X3BlbkFJ'), xs(v, 3)]),
  T('anthropic', 'ai', 'anthropic-api-key', () => `sk-ant-api03-${b64url(93)}AA`, 'anthropic', (v) => [v.slice(0, -3) + 'AA', v.slice(0, -2) + 'AB', xs(v, 13)]),
  T('anthropic', 'ai', 'anthropic-api-key', () => `sk-ant-admin01-${b64url(93)}AA`, 'anthropic_admin', (v) => [v.slice(0, -1)]),
  T('huggingface', 'ai', 'huggingface-token', () => 'hf_' + letters(34), 'hf', exact(3), { suffix: 'token' }),
  T('perplexity', 'ai', 'perplexity-api-key', () => 'pplx-' + alnum(48), 'perplexity', exact(5)),
  N('cohere', 'ai', 'cohere-api-key', () => alnum(40), 'cohere'),
  // messaging
  T('slack', 'messaging', 'slack-token', () => `xoxb-${digits(12)}-${digits(13)}-${alnum(24)}`, 'slack', (v) => ['xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx', 'xoxb-12345-abcd234', v.replace(/-[^-]+$/, '-' + '#'.repeat(24))], { suffix: 'bot_token' }),
  T('slack', 'messaging', 'slack-token', () => `xoxp-${digits(12)}-${digits(12)}-${digits(12)}-${hex(32)}`, 'slack', (v) => [v.replace(/-[^-]+$/, '-' + '#'.repeat(20)), 'xoxp-1234-1234-1234-' + hex(32)], { suffix: 'user_token' }),
  T('slack', 'messaging', 'slack-token', () => `xoxa-2-${digits(9)}-${digits(11)}-${digits(13)}-${hex(18)}`, 'slack', () => ['xoxa-nyc'], { suffix: 'access_token' }),
  T('slack', 'messaging', 'slack-token', () => `xoxe.xoxp-1-${alnum(163)}`, 'slack', (v) => ['xoxe.xoxp-1-RANDOMSTRINGHERE', v.slice(0, 60)], { suffix: 'config_token' }),
  T('slack', 'messaging', 'slack-token', () => `xoxe-1-${alnum(146)}`, 'slack', () => ['xoxe-1-xxx'], { suffix: 'refresh_token' }),
  T('slack', 'messaging', 'slack-token', () => `xapp-1-A${upperAlnum(10)}-${digits(13)}-${hex(64)}`, 'slack', (v) => [v.slice(0, -10)], { suffix: 'app_token' }),
  T('slack', 'messaging', 'slack-webhook', () => `https://hooks.slack.com/services/T${upperAlnum(8)}/B${upperAlnum(8)}/${alnum(24)}`, 'slack', () => ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX', 'https://hooks.slack.com/services/...'], { suffix: 'webhook_url' }),
  T('discord', 'messaging', 'discord-token', () => `https://discord.com/api/webhooks/${digits(18)}/${b64url(68)}`, 'discord', (v) => [v.slice(0, 60)], { suffix: 'webhook' }),
  N('discord', 'messaging', 'discord-api-key', () => hex(64), 'discord', 'bot_secret'),
  T('telegram', 'messaging', 'telegram-bot-token', () => `${digits(10)}:AA${b64url(33)}`, 'telegram', (v) => [v.slice(0, -1)], { suffix: 'bot_token' }),
  T('teams', 'messaging', 'microsoft-teams-webhook', () => `https://acme.webhook.office.com/webhookb2/${uuid()}@${uuid()}/IncomingWebhook/${lowerAlnum(32)}/${uuid()}`, 'teams', (v) => [v.replace(/IncomingWebhook\/\w+/, 'IncomingWebhook/xxx')], { suffix: 'webhook_url' }),
  N('mattermost', 'messaging', 'mattermost-access-token', () => lowerAlnum(26), 'mattermost', 'token'),
  T('twilio', 'messaging', 'twilio-api-key', () => 'SK' + hex(32), 'twilio', (v) => [v.slice(0, -1), 'SK' + 'x'.repeat(32)]),
  T('sendgrid', 'messaging', 'sendgrid-api-key', () => `SG.${b64url(22)}.${b64url(43)}`, 'sendgrid', (v) => [v.slice(0, -1), 'SG.example']),
  T('sendinblue', 'messaging', 'sendinblue-api-key', () => `xkeysib-${hex(64)}-${alnum(16)}`, 'brevo', exact(8)),
  N('mailgun', 'messaging', 'mailgun-api-key', () => 'key-' + hex(32), 'mailgun'),
  T('mailchimp', 'messaging', 'mailchimp-api-key', () => `${hex(32)}-us${randomInt(1, 21)}`, 'mailchimp', (v) => [v.slice(1)]),
  N('sendbird', 'messaging', 'sendbird-access-token', () => hex(40), 'sendbird', 'api_token'),
  N('intercom', 'messaging', 'intercom-api-key', () => b64url(60), 'intercom', 'access_token'),
  N('zendesk', 'messaging', 'zendesk-secret-key', () => alnum(40), 'zendesk', 'api_token'),
  N('messagebird', 'messaging', 'messagebird-api-token', () => alnum(25), 'messagebird'),
  // payments
  T('stripe', 'payments', 'stripe-key', () => 'sk_live_' + alnum(24), 'stripe', (v) => ['sk_live_' + 'x'.repeat(24), 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'pk_live_' + v.slice(8), stars(v, 8)], { suffix: 'secret_key' }),
  T('stripe', 'payments', 'stripe-key', () => 'sk_test_' + alnum(99), 'stripe', (v) => ['sk_test_' + 'x'.repeat(24)], { suffix: 'test_key' }),
  T('stripe', 'payments', 'stripe-key', () => 'rk_live_' + alnum(99), 'stripe', (v) => [xs(v, 8)], { suffix: 'restricted_key' }),
  T('stripe', 'payments', 'stripe-key', () => 'whsec_' + alnum(32), 'stripe', (v) => [xs(v, 6)], { suffix: 'webhook_secret' }),
  T('square', 'payments', 'square-access-token', () => 'sq0atp-' + b64url(22), 'square', (v) => [xs(v, 7)]),
  T('shopify', 'payments', 'shopify-token', () => 'shpat_' + hex(32), 'shopify', exact(6), { suffix: 'access_token' }),
  T('shopify', 'payments', 'shopify-token', () => 'shpss_' + hex(32), 'shopify', exact(6), { suffix: 'shared_secret' }),
  T('plaid', 'payments', 'plaid-api-token', () => `access-production-${uuid()}`, 'plaid', (v) => [v.slice(0, -1)], { suffix: 'access_token' }),
  N('plaid', 'payments', 'plaid-api-token', () => lowerAlnum(30), 'plaid', 'secret'),
  N('gocardless', 'payments', 'gocardless-api-token', () => 'live_' + b64url(40), 'gocardless', 'access_token'),
  T('flutterwave', 'payments', 'flutterwave-key', () => `FLWSECK_TEST-${hex(32)}-X`, 'flutterwave', (v) => [v.slice(0, -2)], { suffix: 'secret_key' }),
  N('coinbase', 'payments', 'coinbase-access-token', () => b64url(64), 'coinbase', 'access_token'),
  N('kraken', 'payments', 'kraken-access-token', () => b64(88), 'kraken'),
  N('kucoin', 'payments', 'kucoin-api-key', () => hex(24), 'kucoin'),
  N('bittrex', 'payments', 'bittrex-api-key', () => alnum(32), 'bittrex'),
  T('duffel', 'payments', 'duffel-api-token', () => 'duffel_live_' + b64url(43), 'duffel', exact(12), { suffix: 'token' }),
  T('shippo', 'payments', 'shippo-api-token', () => 'shippo_live_' + hex(40), 'shippo', exact(12), { suffix: 'token' }),
  T('easypost', 'payments', 'easypost-api-token', () => 'EZAK' + alnum(54), 'easypost', exact(4)),
  N('finicity', 'payments', 'finicity-api-token', () => hex(32), 'finicity', 'app_key'),
  N('lob', 'payments', 'lob-api-key', () => 'live_' + hex(35), 'lob'),
  N('squarespace', 'payments', 'squarespace-access-token', () => uuid(), 'squarespace'),
  N('etsy', 'payments', 'etsy-access-token', () => lowerAlnum(24), 'etsy'),
  N('finnhub', 'payments', 'finnhub-access-token', () => lowerAlnum(20), 'finnhub', 'token'),
  // social
  T('facebook', 'social', 'facebook-token', () => 'EAAC' + alnum(180), 'facebook', (v) => [xs(v, 4)], { suffix: 'page_token' }),
  N('facebook', 'social', 'facebook-token', () => hex(32), 'facebook', 'app_secret'),
  T('twitter', 'social', 'twitter-token', () => 'A'.repeat(22) + alnum(90), 'twitter', () => ['A'.repeat(60)], { suffix: 'bearer_token' }),
  N('twitter', 'social', 'twitter-token', () => alnum(50), 'twitter', 'api_secret'),
  N('linkedin', 'social', 'linkedin-client-secret', () => alnum(16), 'linkedin', 'client_secret'),
  N('flickr', 'social', 'flickr-access-token', () => lowerAlnum(32), 'flickr'),
  N('nytimes', 'social', 'nytimes-access-token', () => b64url(32), 'nytimes'),
  N('dropbox', 'social', 'dropbox-api-token', () => 'sl.' + b64url(135), 'dropbox', 'access_token'),
  N('twitch', 'social', 'twitch-api-token', () => lowerAlnum(30), 'twitch', 'token'),
  T('adobe', 'social', 'adobe-client-secret', () => 'p8e-' + alnum(32), 'adobe', exact(4), { suffix: 'client_secret' }),
  N('adafruit', 'social', 'adafruit-api-key', () => b64url(32), 'adafruit'),
  N('beamer', 'social', 'beamer-api-token', () => 'b_' + b64url(44), 'beamer'),
  T('mapbox', 'social', 'mapbox-api-token', () => 'sk.' + Buffer.from(JSON.stringify({ u: 'acme', a: lowerAlnum(25) })).toString('base64url') + '.' + b64url(22), 'mapbox', (v) => [v.slice(0, -8)], { suffix: 'secret_token' }),
  N('mapbox', 'social', 'mapbox-api-token', () => `pk.${lowerAlnum(60)}.${lowerAlnum(22)}`, 'mapbox', 'access_token'),
  // observability
  T('grafana', 'observability', 'grafana-token', () => `glsa_${alnum(32)}_${hex(8)}`, 'grafana', exact(5), { suffix: 'token' }),
  T('grafana', 'observability', 'grafana-token', () => 'glc_' + Buffer.from(JSON.stringify({ o: digits(6), n: 'stack-' + digits(6), k: alnum(32), m: { r: 'us' } })).toString('base64'), 'grafana_cloud', masked(4), { suffix: 'token' }),
  T('grafana', 'observability', 'grafana-token', () => 'eyJrIjoi' + Buffer.from(`${alnum(32)}","n":"ci","id":${digits(1)}}`).toString('base64').replace(/=+$/, ''), 'grafana', masked(8), { suffix: 'api_key' }),
  T('sentry', 'observability', 'sentry-token', () => 'sntryu_' + hex(64), 'sentry', exact(7), { suffix: 'auth_token' }),
  T('sentry', 'observability', 'sentry-token', () => 'sntrys_' + Buffer.from(JSON.stringify({ iat: Date.now() / 1000, url: 'https://sentry.io', region_url: 'https://us.sentry.io', org: 'acme' })).toString('base64').replace(/=+$/, '') + '_' + b64(43), 'sentry', (v) => ['sntrys_' + b64(80) + '_' + b64(43)], { suffix: 'org_token' }),
  N('datadog', 'observability', 'datadog-access-token', () => hex(32), 'datadog'),
  T('newrelic', 'observability', 'new-relic-key', () => 'NRAK-' + upperAlnum(27), 'newrelic', exact(5)),
  T('dynatrace', 'observability', 'dynatrace-api-token', () => `dt0c01.${upperAlnum(24)}.${alnum(64)}`, 'dynatrace', exact(7), { suffix: 'token' }),
  N('sumologic', 'observability', 'sumologic-access-token', () => alnum(64), 'sumo', 'access_key'),
  N('launchdarkly', 'observability', 'launchdarkly-access-token', () => b64url(40), 'launchdarkly', 'access_token'),
  N('meraki', 'observability', 'cisco-meraki-api-key', () => hex(40), 'meraki'),
  // devtools
  T('vault', 'devtools', 'vault-token', () => 'hvs.' + b64url(95), 'vault', masked(4), { suffix: 'token' }),
  T('terraform', 'devtools', 'terraform-cloud-token', () => `${alnum(14)}.atlasv1.${b64url(67)}`, 'tfe', masked(0), { suffix: 'token' }),
  T('pulumi', 'devtools', 'pulumi-api-token', () => 'pul-' + hex(40), 'pulumi', exact(4), { suffix: 'access_token' }),
  T('doppler', 'devtools', 'doppler-api-token', () => 'dp.pt.' + alnum(43), 'doppler', exact(6), { suffix: 'token' }),
  T('doppler', 'devtools', 'doppler-api-token', () => 'dp.st.prd.' + alnum(40), 'doppler', (v) => [xs(v, 10)], { suffix: 'service_token' }),
  T('infracost', 'devtools', 'infracost-api-token', () => 'ico-' + alnum(32), 'infracost', exact(4)),
  T('prefect', 'devtools', 'prefect-api-token', () => 'pnu_' + alnum(36), 'prefect', exact(4)),
  T('1password', 'devtools', '1password-secret', () => `A3-${upperAlnum(6)}-${upperAlnum(11)}-${upperAlnum(5)}-${upperAlnum(5)}-${upperAlnum(5)}`, 'op', (v) => [v.slice(0, -1)], { suffix: 'secret_key' }),
  T('postman', 'devtools', 'postman-api-token', () => `PMAK-${hex(24)}-${hex(34)}`, 'postman', exact(5)),
  T('linear', 'devtools', 'linear-api-key', () => 'lin_api_' + alnum(40), 'linear', exact(8)),
  T('notion', 'devtools', 'notion-api-token', () => `ntn_${digits(11)}${alnum(35)}`, 'notion', exact(4), { suffix: 'token' }),
  T('readme', 'devtools', 'readme-api-token', () => 'rdme_' + lowerAlnum(70), 'readme', exact(5)),
  N('okta', 'devtools', 'okta-access-token', () => '00' + b64url(40), 'okta', 'api_token'),
  N('algolia', 'devtools', 'algolia-api-key', () => lowerAlnum(32), 'algolia', 'admin_key'),
  T('contentful', 'devtools', 'contentful-token', () => 'CFPAT-' + b64url(43), 'contentful', exact(6), { suffix: 'management_token' }),
  T('airtable', 'devtools', 'airtable-pat', () => `pat${alnum(14)}.${hex(64)}`, 'airtable', exact(3), { suffix: 'token' }),
  T('frameio', 'devtools', 'frameio-api-token', () => 'fio-u-' + b64url(64), 'frameio', exact(6), { suffix: 'token' }),
  T('typeform', 'devtools', 'typeform-api-token', () => 'tfp_' + b64url(59), 'typeform', exact(4), { suffix: 'token' }),
  N('rapidapi', 'devtools', 'rapidapi-access-token', () => b64url(50), 'rapidapi'),
  T('maxmind', 'devtools', 'maxmind-license-key', () => `${alnum(6)}_${alnum(29)}_mmk`, 'maxmind', (v) => [v.slice(1)], { suffix: 'license_key' }),
  N('confluent', 'devtools', 'confluent-api-key', () => alnum(64), 'confluent', 'api_secret'),
  N('freshbooks', 'devtools', 'freshbooks-access-token', () => lowerAlnum(64), 'freshbooks', 'access_token'),
  T('hubspot', 'devtools', 'hubspot-api-key', () => `pat-na1-${uuid()}`, 'hubspot', exact(7), { suffix: 'private_app_token' }),
  N('hubspot', 'devtools', 'hubspot-api-key', () => uuid(), 'hubspot'),
  T('intra42', 'devtools', 'intra42-client-secret', () => 's-s4t2ud-' + hex(64), 'intra42', exact(9), { suffix: 'client_secret' }),
  T('age', 'keys', 'age-secret-key', () => ageSecretKey(), 'age', (v) => [badChecksum(v), v.slice(0, -1), 'AGE-SECRET-KEY-1' + 'Q'.repeat(58)], { suffix: 'key' }),
];
