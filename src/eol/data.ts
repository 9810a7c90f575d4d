// End-of-life data in endoflife.date's API format (`https://endoflife.date/api/<product>.json`:
// an array of release cycles). The shipped snapshot is src/eol/data.json; `customs eol update`
// writes a fresher copy to <dataDir>/eol.json, which wins when present.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { CustomsError } from '../errors.ts';
import { parseUntrustedJson } from '../util/json.ts';

const dateOrBool = z.union([z.string().regex(/^\d{4}-\d{2}-\d{2}/), z.boolean()]);

/** One release cycle as endoflife.date serves it (extra fields ignored). */
export const eolCycleSchema = z.object({
  cycle: z.union([z.string(), z.number()]).transform(String),
  releaseDate: z.string().optional(),
  /** a date, true (ended, date unknown) or false (supported) */
  eol: dateOrBool,
  extendedSupport: dateOrBool.optional(),
  codename: z.string().nullish(),
  lts: z.union([z.boolean(), z.string()]).optional(),
  latest: z.union([z.string(), z.number()]).transform(String).optional(),
});
export type EolCycle = z.infer<typeof eolCycleSchema>;

export const productCyclesSchema = z.array(eolCycleSchema).max(2000);

const eolDataSchema = z.object({
  source: z.string(),
  note: z.string().optional(),
  updatedAt: z.string(),
  products: z.record(z.string(), productCyclesSchema),
  /** conditional-GET validators per product, from the last refresh */
  validators: z.record(z.string(), z.object({ etag: z.string().optional(), lastModified: z.string().optional() })).optional(),
});
export type EolData = z.infer<typeof eolDataSchema>;

export const SHIPPED_EOL_FILE = new URL('./data.json', import.meta.url);

/** Products Customs checks: OSes it detects and the runtimes it recognises. */
export const EOL_PRODUCTS = ['debian', 'ubuntu', 'alpine', 'rhel', 'rocky-linux', 'almalinux', 'amazon-linux', 'sles', 'fedora', 'azure-linux', 'nodejs', 'python', 'eclipse-temurin', 'go'];

export function parseEolData(text: string, what: string): EolData {
  const parsed = eolDataSchema.safeParse(parseUntrustedJson(text, what, 16));
  if (!parsed.success) throw new CustomsError('corrupt', `${what}: not end-of-life data: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The refreshed file when it exists, else the shipped snapshot. */
export function loadEolData(file?: string): EolData {
  if (file && existsSync(file)) return parseEolData(readFileSync(file, 'utf8'), file);
  return parseEolData(readFileSync(SHIPPED_EOL_FILE, 'utf8'), 'shipped end-of-life data');
}
