// `customs policy apply|list|show|delete|test|vex`: manage policies in the database the service uses.
import { readFileSync } from 'node:fs';
import { stringifyYaml as toYaml } from '../util/yaml.ts';
import type { Config } from '../config/schema.ts';
import { openDatabase, type Database } from '../db/client.ts';
import { CustomsError } from '../errors.ts';
import { parsePolicy } from '../policy/parse.ts';
import type { ScopedPolicy } from '../policy/scope.ts';
import { governingPolicy, PolicyStore } from '../policy/store.ts';
import { importVex } from '../policy/vex-store.ts';
import { testDraft } from '../judge/draft-test.ts';
import { cliActor } from './actor.ts';
import { renderTable } from '../util/table.ts';

export interface PolicyFlags { file?: string; format?: string; revision?: string; reason?: string; limit?: string }

const SUBCOMMANDS = 'apply -f FILE | list | show NAME [--revision N] | delete NAME [--reason TEXT] | test -f FILE | vex -f FILE';

export async function policyCommand(args: string[], cfg: Config, flags: PolicyFlags, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub) throw new CustomsError('usage', `customs policy needs a subcommand: ${SUBCOMMANDS}`);
  const json = flags.format === 'json';
  if (flags.format && !['json', 'table', 'yaml'].includes(flags.format)) throw new CustomsError('usage', `unknown --format "${flags.format}" for policy: use table, json or yaml`);
  const database = await openDatabase(cfg);
  try {
    const store = new PolicyStore(database);
    const actor = cliActor();
    switch (sub) {
      case 'apply': {
        const { text, file } = readPolicyFile(flags.file, rest);
        const policy = parsePolicy(text, file);
        const stored = await store.apply(policy, { actor, source: text });
        out(json ? JSON.stringify({ name: policy.metadata.name, version: stored.version }) + '\n' : `policy ${policy.metadata.name} applied as version ${stored.version} (${policy.spec.mode})\n`);
        return 0;
      }
      case 'list': {
        noArgs(sub, rest);
        const all = await store.current();
        if (json) { out(JSON.stringify(all.map((p) => summary(p)), null, 2) + '\n'); return 0; }
        const rows = all.map((p) => [p.policy.metadata.name, String(p.version), p.policy.spec.mode, p.policy.spec.scope.registries.join(','), p.policy.spec.scope.repositories.join(','), String(p.policy.spec.rules.length), String(p.policy.spec.exceptions.length), p.createdAt]);
        out(rows.length ? renderTable(['NAME', 'VERSION', 'MODE', 'REGISTRIES', 'REPOSITORIES', 'RULES', 'EXCEPTIONS', 'APPLIED'], rows) : 'no policies applied: the built-in default policy governs every image (customs policy show default)\n');
        return 0;
      }
      case 'show': {
        const name = oneArg(sub, rest, 'NAME');
        const version = flags.revision === undefined ? undefined : positiveInt(flags.revision, '--revision');
        const stored = name === 'default' && version === undefined && !(await store.get('default'))
          ? { ...governingPolicy([], '', ''), createdAt: '', createdBy: 'built-in' }
          : await store.get(name, version);
        if (!stored) throw new CustomsError('not-found', `no policy named ${name}${version ? ` with version ${version}` : ''} (customs policy list)`);
        if (json) out(JSON.stringify({ ...summary(stored), document: stored.policy }, null, 2) + '\n');
        else out(`# ${stored.policy.metadata.name} version ${stored.version}${stored.createdBy ? `, applied by ${stored.createdBy}` : ''}${stored.createdAt ? ` at ${stored.createdAt}` : ''}\n${toYaml(stored.policy)}`);
        return 0;
      }
      case 'delete': {
        const name = oneArg(sub, rest, 'NAME');
        const v = await store.delete(name, { actor, ...(flags.reason ? { reason: flags.reason } : {}) });
        out(json ? JSON.stringify({ name, deletedAsVersion: v }) + '\n' : `policy ${name} deleted (version ${v} records the deletion)\n`);
        return 0;
      }
      case 'test': {
        const { text, file } = readPolicyFile(flags.file, rest);
        const draft = parsePolicy(text, file);
        const changes = await testDraft(database, await store.current(), draft, flags.limit ? positiveInt(flags.limit, '--limit') : 10_000);
        if (json) { out(JSON.stringify(changes, null, 2) + '\n'); return 0; }
        const changed = changes.images.filter((c) => c.before !== c.after);
        out(`${changes.evaluated} stored ${changes.evaluated === 1 ? 'image' : 'images'} evaluated; ${changed.length} would change under ${draft.metadata.name}\n`);
        if (changed.length) {
          out(renderTable(['IMAGE', 'NOW', 'WITH DRAFT', 'GOVERNED BY', 'REASONS'], changed.map((c) => [c.image, c.before, c.after, c.policyAfter, c.reasons.join('; ').slice(0, 200)])));
        }
        return 0;
      }
      case 'vex': {
        const { text } = readPolicyFile(flags.file, rest);
        const r = await importVex(database, text, actor);
        out(json ? JSON.stringify(r) + '\n' : `OpenVEX document ${r.docId} imported: ${r.exceptions} ${r.exceptions === 1 ? 'exception' : 'exceptions'}\n`);
        return 0;
      }
      default:
        throw new CustomsError('usage', `unknown policy subcommand "${sub}": ${SUBCOMMANDS}`);
    }
  } finally {
    database.close();
  }
}

function summary(p: ScopedPolicy & { createdAt?: string; createdBy?: string }) {
  return { name: p.policy.metadata.name, version: p.version, mode: p.policy.spec.mode, scope: p.policy.spec.scope, rules: p.policy.spec.rules.length, exceptions: p.policy.spec.exceptions.length, createdAt: p.createdAt, createdBy: p.createdBy };
}

function readPolicyFile(flag: string | undefined, rest: string[]): { text: string; file: string } {
  if (rest.length > 0) throw new CustomsError('usage', `unexpected argument "${rest[0]}": give the policy file with -f FILE`);
  if (!flag) throw new CustomsError('usage', 'give the file with -f FILE (- for standard input)');
  try {
    return { text: readFileSync(flag === '-' ? 0 : flag, 'utf8'), file: flag === '-' ? 'standard input' : flag };
  } catch (e: any) {
    throw new CustomsError('usage', `cannot read ${flag}: ${e.code ?? e.message}`);
  }
}

function noArgs(sub: string, rest: string[]): void {
  if (rest.length) throw new CustomsError('usage', `customs policy ${sub} takes no arguments`);
}

function oneArg(sub: string, rest: string[], what: string): string {
  if (rest.length !== 1) throw new CustomsError('usage', `customs policy ${sub} takes one ${what}`);
  return rest[0]!;
}

function positiveInt(v: string, flag: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new CustomsError('usage', `${flag} must be a positive whole number, not "${v}"`);
  return Number(v);
}

