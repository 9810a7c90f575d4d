import { bad, deleteEvent, ignoredEvent, obj, pushEvent, str } from './classify.ts';
import type { RegistryEvent } from './event.ts';
import { handleSns, type SnsOptions } from './sns.ts';
import { parseUntrustedJson } from '../util/json.ts';
import type { WebhookParser } from './types.ts';

// Amazon ECR "ECR Image Action" EventBridge events, delivered by an API destination (the event as
// the body) or by SNS (an envelope: signature verified, subscription confirmed, Message = the event).
export function createEcrParser(sns: SnsOptions): WebhookParser {
  return async (body) => {
    if (str(body, 'Type') && str(body, 'TopicArn')) {
      const message = await handleSns(body as Record<string, unknown>, sns);
      return message === undefined ? [] : [ecrEvent(parseUntrustedJson(message, 'SNS Message', 32))];
    }
    return [ecrEvent(body)];
  };
}

export function ecrEvent(e: unknown): RegistryEvent {
  const detail = obj(e, 'detail');
  const account = str(e, 'account');
  const region = str(e, 'region');
  if (str(e, 'source') !== 'aws.ecr' || !detail || !account || !region) throw bad('expected an EventBridge event from aws.ecr with detail, account and region');
  if (!/^[0-9]{12}$/.test(account) || !/^[a-z0-9-]{1,30}$/.test(region)) throw bad('invalid account or region');
  const repository = str(detail, 'repository-name');
  if (!repository) throw bad('ECR event without detail.repository-name');
  const base = {
    registry: `${account}.dkr.ecr.${region}.amazonaws.com`, repository,
    ...(str(detail, 'image-digest') ? { digest: str(detail, 'image-digest')! } : {}),
    ...(str(detail, 'image-tag') ? { tag: str(detail, 'image-tag')! } : {}),
    ...(str(detail, 'manifest-media-type') ? { mediaType: str(detail, 'manifest-media-type')! } : {}),
    ...(str(e, 'id') ? { deliveryId: str(e, 'id')! } : {}),
  };
  if (str(e, 'detail-type') !== 'ECR Image Action' || str(detail, 'result') !== 'SUCCESS') return ignoredEvent(base, 'not a successful image action');
  const action = str(detail, 'action-type');
  if (action === 'PUSH') return pushEvent(base, str(detail, 'artifact-media-type'));
  if (action === 'DELETE') return deleteEvent(base);
  return ignoredEvent(base, `action ${String(action).slice(0, 20)}`);
}
