// Python distributions: wheel/pip `*.dist-info/METADATA`, setuptools `*.egg-info/PKG-INFO` (or a
// distutils `*.egg-info` file), unzipped `*.egg/EGG-INFO/PKG-INFO` and zipped `*.egg` files. The
// name is kept as written; purls normalise it (PEP 503, src/sbom/purl.ts).
import yauzl from 'yauzl';
import type { FoundPackage } from '../types.ts';
import { packageFileAnalyzer } from './package-file-analyzer.ts';
import { CustomsError } from '../errors.ts';
import { isPythonMetadataPath } from './language-paths.ts';
import { metadataText, stringField } from './metadata-fields.ts';

const MAX_PKG_INFO = 1024 * 1024;     // PKG-INFO inside an egg: headers plus a long description at most
const MAX_EGG_ENTRIES = 100_000;      // central directory entries looked at before giving up

/** Header fields of core metadata (RFC 822 style, repeated fields kept in order); stops at the body. */
export function parseMetadataHeaders(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') break; // the description body follows the first empty line
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      const last = out[out.length - 1];
      if (last) last[1] += '\n' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** License in the order PEP 639 / Syft use: License-Expression, a one-line License, else the
 *  `License ::` classifiers (their last part, "MIT License"). */
function licenseOf(h: [string, string][]): string | undefined {
  const get = (k: string) => h.find(([n]) => n === k)?.[1];
  const expr = stringField(get('license-expression'), 200);
  if (expr) return expr;
  const lic = get('license');
  if (lic && !lic.includes('\n') && lic.toUpperCase() !== 'UNKNOWN') {
    const s = stringField(lic, 200);
    if (s) return s;
  }
  const fromClassifiers = h.filter(([n, v]) => n === 'classifier' && v.startsWith('License ::'))
    .map(([, v]) => v.split('::').pop()!.trim()).filter((v) => v && v !== 'OSI Approved');
  return fromClassifiers.length ? [...new Set(fromClassifiers)].join(' AND ') : undefined;
}

/** Core metadata text → a package, or null without Name and Version. */
export function parsePythonMetadata(path: string, content: Buffer | string): FoundPackage | null {
  const h = parseMetadataHeaders(typeof content === 'string' ? content : metadataText(content));
  const name = stringField(h.find(([n]) => n === 'name')?.[1], 256);
  const version = stringField(h.find(([n]) => n === 'version')?.[1], 128);
  if (!name || !version) return null;
  const pkg: FoundPackage = { type: 'pypi', name, version, foundIn: path };
  const license = licenseOf(h);
  if (license) pkg.license = license;
  return pkg;
}

/** EGG-INFO/PKG-INFO of a zipped egg, read from memory with entry-count and size caps. */
export async function eggPkgInfo(path: string, zipBytes: Buffer): Promise<Buffer | null> {
  let zip: yauzl.ZipFile;
  try {
    zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.fromBuffer(zipBytes, { lazyEntries: true, validateEntrySizes: true, decodeStrings: true, strictFileNames: false }, (err, z) => (err ? reject(err) : resolve(z!))));
  } catch (e: any) {
    throw new CustomsError('corrupt', `${path}: not a readable egg (zip): ${e.message}`);
  }
  try {
    for (let n = 0; n < MAX_EGG_ENTRIES; n++) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        const done = () => { zip.off('entry', onEntry); zip.off('end', onEnd); zip.off('error', onError); };
        const onEntry = (e: yauzl.Entry) => { done(); resolve(e); };
        const onEnd = () => { done(); resolve(null); };
        const onError = (err: Error) => { done(); reject(new CustomsError('corrupt', `${path}: ${err.message}`)); };
        zip.on('entry', onEntry); zip.on('end', onEnd); zip.on('error', onError);
        zip.readEntry();
      });
      if (!entry) return null;
      if (entry.fileName !== 'EGG-INFO/PKG-INFO') continue;
      if (entry.uncompressedSize > MAX_PKG_INFO) throw new CustomsError('limit', `${path}: EGG-INFO/PKG-INFO of ${entry.uncompressedSize} bytes is over ${MAX_PKG_INFO}`);
      const stream = await zip.openReadStreamPromise(entry);
      const parts: Buffer[] = [];
      let got = 0;
      for await (const c of stream) {
        got += (c as Buffer).length;
        if (got > MAX_PKG_INFO) { stream.destroy(); throw new CustomsError('limit', `${path}: EGG-INFO/PKG-INFO is over ${MAX_PKG_INFO} bytes`); }
        parts.push(c as Buffer);
      }
      return Buffer.concat(parts, got);
    }
    throw new CustomsError('limit', `${path}: more than ${MAX_EGG_ENTRIES} zip entries before EGG-INFO/PKG-INFO`);
  } catch (e: any) {
    if (e instanceof CustomsError) throw e;
    throw new CustomsError('corrupt', `${path}: ${e.message}`);
  } finally {
    zip.close();
  }
}

/** A metadata file, or a zipped egg whose EGG-INFO/PKG-INFO is read. */
async function parsePythonFile(path: string, content: Buffer): Promise<FoundPackage | null> {
  if (!path.endsWith('.egg')) return parsePythonMetadata(path, content);
  // a zipped egg starts with a local file header "PK\x03\x04" (an unzipped one is a directory)
  if (content.length < 4 || content.readUInt32LE(0) !== 0x04034b50) return null;
  const meta = await eggPkgInfo(path, content);
  return meta && parsePythonMetadata(path, meta);
}

export const pythonAnalyzer = packageFileAnalyzer('python', 1, isPythonMetadataPath, parsePythonFile);
