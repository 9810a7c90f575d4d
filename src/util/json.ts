import { CustomsError } from '../errors.ts';

/** Parse JSON from an untrusted source, refusing documents nested deeper than maxDepth
 *  (JSON.parse recursion on hostile input can blow the stack). */
export function parseUntrustedJson<T = unknown>(buf: Buffer | string, what: string, maxDepth = 64): T {
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) { // { [
      if (++depth > maxDepth) throw new CustomsError('limit', `${what}: JSON nested deeper than ${maxDepth} levels`);
    } else if (c === 125 || c === 93) depth--;
  }
  try {
    return JSON.parse(text) as T;
  } catch (e: any) {
    throw new CustomsError('corrupt', `${what}: invalid JSON (${e.message})`);
  }
}
