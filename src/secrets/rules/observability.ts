// Monitoring, logging and feature-flag services. Formats: Grafana (API keys are base64 JSON
// {"k":…, service-account tokens glsa_ + 32 + _ + 8 hex, Cloud tokens glc_), Sentry (org tokens
// sntrys_ + base64 claims + _ + secret; user tokens sntryu_), New Relic (NRAK-/NRJS-/NRII-, license
// keys ending NRAL), Dynatrace (dt0c01.); gitleaks' rules of the same names for the rest.
import { base64JsonObject } from '../checksums.ts';
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END_B64, END_DASH, token, tokenOrAssigned } from './syntax.ts';

export const OBSERVABILITY_RULES: SecretRule[] = [
  token('grafana-token', 'Grafana API key / service account token / Cloud token', 'high',
    'eyJrIjoi[A-Za-z0-9+/]{40,400}={0,3}|glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}',
    { keywords: ['eyjrijoi', 'glc_', 'glsa_'], end: END_B64, entropy: 3.5 }),
  {
    ...token('sentry-token', 'Sentry auth token (organization or user)', 'high',
      String.raw`sntrys_eyJ[A-Za-z0-9+/]{10,400}={0,2}_[A-Za-z0-9+/]{43}|sntryu_[a-f0-9]{64}`, { keywords: ['sntrys_', 'sntryu_'], end: END_B64, entropy: 3.5 }),
    // an org token's middle part is its claims in base64 JSON (iat, url, region_url, org)
    verify: (v) => !v.startsWith('sntrys_') || base64JsonObject(v.slice(7, v.lastIndexOf('_')).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))?.iat !== undefined,
  },
  assignedTo('sentry-access-token', 'Sentry access token (legacy)', 'high', 'sentry', '[a-f0-9]{64}', { keywords: ['sentry'], entropy: 3 }),
  assignedTo('datadog-access-token', 'Datadog API / application key', 'high', String.raw`datadog|dd[_.-]?(?:api|app|application)[_.-]?key`,
    '[a-f0-9]{32}|[A-Za-z0-9]{40}', { keywords: ['datadog', 'dd_api', 'dd-api', 'ddapi', 'dd_app', 'dd-app', 'ddapp', 'dd.api', 'dd.app'], entropy: 3 }),
  tokenOrAssigned('new-relic-key', 'New Relic user / browser / insert / license key', 'high',
    'NRAK-[A-Z0-9]{27}|NRJS-[a-f0-9]{19}|NRII-[A-Za-z0-9-]{32}|[a-f0-9]{36}NRAL',
    'new-relic|newrelic|new_relic', '[A-Za-z0-9]{64}', { keywords: ['nrak-', 'nrjs-', 'nrii-', 'nral', 'new-relic', 'newrelic', 'new_relic'], end: END_DASH }),
  token('dynatrace-api-token', 'Dynatrace API token', 'high', String.raw`dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}`, { keywords: ['dt0c01.'], entropy: 4 }),
  assignedTo('sumologic-access-token', 'Sumo Logic access id / key', 'high', 'sumo', 'su[A-Za-z0-9]{12}|[A-Za-z0-9]{64}', { keywords: ['sumo'], entropy: 3 }),
  assignedTo('launchdarkly-access-token', 'LaunchDarkly access token', 'high', 'launch[_.-]?darkly', '[A-Za-z0-9=_-]{40}', { keywords: ['launchdarkly', 'launch_darkly', 'launch-darkly'], entropy: 3.5 }),
  assignedTo('cisco-meraki-api-key', 'Cisco Meraki API key', 'high', 'meraki', '[0-9a-f]{40}', { keywords: ['meraki'], entropy: 3 }),
];
