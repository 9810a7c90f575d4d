// Exit 70 (EX_SOFTWARE) is what a run that broke for a reason that is not the image's gives, so a CI
// job can tell "findings" (1 or --exit-code) and Customs' documented errors (2–11) from "broken": here
// a database file damaged outside Customs (a table dropped by hand) — a real libsql error, no stub.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { describe, expect, it } from 'vitest';
import { customsCli } from './helpers/cli.ts';

describe('exit 70', () => {
  it('an unexpected failure is exit 70 with "internal error" and the stack, never 0 or a documented code', async () => {
    const work = mkdtempSync(join(tmpdir(), 'customs-exit70-'));
    const customs = customsCli(work);
    expect((await customs(['db', 'status'])).code).toBe(0); // creates and migrates the database
    const db = createClient({ url: `file:${join(work, 'data', 'customs.db')}` });
    await db.execute('DROP TABLE vuln_current');
    db.close();
    const r = await customs(['db', 'status']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^customs: internal error: .*no such table: vuln_current/s);
    expect(r.stdout).toBe('');
  });
});
