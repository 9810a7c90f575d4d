import { userInfo } from 'node:os';

/** Who a CLI decision is recorded as in the audit log: "cli:<login name>" (uid when there is none). */
export function cliActor(): string {
  let name: string;
  try { name = userInfo().username; } catch { name = String(process.getuid?.() ?? 'unknown'); }
  return `cli:${name}`;
}
