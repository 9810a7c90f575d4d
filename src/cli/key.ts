import type { Config } from '../config/schema.ts';
import { CustomsError } from '../errors.ts';
import { loadSigner } from '../signing/key.ts';

/** `customs key show`: the public key attestations are signed with (generating the key on first use). */
export function keyCommand(args: string[], cfg: Config): number {
  if (args[0] !== 'show' || args.length !== 1) throw new CustomsError('usage', 'usage: customs key show\nrun "customs help" for usage');
  process.stdout.write(loadSigner(cfg).publicKeyPem);
  return 0;
}
