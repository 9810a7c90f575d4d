import { CustomsError } from '../errors.ts';

/**
 * All of a stream's bytes, at most maxBytes: past that the stream is given up (a web stream is
 * cancelled, a Node stream destroyed) and tooLarge() is thrown. The one byte-capped reader of
 * request bodies, registry responses and the gate's upstream manifests.
 */
export async function collectCapped(body: AsyncIterable<Uint8Array>, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += chunk.byteLength;
    if (n > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, n);
}

/** The request body, refused (limit → 413) past maxBytes whether or not Content-Length was sent. */
export async function readBodyCapped(req: Request, maxBytes: number): Promise<Buffer> {
  const tooLarge = () => new CustomsError('limit', `body larger than ${maxBytes} bytes`);
  const declared = Number(req.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) throw tooLarge();
  if (!req.body) return Buffer.alloc(0);
  return collectCapped(req.body, maxBytes, tooLarge);
}
