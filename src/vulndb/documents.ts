// Reading an advisory source: a directory (recursive *.json / *.yaml), a JSON or YAML file (one
// record or an array; gzip-compressed too: NVD's feeds are .json.gz), or a zip (OSV's all.zip, NVD's
// .json.zip, a cvelistV5 archive). Every file and zip entry is capped before it is read, zip entries
// are checked against their CRC, and nothing is extracted to disk.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { crc32, gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';
import { parseYaml } from '../util/yaml.ts';
import { CustomsError } from '../errors.ts';

export interface DocumentLimits {
  /** largest single record file (directory entries, zip entries) */
  maxFileBytes: number;
  /** largest document given directly or a feed-sized zip entry (may hold an array, an NVD feed) */
  maxDocumentBytes: number;
  /** entries in one zip */
  maxZipEntries: number;
  /** total uncompressed bytes read from one zip */
  maxZipBytes: number;
}

export const DOCUMENT_LIMITS: DocumentLimits = {
  maxFileBytes: 16 * 1024 * 1024,
  maxDocumentBytes: 512 * 1024 * 1024,
  maxZipEntries: 2_000_000,
  maxZipBytes: 16 * 1024 * 1024 * 1024,
};

/** A document read from a source: raw bytes and a name for messages; `array`: may hold many records. */
export interface Doc { what: string; data: Buffer; yaml: boolean; array: boolean }

const isRecordFile = (name: string) => /\.(json|ya?ml)$/i.test(name);
// NVD's yearly feeds are one JSON document per zip; they may be large, advisory entries may not
const isFeedEntry = (name: string) => /(^|\/)nvdcve[^/]*\.json$/i.test(name);

/** The documents of one source path. Throws CustomsError when it is missing, over a cap or corrupt. */
export async function* documents(src: string, o: DocumentLimits): AsyncGenerator<Doc> {
  let st;
  try { st = await stat(src); } catch (e: any) {
    throw new CustomsError('not-found', `advisory source ${src}: ${e.code === 'ENOENT' ? 'does not exist' : e.message}`);
  }
  if (st.isDirectory()) { yield* directoryDocuments(src, o); return; }
  if (!st.isFile()) throw new CustomsError('unsupported', `advisory source ${src} is neither a file nor a directory`);
  const head = Buffer.alloc(4);
  const fh = await open(src, 'r');
  try { await fh.read(head, 0, 4, 0); } finally { await fh.close(); }
  if (head.readUInt32LE(0) === 0x04034b50 || /\.zip$/i.test(src)) { yield* zipDocuments(src, o); return; }
  if (st.size > o.maxDocumentBytes) throw new CustomsError('limit', `${src}: ${st.size} bytes is over the ${o.maxDocumentBytes}-byte cap`);
  let data: Buffer = await readFile(src);
  if (head[0] === 0x1f && head[1] === 0x8b) data = gunzipCapped(data, src, o.maxDocumentBytes);
  yield { what: src, data, yaml: /\.ya?ml$/i.test(src), array: true };
}

function gunzipCapped(data: Buffer, what: string, max: number): Buffer {
  try { return gunzipSync(data, { maxOutputLength: max }); } catch (e: any) {
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new CustomsError('limit', `${what}: inflates past the ${max}-byte cap`);
    throw new CustomsError('corrupt', `${what}: corrupt gzip (${e.message})`);
  }
}

async function* directoryDocuments(src: string, o: DocumentLimits): AsyncGenerator<Doc> {
  const entries = await readdir(src, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && isRecordFile(e.name)).map((e) => join(e.parentPath, e.name)).sort();
  // read ahead a few files at once: one at a time, the import waits on the file system
  const queue: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < 32 && next < files.length) {
      const p = readCapped(files[next++]!, o.maxFileBytes);
      p.catch(() => {}); // observed when its turn comes; never an unhandled rejection meanwhile
      queue.push(p);
    }
  };
  try {
    for (const f of files) {
      fill();
      const data = await queue.shift()!;
      yield { what: relative(src, f), data, yaml: /\.ya?ml$/i.test(f), array: false };
    }
  } finally {
    // settle what was started so no rejection goes unhandled
    await Promise.allSettled(queue);
  }
}

