// Cloud and hosting providers. Formats: the providers' documentation, cross-checked against
// gitleaks' config/gitleaks.toml (rule ids noted) and Trivy's builtin-rules.go; Azure's
// identifiable keys from Microsoft's security-utilities (SEC101/* patterns).
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END_B64, END_DASH, token, tokenOrAssigned, UUID } from './syntax.ts';

/** Public keys from Firebase's SDK samples (firebase-android-sdk), quoted in countless apps, and keys
 *  distributions ship in their packages: not leaks. */
const FIREBASE_EXAMPLE_KEYS = [
  'AIzaSyabcdefghijklmnopqrstuvwxyz1234567', 'AIzaSyAnLA7NfeLquW1tJFpx_eQCxoX-oo6YyIs', 'AIzaSyCkEhVjf3pduRDt6d1yKOMitrUEke8agEM',
  'AIzaSyDMAScliyLx7F0NPDEJi1QmyCgHIAODrlU', 'AIzaSyD3asb-2pEZVqMkmL6M9N6nHZRR_znhrh0', 'AIzayDNSXIbFmlXbIE6mCzDLQAqITYefhixbX4A',
  'AIzaSyAdOS2zB6NCsk1pCdZ4-P6GBdi_UUPwX7c', 'AIzaSyASWm6HmTMdYWpgMnjRBjxcQ9CKctWmLd4', 'AIzaSyANUvH9H9BsUccjsu2pCmEkOPjjaXeDQgY',
  'AIzaSyA5_iVawFQ8ABuTZNUdcwERLJv_a_p4wtM', 'AIzaSyA4UrcGxgwQFTfaI3no3t7Lt1sjmdnP5sQ', 'AIzaSyDSb51JiIcB6OJpwwMicseKRhhrOq1cS7g',
  'AIzaSyBF2RrAIm4a0mO64EShQfqfd2AFnzAvvuU', 'AIzaSyBcE-OOIbhjyR83gm4r2MFCu4MJmprNXsw', 'AIzaSyB8qGxt4ec15vitgn44duC5ucxaOi4FmqE',
  'AIzaSyA8vmApnrHNFE0bApF4hoZ11srVL_n0nvY',
  // the key Google assigned to Debian's Chromium, shipped in the chromium package (/etc/chromium.d/apikeys)
  'AIzaSyCkfPOPZXDKNn8hhgu3JrA62wIgC93d44k',
];

/** A JSON-escaped or plain line break between the lines of a PEM body (see keys.ts). */
const B64 = '[A-Za-z0-9+/]';

