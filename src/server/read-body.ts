import { CustomsError } from '../errors.ts';

/** The request body, refused (limit → 413) past maxBytes whether or not Content-Length was sent. */
export async function readBodyCapped(req: Request, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw new CustomsError('limit', `body larger than ${maxBytes} bytes`);
  if (!req.body) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = req.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > maxBytes) { await reader.cancel().catch(() => undefined); throw new CustomsError('limit', `body larger than ${maxBytes} bytes`); }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}
