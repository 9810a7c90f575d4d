// tar-stream's extractor with PAX headers read strictly (./pax.ts). tar-stream decodes PAX records
// leniently: a record whose length field overruns takes the records after it into its value, so an
// entry's name silently becomes garbage. Its extractor passes an error thrown while decoding a long
// header on as a stream error, so checking the records first (then letting tar-stream decode the
// same, now well-formed, bytes) is all it takes. This overrides one internal method of tar-stream 3;
// the check below makes a tar-stream without it fail loudly at start rather than go lenient again.
import * as tar from 'tar-stream';
import { parsePaxRecords } from './pax.ts';

interface ExtractInternals {
  _header: { type?: string } | null;
  _decodeLongHeader(buf: Buffer): void;
}

const Extract = tar.extract().constructor as unknown as new () => tar.Extract;
const decodeLongHeader = (Extract.prototype as Partial<ExtractInternals>)._decodeLongHeader;
if (typeof decodeLongHeader !== 'function') {
  throw new Error('tar-stream no longer has Extract#_decodeLongHeader: PAX headers cannot be checked (src/image/tar-extract.ts)');
}

class StrictPaxExtract extends Extract {
  _decodeLongHeader(buf: Buffer): void {
    const self = this as unknown as ExtractInternals;
    const type = self._header?.type;
    // a plain Error: the walker reports stream errors as "<layer>: corrupt tar (<message>)"
    if (type === 'pax-header' || type === 'pax-global-header') {
      try { parsePaxRecords(buf); } catch (e) { throw new Error((e as Error).message); }
    }
    decodeLongHeader!.call(self, buf);
  }
}

/** A tar-stream extractor that fails with 'malformed PAX header: …' on a bad PAX record. */
export function strictTarExtract(): tar.Extract {
  return new StrictPaxExtract();
}