export const CLOUD_RULES: SecretRule[] = [
  // AWS: key ids are base32 after a 4-letter kind (AKIA long-term, ASIA STS, ABIA/ACCA service);
  // secrets are 40 base64 characters, recognisable only by the name they are assigned to
  token('aws-access-key-id', 'AWS access key ID', 'high', '(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}', { keywords: ['akia', 'asia', 'abia', 'acca', 'a3t'] }),
  assignedTo('aws-secret-access-key', 'AWS secret access key', 'critical',
    String.raw`aws[_.-]?secret|secret[_.-]?(?:access[_.-]?)?key`, `${B64}{40}`,
    { keywords: ['secret_access_key', 'secretaccesskey', 'secret-access-key', 'secret_key', 'secretkey', 'secret-key', 'aws_secret', 'awssecret', 'aws-secret'], entropy: 4,
      // letters only or hex is another kind of value (a word, a digest), not an AWS secret
      verify: (v) => !/^(?:[A-Za-z]+|[a-f0-9]+)$/.test(v) }),
  // STS session tokens are base64 protobufs that begin the same way (IQoJb3JpZ2lu = "!\n\torigin")
  token('aws-session-token', 'AWS session token', 'high', `(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)${B64}{100,2000}={0,2}`, { keywords: ['iqojb3jpz2lu', 'fwogzxivyxdz', 'fqogzxivyxdz'], end: END_B64, span: 2100 }),
  // Bedrock API keys (gitleaks aws-amazon-bedrock-api-key-*): ABSK + base64 ("BedrockAPIKey-…"); short-lived ones are a presigned URL in base64
  token('aws-bedrock-api-key', 'AWS Bedrock API key', 'high', `ABSK${B64}{109,269}={0,2}|bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%_-]{20,3000}`, { keywords: ['absk', 'bedrock-api-key-'], end: END_B64, span: 3100 }),

  // Google: API keys (AIza + 35); service-account key files (JSON, or that JSON in base64 as
  // Terraform and Kubernetes keep it); OAuth client secrets (GOCSPX-)
  {
    ...token('gcp-api-key', 'Google API key', 'high', String.raw`AIza[\w-]{35}`, { keywords: ['aiza'], end: END_DASH }),
    // a real key is random: `AIzaaaaa…` placeholders and the SDK samples are not leaks
    entropy: 4, allow: FIREBASE_EXAMPLE_KEYS.map((k) => `^${k}$`),
  },
  {
    id: 'gcp-service-account', title: 'GCP service account key (JSON)', severity: 'critical',
    keywords: ['"private_key"', '\\"private_key\\"'],
    // the PEM body inside the JSON string (escaped line breaks, once or twice: a key file inside another JSON document)
    regex: String.raw`\\{0,2}"private_key\\{0,2}"[ \t]{0,5}:[ \t]{0,5}\\{0,2}"-----BEGIN (?:RSA )?PRIVATE KEY-----(?:\\{1,3}r)?\\{1,3}n(?<secret>${B64}{40,80}(?:(?:\\{1,3}r)?\\{1,3}n${B64}{4,80}={0,2}){1,8})`,
    near: { regex: String.raw`service_account|gserviceaccount\.com`, before: 1500, after: 4000 }, span: 1400,
  },
  token('gcp-service-account-base64', 'GCP service account key (JSON in base64)', 'critical',
    `ewogICJ0eXBlIjogInNlcnZpY2VfYWNjb3VudCIs${B64}{200,8000}={0,2}|eyJ0eXBlIjoic2VydmljZV9hY2NvdW50Ii${B64}{200,8000}={0,2}`,
    { keywords: ['ewogicj0exblijoginnlcnzpy2vfywnjb3vudcis', 'eyj0exblijoic2vydmljzv9hy2nvdw50ii'], end: END_B64, span: 8200 }),
  token('gcp-oauth-client-secret', 'Google OAuth client secret', 'high', String.raw`GOCSPX-[\w-]{28}`, { keywords: ['gocspx-'], end: END_DASH }),

  // Azure
  {
    id: 'azure-identifiable-key', title: 'Azure identifiable access key (Storage, Cosmos DB, Service Bus, Event Hubs, Relay, IoT, Redis, Event Grid, Search, Functions, ACR, API Management, AI services, DevOps)', severity: 'critical',
    keywords: ['jqqj9', '+ast', 'acdb', '+aba', '+amc', 'apim', '+arm', '+aeh', '+asb', 'aiot', 'azca', 'azeg', '+acr', 'azse', 'azfu'],
    // the provider signature sits at a fixed offset (Microsoft security-utilities SEC101/152…200)
    regex: [
      String.raw`[A-Za-z0-9]{52}JQQJ9[9DH][A-Za-z0-9][A-L][A-Za-z0-9]{16}[A-Za-z][A-Za-z0-9]{7}(?:[A-Za-z0-9]{2}==)?`,
      String.raw`${B64}{76}(?:\+ASt|ACDb|\+ABa|\+AMC|APIM)${B64}{5}[AQgw]==`,
      String.raw`${B64}{33}(?:\+ARm|\+AEh|\+ASb|AIoT|AzCa|AZEG)[A-P]${B64}{5}=`,
      String.raw`${B64}{42}(?:\+ACR|AzSe)[A-D]${B64}{5}`,
      String.raw`[A-Za-z0-9_-]{44}AzFu[A-Za-z0-9_-]{5}[AQgw]==`,
    ].map((r) => `(?<![A-Za-z0-9+/_-])(?<secret>${r})(?![A-Za-z0-9+/=_-])`).join('|'),
    entropy: 4, span: 200,
  },
  {
    id: 'azure-storage-key', title: 'Azure storage account key / connection string', severity: 'critical',
    keywords: ['accountkey', 'storage_key', 'storagekey', 'storage-key', 'storage_account_key', 'storageaccountkey', 'account_key', 'access_key'],
    regex: String.raw`(?:(?i:AccountKey)[ \t]{0,3}=[ \t]{0,3}|(?<key>(?i:storage|account)[\w.-]{0,20}(?i:key))["']?[ \t]{0,3}[:=][ \t]{0,3}["']?)(?<secret>${B64}{86}==)`,
    entropy: 4,
    // the Azurite / storage emulator's published development key
    allow: ['^Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==$'],
  },
  {
    id: 'azure-sas-connection', title: 'Azure Service Bus / Event Hubs / IoT shared access key', severity: 'critical',
    keywords: ['sharedaccesskey='],
    regex: String.raw`(?i:SharedAccessKey)[ \t]{0,3}=[ \t]{0,3}(?<secret>${B64}{42,44}=?)(?![A-Za-z0-9+/=])`,
    entropy: 4,
  },
  {
    id: 'azure-sas-token', title: 'Azure shared access signature (SAS) token', severity: 'high',
    keywords: ['sig='],
    // a signed URL's signature; sv= (the service version) before or after marks it as Azure's
    regex: String.raw`(?<![A-Za-z0-9])sig=(?<secret>[A-Za-z0-9%+/]{40,80}(?:=|%3[dD]){0,2})(?![A-Za-z0-9%+/=])`,
    near: { regex: String.raw`\bsv=\d{4}-\d\d-\d\d`, before: 600, after: 600 }, entropy: 4,
  },
  {
    id: 'azure-ad-client-secret', title: 'Azure Entra ID (AD) client secret', severity: 'critical',
    keywords: ['8q~', '7q~'],
    regex: String.raw`(?<![A-Za-z0-9_~.+/-])(?<secret>[A-Za-z0-9_~.-]{3}[78]Q~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.+/-])`,
    entropy: 3,
  },
  {
    id: 'azure-container-registry-password', title: 'Azure Container Registry password', severity: 'critical',
    keywords: ['azurecr.io'],
    regex: String.raw`azurecr\.io[^\n]{0,100}?(?:(?i:password|passwd|pwd)["']?[ \t]{0,3}[:=]|[ \t](?:-p|--password)[ \t=])[ \t]{0,3}["']?(?<secret>[A-Za-z0-9+/=]{32,52})(?![A-Za-z0-9+/=])`,
    entropy: 3.5,
  },
  {
    id: 'azure-app-config-connection-string', title: 'Azure App Configuration connection string', severity: 'critical',
    keywords: ['azconfig.io'],
    regex: String.raw`(?i:Endpoint)[ \t]{0,3}=[ \t]{0,3}https://[a-zA-Z0-9-]{1,63}\.azconfig\.io[ \t]{0,3};[ \t]{0,3}(?i:Id)[ \t]{0,3}=[ \t]{0,3}[a-zA-Z0-9+/=:-]{1,100}[ \t]{0,3};[ \t]{0,3}(?i:Secret)[ \t]{0,3}=[ \t]{0,3}(?<secret>[a-zA-Z0-9+/=~]{32,88})`,
    entropy: 3.5,
  },
  assignedTo('azure-devops-pat', 'Azure DevOps personal access token', 'critical',
    String.raw`azure[_.-]?devops|ado[_.-]?(?:pat|token)|vsts[_.-]?(?:pat|token)|system[_.-]?accesstoken|devops[_.-]?(?:pat|token)`, '[a-z2-7]{52}',
    { keywords: ['azure_devops', 'azuredevops', 'azure-devops', 'ado_', 'ado-', 'vsts', 'accesstoken', 'devops_', 'devops-'], entropy: 3.5 }),

  // Alibaba Cloud (gitleaks alibaba-*), Yandex Cloud (yandex-*)
  token('alibaba-access-key-id', 'Alibaba Cloud AccessKey ID', 'high', 'LTAI[A-Za-z0-9]{20}', { keywords: ['ltai'] }),
  assignedTo('alibaba-secret-key', 'Alibaba Cloud AccessKey secret', 'high', 'alibaba', '[A-Za-z0-9]{30}', { keywords: ['alibaba'], entropy: 3.5 }),
  assignedTo('yandex-cloud-key', 'Yandex Cloud API key / IAM token / static access key', 'high', 'yandex',
    String.raw`t1\.[A-Za-z0-9_-]{1,200}={0,2}\.[A-Za-z0-9_-]{86}={0,2}|AQVN[A-Za-z0-9_-]{35,38}|YC[A-Za-z0-9_-]{38}`,
    { keywords: ['yandex'], entropy: 3.5 }),

  // DigitalOcean (doo_/dop_/dor_ + 64 hex), Heroku (UUID keys; HRKU-AA since 2024), Fly.io, Scalingo
  token('digitalocean-token', 'DigitalOcean token (personal, OAuth, refresh)', 'critical', 'do[opr]_v1_[a-f0-9]{64}', { keywords: ['doo_v1_', 'dop_v1_', 'dor_v1_'] }),
  tokenOrAssigned('heroku-api-key', 'Heroku API key', 'high', 'HRKU-AA[0-9a-zA-Z_-]{58}', 'heroku', UUID, { keywords: ['hrku-aa', 'heroku'], end: END_DASH }),
  token('flyio-access-token', 'Fly.io access token', 'high', String.raw`fo1_[\w-]{43}|fm1[ar]_${B64}{100,1000}={0,3}|fm2_${B64}{100,1000}={0,3}`, { keywords: ['fo1_', 'fm1a_', 'fm1r_', 'fm2_'], end: END_B64, entropy: 4, span: 1100 }),
  token('scalingo-api-token', 'Scalingo API token', 'high', String.raw`tk-us-[\w-]{48}`, { keywords: ['tk-us-'], end: END_DASH }),

  // Cloudflare (gitleaks cloudflare-*: API tokens and global keys are only recognisable by name; origin CA keys have a prefix)
  tokenOrAssigned('cloudflare-api-key', 'Cloudflare API token / global API key / origin CA key', 'high',
    String.raw`v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`, 'cloudflare', '[A-Za-z0-9_-]{40}|[a-f0-9]{37}', { keywords: ['cloudflare', 'v1.0-'], entropy: 3.5, span: 300 }),
  assignedTo('fastly-api-token', 'Fastly API token', 'high', 'fastly', '[A-Za-z0-9_=-]{32}', { keywords: ['fastly'], entropy: 3.5 }),
  tokenOrAssigned('netlify-access-token', 'Netlify access token', 'high', 'nfp_[A-Za-z0-9]{36}', 'netlify', '[A-Za-z0-9_=-]{40,46}', { keywords: ['netlify', 'nfp_'], entropy: 3.5 }),
  token('openshift-user-token', 'OpenShift user token', 'high', String.raw`sha256~[\w-]{43}`, { keywords: ['sha256~'], end: END_DASH, entropy: 3.5 }),
  token('databricks-api-token', 'Databricks personal access token', 'high', String.raw`dapi[a-f0-9]{32}(?:-\d)?`, { keywords: ['dapi'] }),
  {
    ...token('clickhouse-cloud-api-secret', 'ClickHouse Cloud API secret key', 'high', '4b1d[A-Za-z0-9]{38}', { keywords: ['4b1d'] }),
    // base62: a hex digest that happens to start with 4b1d has no capitals
    verify: (v) => /[A-Z]/.test(v) && /[a-z]/.test(v.slice(4)),
  },
  token('planetscale-token', 'PlanetScale password / service token / OAuth token', 'high', String.raw`pscale_(?:pw|tkn|oauth)_[\w=.-]{32,64}`, { keywords: ['pscale_pw_', 'pscale_tkn_', 'pscale_oauth_'], end: String.raw`(?![\w=.-])` }),
];
