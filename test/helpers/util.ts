import { CustomsError } from '../../src/errors.ts';

/** The CustomsError a promise rejects with (fails the test if it resolves or throws something else). */
export async function caught(p: Promise<unknown>): Promise<CustomsError> {
  try { await p; } catch (e) { if (e instanceof CustomsError) return e; throw e; }
  throw new Error('expected a CustomsError');
}

/** Read a stream to its end. */
export async function collect(s: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c);
  return Buffer.concat(parts);
}

/** Poll fn every 100 ms until it returns something other than undefined (bounded by ms). */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