async function readCapped(path: string, max: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size > max) throw new CustomsError('limit', `${path}: advisory file of ${size} bytes is over the ${max}-byte cap`);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

export function parseYamlSafe(data: Buffer, what: string): unknown {
  try {
    // failsafe schema: every scalar stays a string (versions such as 1.10 must not become numbers);
    // aliases capped against expansion bombs
    return parseYaml(data.toString('utf8'), { schema: 'failsafe', maxAliasCount: 100, uniqueKeys: false });
  } catch (e: any) {
    throw new CustomsError('corrupt', `${what}: invalid YAML (${e.message})`);
  }
}

/** Read a whole zip (caps, CRC of every entry) without importing it; returns the record entries.
 *  Downloads are checked with it before they replace the previous good file. */
export async function verifyZip(path: string, opts: Partial<DocumentLimits> = {}): Promise<number> {
  let n = 0;
  for await (const _doc of zipDocuments(path, { ...DOCUMENT_LIMITS, ...opts })) n++;
  return n;
}

/** The *.json entries of a zip, streamed one entry at a time with caps and CRC checks. */
async function* zipDocuments(path: string, o: DocumentLimits): AsyncGenerator<Doc> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { validateEntrySizes: true, strictFileNames: false, decodeStrings: true });
  } catch (e: any) {
    throw new CustomsError('corrupt', `${path}: not a readable zip (${e.message})`, { cause: e });
  }
  let entries = 0;
  let total = 0;
  try {
    while (true) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const onEntry = (e: yauzl.Entry) => { done(); resolve(e); };
        const onEnd = () => { done(); resolve(null); };
        const onError = (err: Error) => { done(); reject(new CustomsError('corrupt', `${path}: ${err.message}`, { cause: err })); };
        const done = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
        zip.on('entry', onEntry); zip.on('end', onEnd); zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return;
      if (++entries > o.maxZipEntries) throw new CustomsError('limit', `${path}: more than ${o.maxZipEntries} entries`);
      if (entry.fileName.endsWith('/') || !/\.json$/i.test(entry.fileName)) continue;
      const feed = isFeedEntry(entry.fileName);
      const cap = feed ? o.maxDocumentBytes : o.maxFileBytes;
      if (entry.uncompressedSize > cap) {
        throw new CustomsError('limit', `${path}: entry ${entry.fileName} of ${entry.uncompressedSize} bytes is over the ${cap}-byte cap`);
      }
      total += entry.uncompressedSize;
      if (total > o.maxZipBytes) throw new CustomsError('limit', `${path}: more than ${o.maxZipBytes} uncompressed bytes`);
      let stream;
      try { stream = await zip.openReadStreamPromise(entry); } catch (e: any) {
        throw new CustomsError('corrupt', `${path}: entry ${entry.fileName}: ${e.message}`, { cause: e });
      }
      const parts: Buffer[] = [];
      let n = 0;
      try {
        for await (const c of stream) {
          n += (c as Buffer).length;
          if (n > cap) { stream.destroy(); throw new CustomsError('limit', `${path}: entry ${entry.fileName} is over the ${cap}-byte cap`); }
          parts.push(c as Buffer);
        }
      } catch (e: any) {
        if (e instanceof CustomsError) throw e;
        throw new CustomsError('corrupt', `${path}: entry ${entry.fileName}: ${e.message}`, { cause: e });
      }
      const data = Buffer.concat(parts, n);
      if ((crc32(data) >>> 0) !== (entry.crc32 >>> 0)) throw new CustomsError('corrupt', `${path}: entry ${entry.fileName} fails its CRC check`);
      yield { what: `${path}!${entry.fileName}`, data, yaml: false, array: feed };
    }
  } finally {
    zip.close();
  }
}
