// AI model providers. Formats: OpenAI keys carry the watermark "T3BlbkFJ" (base64 of "OpenAI")
// between two random halves (Trivy's openai-* rules); Anthropic keys are sk-ant-<kind><version>-
// + 93 characters ending "AA" (gitleaks anthropic-*); Hugging Face hf_ + 34 (huggingface-*).
import type { SecretRule } from '../rule-types.ts';
import { assignedTo, END_DASH, token } from './syntax.ts';

export const AI_RULES: SecretRule[] = [
  token('openai-api-key', 'OpenAI API key (project, service account, admin, legacy)', 'critical',
    String.raw`sk-(?:(?:proj|svcacct|admin|None)-|service-[A-Za-z0-9-]{1,60}-)?[A-Za-z0-9_-]{20,100}T3BlbkFJ[A-Za-z0-9_-]{20,100}`,
    { keywords: ['t3blbkfj'], end: END_DASH, entropy: 3.5 }),
  // ephemeral client secrets of the Realtime API (short-lived, still a credential while valid)
  token('openai-realtime-client-secret', 'OpenAI Realtime client secret', 'medium', 'ek_[a-f0-9]{32}', { keywords: ['ek_'], entropy: 3 }),
  token('anthropic-api-key', 'Anthropic API key', 'critical',
    String.raw`sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA|sk-ant-(?:oat|ort)01-[A-Za-z0-9_-]{80,120}`,
    { keywords: ['sk-ant-'], end: END_DASH, entropy: 3.5 }),
  token('huggingface-token', 'Hugging Face access token', 'critical', 'hf_[A-Za-z0-9]{34}|api_org_[A-Za-z]{34}', { keywords: ['hf_', 'api_org_'], entropy: 3.5 }),
  token('perplexity-api-key', 'Perplexity API key', 'high', 'pplx-[a-zA-Z0-9]{48}', { keywords: ['pplx-'], entropy: 3.5 }),
  assignedTo('cohere-api-key', 'Cohere API key', 'high', 'cohere|co_api_key', '[A-Za-z0-9]{40}', { keywords: ['cohere', 'co_api_key'], entropy: 4 }),
  assignedTo('privateai-api-token', 'Private AI API token', 'high', 'private[_-]?ai', '[A-Za-z0-9]{32}', { keywords: ['privateai', 'private_ai', 'private-ai'], entropy: 3.5 }),
];
