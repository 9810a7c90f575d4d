// The two metadata files of a Java archive that name what it is: META-INF/MANIFEST.MF (RFC 822-like
// "Name: value" headers, 72-byte lines continued by a leading space) and Maven's pom.properties
// (java.util.Properties text: key=value or key:value, # and ! comments).

/** Main section of a manifest (up to the first blank line); later sections describe entries. */
export function parseManifest(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (raw === '') break;
    if (raw.startsWith(' ')) {
      if (last) out[last] += raw.slice(1);
      continue;
    }
    const i = raw.indexOf(':');
    if (i <= 0) { last = undefined; continue; }
    last = raw.slice(0, i).trim();
    out[last] = raw.slice(i + 1).trimStart();
  }
  return out;
}

/** java.util.Properties, enough of it for pom.properties: no unicode escapes beyond \uXXXX. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trimStart();
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    // a line ending in an odd number of backslashes continues on the next
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.trimStart();
    const m = /^((?:\\.|[^=:\s\\])*)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = unescape(m ? m[1]! : line), value = m ? unescape(m[2]!) : '';
    if (!(key in out)) out[key] = value.trimEnd();
  }
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => (c.length === 5 ? String.fromCharCode(parseInt(c.slice(1), 16)) : c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c));
}

export interface MavenCoordinates { groupId?: string; artifactId: string; version: string }

/** groupId/artifactId/version of a pom.properties, when all are there. */
export function pomCoordinates(props: Record<string, string>): MavenCoordinates | null {
  const { groupId, artifactId, version } = props;
  if (!artifactId || !version) return null;
  return groupId ? { groupId, artifactId, version } : { artifactId, version };
}

/** "guava-31.1-jre.jar" -> guava / 31.1-jre: the artifact is everything before the first "-digit". */
export function fileNameCoordinates(fileName: string): MavenCoordinates | null {
  const base = fileName.replace(/^.*\//, '').replace(/\.(jar|war|ear|par|jpi|hpi)$/i, '');
  const m = /^(.+?)-(\d[^/]*)$/.exec(base);
  return m ? { artifactId: m[1]!, version: m[2]! } : null;
}

const ID = /^[A-Za-z0-9_.-]+$/;

/**
 * Coordinates from a manifest, for archives without pom.properties (as Syft does, simplified): the
 * artifact from the file name, else an id-like Implementation-Title / Bundle-Name; the group from
 * Implementation-Vendor-Id or the bundle's symbolic name; the version from Implementation-Version or
 * Bundle-Version, else the file name.
 */
export function manifestCoordinates(m: Record<string, string>, fileName: string): MavenCoordinates | null {
  const fromFile = fileNameCoordinates(fileName);
  const title = [m['Implementation-Title'], m['Bundle-Name']].find((t) => t && ID.test(t));
  const artifactId = fromFile?.artifactId ?? title;
  const version = m['Implementation-Version'] ?? m['Bundle-Version'] ?? fromFile?.version;
  if (!artifactId || !version) return null;
  const bsn = m['Bundle-SymbolicName']?.split(';')[0]!.trim();
  let groupId = m['Implementation-Vendor-Id'];
  if (!groupId && bsn && ID.test(bsn)) groupId = bsn.endsWith(`.${artifactId}`) ? bsn.slice(0, -artifactId.length - 1) : bsn;
  return groupId && ID.test(groupId) ? { groupId, artifactId, version } : { artifactId, version };
}
