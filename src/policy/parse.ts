import { parseYaml } from '../util/yaml.ts';
import { formatIssues } from '../config/load.ts';
import { CustomsError } from '../errors.ts';
import { policySchema, type Policy } from './schema.ts';

const MAX_POLICY_BYTES = 1024 * 1024;

/** Parse and validate a policy document (YAML or JSON text). Throws CustomsError('usage') naming each bad field. */
export function parsePolicy(text: string, origin = 'policy'): Policy {
  if (Buffer.byteLength(text) > MAX_POLICY_BYTES) throw new CustomsError('usage', `${origin}: larger than ${MAX_POLICY_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (e) {
    throw new CustomsError('usage', `${origin} is not valid YAML/JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  return validatePolicy(doc, origin);
}

/** Validate an already-parsed document (e.g. a JSON request body). */
export function validatePolicy(doc: unknown, origin = 'policy'): Policy {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CustomsError('usage', `${origin} must be a mapping with apiVersion, kind, metadata and spec`);
  const r = policySchema.safeParse(doc);
  if (!r.success) throw new CustomsError('usage', `${origin} is invalid:\n${formatIssues(r.error)}`);
  return r.data;
}
