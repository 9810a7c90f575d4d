// Source hosting, CI and code-quality services. Formats: GitHub's token-format announcement
// (prefix, 30 random base62 + base62 CRC32), GitLab's token-prefix documentation, and gitleaks'
// rules of the same names for the providers recognisable only by the name the value is assigned to.
import { base62Crc32Ok } from '../checksums.ts';
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END, END_DASH, token, tokenOrAssigned, UUID } from './syntax.ts';

const JWT_PARTS = String.raw`eyJ[A-Za-z0-9_-]{10,2000}\.eyJ[A-Za-z0-9_-]{10,4000}\.[A-Za-z0-9_-]{10,1000}`;

export const CODE_HOSTING_RULES: SecretRule[] = [
  {
    // no word boundary before the prefix: a token glued to a word (`%3Dghp_…`, `xghs_…`) is still one;
    // the checksum keeps typed and invented values out
    ...token('github-token', 'GitHub token (personal, OAuth, user-to-server, installation, refresh)', 'critical',
      `gh[pousr]_[0-9a-zA-Z]{36}${END}|ghr_[0-9a-zA-Z]{76}${END}|ghs_[0-9]{1,20}_${JWT_PARTS}${END_DASH}`,
      { keywords: ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], glued: true, end: '', span: 5200 }),
    verify: (v) => !/^gh[pousr]_[0-9a-zA-Z]{36}$/.test(v) || base62Crc32Ok(v),
  },
  token('github-fine-grained-pat', 'GitHub fine-grained personal access token', 'critical', 'github_pat_[0-9a-zA-Z_]{82}', { keywords: ['github_pat_'], glued: true }),

  // GitLab: every token kind has its own prefix; routable tokens (glpat-…/glrt-t1_….xx.yyyyyyy) carry a base36 CRC
  token('gitlab-pat', 'GitLab personal access token', 'critical', String.raw`glpat-(?:[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}|[0-9a-zA-Z_-]{20})`, { keywords: ['glpat-'], end: END_DASH, span: 400 }),
  token('gitlab-token', 'GitLab token (runner, CI job, deploy, feed, mail, agent, OAuth app, trigger, SCIM, feature flags, session)', 'high', [
    String.raw`glrt-t\d_[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}`, 'glrt-[0-9a-zA-Z_-]{20}', 'glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}',
    'gldt-[0-9a-zA-Z_-]{20}', 'glffct-[0-9a-zA-Z_-]{20}', 'glft-[0-9a-zA-Z_-]{20}', 'glimt-[0-9a-zA-Z_-]{25}', 'glagent-[0-9a-zA-Z_-]{50}',
    'gloas-[0-9a-zA-Z_-]{64}', 'glptt-[0-9a-f]{40}', 'glsoat-[0-9a-zA-Z_-]{20}', String.raw`GR1348941[\w-]{20}`, '_gitlab_session=[0-9a-z]{32}',
  ].join('|'), { keywords: ['glrt-', 'glcbt-', 'gldt-', 'glffct-', 'glft-', 'glimt-', 'glagent-', 'gloas-', 'glptt-', 'glsoat-', 'gr1348941', '_gitlab_session='], end: END_DASH, span: 400 }),

  // Atlassian / Bitbucket: API tokens (ATATT3…, app passwords ATBB…) and older keys assigned to their names
  tokenOrAssigned('atlassian-api-token', 'Atlassian (Jira, Confluence) API token', 'high', String.raw`ATATT3[A-Za-z0-9_=-]{186}`,
    'atlassian|confluence|jira', '[A-Za-z0-9]{20}[a-fA-F0-9]{4}', { keywords: ['atatt3', 'atlassian', 'confluence', 'jira'], end: END_DASH, entropy: 3.5 }),
  tokenOrAssigned('bitbucket-credential', 'Bitbucket app password / OAuth client id or secret', 'high', 'ATBB[A-Za-z0-9]{32}',
    'bitbucket', '[A-Za-z0-9]{32}|[A-Za-z0-9=_-]{64}', { keywords: ['atbb', 'bitbucket'], entropy: 3.5 }),

  // CI services and code-quality tools (gitleaks gitter-, travisci-, droneci-, codecov-, sonar-, snyk-, sourcegraph-, harness-, octopus-deploy-)
  assignedTo('gitter-access-token', 'Gitter access token', 'high', 'gitter', '[A-Za-z0-9_-]{40}', { keywords: ['gitter'], entropy: 3.5 }),
  assignedTo('travisci-access-token', 'Travis CI access token', 'high', 'travis', '[A-Za-z0-9]{22}', { keywords: ['travis'], entropy: 3.5 }),
  assignedTo('droneci-access-token', 'Drone CI access token', 'high', 'drone', '[A-Za-z0-9]{32}', { keywords: ['drone'], entropy: 3.5 }),
  assignedTo('codecov-access-token', 'Codecov upload token', 'medium', 'codecov', `[A-Za-z0-9]{32}|${UUID}`, { keywords: ['codecov'], entropy: 3 }),
  tokenOrAssigned('sonar-token', 'SonarQube / SonarCloud token', 'high', 'sq[upa]_[a-f0-9]{40}',
    String.raw`sonar[_.-]?(?:login|token|auth)`, '[A-Za-z0-9=_-]{40}', { keywords: ['squ_', 'sqp_', 'sqa_', 'sonar'], entropy: 3.5 }),
  assignedTo('snyk-api-token', 'Snyk API token', 'high', String.raw`snyk[_.-]?(?:(?:api|oauth|auth)[_.-]?)?(?:key|token)`, UUID, { keywords: ['snyk'], entropy: 3 }),
  tokenOrAssigned('sourcegraph-access-token', 'Sourcegraph access token', 'high', 'sgp_(?:[a-fA-F0-9]{16}|local)_[a-fA-F0-9]{40}|sgp_[a-fA-F0-9]{40}',
    'sourcegraph', '[a-f0-9]{40}', { keywords: ['sgp_', 'sourcegraph'] }),
  token('harness-api-key', 'Harness API key / service account token', 'high', String.raw`(?:pat|sat)\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}`, { keywords: ['pat.', 'sat.'], entropy: 3.5, span: 120 }),
  token('octopus-deploy-api-key', 'Octopus Deploy API key', 'high', 'API-[A-Z0-9]{26}', { keywords: ['api-'], entropy: 3, span: 64 }),
];
