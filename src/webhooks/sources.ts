import type { WebhookSource } from '../config/service-schema.ts';
import { parseAcr } from './acr.ts';
import { parseDistribution } from './distribution.ts';
import { parseDockerHub } from './dockerhub.ts';
import { createEcrParser } from './ecr.ts';
import { parseGar } from './gar.ts';
import { parseGithub } from './github.ts';
import { parseHarbor } from './harbor.ts';
import { parseQuay } from './quay.ts';
import type { SnsOptions } from './sns.ts';
import type { WebhookParser } from './types.ts';
import { parseZot } from './zot.ts';

/** One parser per source, as mounted at POST /webhooks/<source>. */
export function webhookParsers(sns: SnsOptions): Record<WebhookSource, WebhookParser> {
  return {
    distribution: parseDistribution, harbor: parseHarbor, ecr: createEcrParser(sns), github: parseGithub,
    dockerhub: parseDockerHub, quay: parseQuay, acr: parseAcr, gar: parseGar, zot: parseZot,
  };
}
