#!/usr/bin/env bash
# Rebuilds the PyPI, Maven, RubyGems and Packagist version-order vectors in this folder from the
# ecosystems' reference implementations, run locally:
#   PyPI      Debian python3-packaging (packaging.version.Version); versions that are not PEP 440 are
#             ordered like packaging < 22's LegacyVersion (what osv.dev uses via packaging_legacy):
#             before every valid version, among themselves by the legacy key (ported below).
#   Maven     org.apache.maven.artifact.versioning.ComparableVersion from /usr/share/maven/lib/maven-artifact*.jar
#   RubyGems  Debian ruby: Gem::Version.new(a) <=> Gem::Version.new(b); "error" when either is malformed
#   Packagist Debian php-composer-semver: VersionParser::normalize (+ normalizeDefaultBranch) then
#             Comparator, like Composer\Semver\Semver::sort; "error" when normalize throws or two
#             versions are not comparable (dev- branches)
# NuGet.tsv is hand-copied from NuGet.Client's tests (see its header) and is not generated here.
#
# Version strings are real ones: every version in the OSV PyPI advisories (versions arrays and
# ECOSYSTEM range events) of $OSV_PYPI, every Maven version in ~/.m2/repository and /usr/share/maven-repo,
# installed gem versions, Debian php-* package upstream versions, plus hand-written tricky cases.
# Pairs: neighbours in `sort -V` order, each version against a fixed pseudo-random partner, and all
# pairs of the hand cases. Output rows: a<TAB>b<TAB>expected (-1, 0, 1 or error) after one header line.
#
# Needs (Debian): python3-packaging ruby php-cli php-composer-semver maven default-jdk-headless
# Usage: bash test/data/versions/generate-part2.sh   (from the project root; OSV_PYPI=... to override)
set -euo pipefail
cd "$(dirname "$0")/../../.."
OUT=test/data/versions
OSV_PYPI=${OSV_PYPI:-../shared/data/osv/PyPI-2024-10}
MAVEN_JAR=$(ls /usr/share/maven/lib/maven-artifact*.jar | head -1)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# deterministic pseudo-random bytes for shuf
seeded() { openssl enc -aes-256-ctr -pass "pass:$1" -nosalt -pbkdf2 </dev/zero 2>/dev/null; }

# pairs LIST HAND > pairs: sorted neighbours, random partners, and all hand-case pairs (no tabs/newlines)
pairs() {
  local list=$1 hand=$2
  grep -v $'\t' "$list" | grep -v '^$' | sort -u | sort -V > "$TMP/sorted"
  paste "$TMP/sorted" <(tail -n +2 "$TMP/sorted") | awk -F'\t' 'NF==2 && $2!=""'
  paste "$TMP/sorted" <(shuf --random-source=<(seeded "$list") "$TMP/sorted")
  awk '{h[NR]=$0} END {for (i=1;i<=NR;i++) for (j=1;j<=NR;j++) print h[i] "\t" h[j]}' "$hand"
}

# ---------- version strings
node_modules/.bin/node -e '
const fs = require("fs"), path = require("path"), YAML = require("yaml");
const root = process.argv[1], out = new Set();
for (const d of fs.readdirSync(root).sort()) {
  const p = path.join(root, d);
  if (!fs.statSync(p).isDirectory()) continue;
  for (const f of fs.readdirSync(p).sort()) {
    if (!f.endsWith(".yaml")) continue;
    const doc = YAML.parse(fs.readFileSync(path.join(p, f), "utf8"));
    for (const a of doc.affected ?? []) {
      for (const v of a.versions ?? []) out.add(String(v));
      for (const r of a.ranges ?? []) if (r.type === "ECOSYSTEM")
        for (const e of r.events ?? []) for (const k of ["introduced", "fixed", "last_affected"])
          if (e[k] !== undefined) out.add(String(e[k]));
    }
  }
}
process.stdout.write([...out].join("\n") + "\n");' "$OSV_PYPI" > "$TMP/pypi-real"
find ~/.m2/repository /usr/share/maven-repo -name '*.pom' 2>/dev/null | awk -F/ '{print $(NF-1)}' | sort -u > "$TMP/maven-real"
{ gem list --local 2>/dev/null | sed -n 's/^[^ ]* (\(.*\))$/\1/p' | tr ',' '\n' | sed 's/^ *//; s/^default: //'
  ls /usr/share/rubygems-integration/all/specifications /usr/lib/ruby/gems/*/specifications 2>/dev/null \
    | sed -n 's/^.*-\([0-9][^-]*\)\.gemspec$/\1/p'; } | sort -u > "$TMP/gem-real"
dpkg-query -W -f '${Version}\n' 'php*' 'composer' 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//; s/[+~].*$//' | sort -u > "$TMP/php-real"

cat > "$TMP/pypi-hand" <<'EOF'
1.0.dev456
1.0a1
1.0a2.dev456
1.0a12.dev456
1.0a12
1.0b1.dev456
1.0b2
1.0b2.post345.dev456
1.0b2.post345
1.0b2-346
1.0c1.dev456
1.0c1
1.0rc2
1.0c3
1.0
1.0.post456.dev34
1.0.post456
1.1.dev1
1!0.5
0!1.0
1.0+abc.5
1.0+abc.7
1.0+5
1.0+ubuntu-1
1.0+ubuntu_1
1.0+1.0
1.0+ABC
1.0+abc
1.0+0
1.0+00
1.0+a.01
v1.0
V1.0
1.0.0
1.00
01.0
1.0-1
1.0-post1
1.0.POST1
1.0post
1.0-r1
1.0rev1
1.0alpha1
1.0-preview1
1.0pre1
1.0.a1
1.0_a1
1.0-dev
1.0dev
1.0DEV
 1.0 
1.0.0.0.0
1.0a
1.0-final
2.0.0-final
0.7.10p1
1.0-foo
foo
trunk
2013-01-21T20:33:09+0100
1.0.0-n653
0.3m1
EOF
cat > "$TMP/maven-hand" <<'EOF'
1-alpha2snapshot
1-alpha2
1-alpha-123
1-beta-2
1-beta123
1-m2
1-m11
1-rc
1-cr2
1-rc123
1-SNAPSHOT
1
1-sp
1-sp2
1-sp123
1-abc
1-def
1-pom-1
1-1-snapshot
1-1
1-2
1-123
2.0
2-1
2.0.a
2.0.0.a
2.0.2
2.0.123
2.1.0
2.1-a
2.1b
2.1-c
2.1-1
2.1.0.1
2.2
2.123
11.a2
11.a11
11.b2
11.b11
11.m2
11.m11
11
11.a
11b
11c
11m
1.0
1.0.0
1-0
1.0-0
1a
1.a
1-a
1.0-a
1.0.0-a
1.0a
1.0.a
1x
1.x
1-x
1ga
1final
1release
1.0.RELEASE
1cr
1rc
1a1
1alpha1
1b2
1beta2
1m3
1milestone3
1X
1GA
1FinaL
1Cr
1MileStone3
1.0-alpha-1
1.0-beta-1
1.0-SNAPSHOT
1.0-alpha-1-SNAPSHOT
1.0-1
2.0-1
2.0.1
2.0.1-klm
2.0.1-lmn
2.0.1-xyz
2.0.1-123
1.0.0.RC1
1.0.0-RC1
1.0.0.alpha1
1.0.0-alpha.1
1-0.alpha
1-0.1
1-0-alpha
1.0.0.-1
-1
.1
1..1
1--1
6.1.0rc3
6.1.0
6.1H.5-beta
6.1.0-RC3
20190126.230843
1234567890.12345678901234567890
2147483648
9223372036854775808
1-ABCDEFGHIJKLMNOPQRSTUVWXYZ
1-abcdefghijklmnopqrstuvwxyz
1.0-ga
1.0-sp1
1.0-final-1
1.0.0-snapshot
1.0-20231201.123456-1
33.2.1-jre
33.2.1-android
5.3.31
1.2.3.Final
1.2.3.GA
1.2.3.CR1
1.2.3.Beta2
EOF
cat > "$TMP/gem-hand" <<'EOF'
1.0
1.0.0
1
1.0.a
1.0.a1
1.0.a.1
1.0.0.pre.1
1.0.0.pre
1.0.0-pre
1.0.0-rc1
1.0.0.rc1
1.0.0.rc.1
1.0.0.rc.2
1.0.0.beta
1.0.0.alpha
1.0.b1
1.0.B1
1.A
1.a
1.0.0.0.1
1.9.3
1.10.0
0.0.1
01.0
1.0.01
1.0-1
1.0.0.1-pre
2.0.0.dev
5.2.4.3
5.2.4.rc1
3.0.0.beta.2
 1.0 
1.0 
junk
1..0
1.0.
.1
-1
1.0_rc1
1.0+build
1 0
EOF
cat > "$TMP/php-hand" <<'EOF'
1.0.0
1.0
1
v1.0.0
V1.0.0
1.0.0.0
1.0.0-dev
1.0.x-dev
1.x-dev
dev-master
dev-main
dev-feature/foo
master
trunk
1.0.0-alpha
1.0.0-alpha1
1.0.0-alpha.1
1.0.0-a2
1.0.0alpha3
1.0.0-beta
1.0.0-beta2
1.0.0-b3
1.0.0-BETA4
1.0.0-RC1
1.0.0-rc2
1.0.0-rc
1.0.0-stable
1.0.0-patch1
1.0.0-pl2
1.0.0-p3
1.0.0-patch1-dev
1.0.0-beta2-dev
1.0.0+build.1
1.0.0-alpha+001
2010-01-02
20100102
2010.01.02
2010-01-02.5
201001021230
1.2.3.4
1.2.3.4.5
10.4.13beta2
1.0.0-alpha.2.3
00.01.03
1.00.0
99999
100000
foo
1.0.0-foo
1.0.0@beta
1.0.0 as 2.0.0
EOF

# ---------- PyPI
{ cat "$TMP/pypi-real"; } > "$TMP/pypi-list"
pairs "$TMP/pypi-list" "$TMP/pypi-hand" > "$TMP/pypi-pairs"
/usr/bin/python3 - "$TMP/pypi-pairs" > "$OUT/PyPI.tsv" <<'PY'
import re, sys
import packaging
from packaging.version import Version, InvalidVersion

# packaging 21.3 LegacyVersion key (BSD-2-Clause / Apache-2.0, (c) Donald Stufft and contributors)
_legacy_re = re.compile(r"(\d+ | [a-z]+ | \.| -)", re.VERBOSE)
_legacy_map = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}
def _parts(s):
    for part in _legacy_re.split(s):
        part = _legacy_map.get(part, part)
        if not part or part == ".":
            continue
        if part[:1] in "0123456789":
            yield part.zfill(8)
        else:
            yield "*" + part
    yield "*final"
def legacy_key(v):
    parts = []
    for part in _parts(v.lower()):
        if part.startswith("*"):
            if part < "*final":
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":
                parts.pop()
        parts.append(part)
    return tuple(parts)

def cmp(a, b):
    try: va = Version(a)
    except InvalidVersion: va = None
    try: vb = Version(b)
    except InvalidVersion: vb = None
    if va is None and vb is None:
        ka, kb = legacy_key(a), legacy_key(b)
    elif va is None: return -1
    elif vb is None: return 1
    else: ka, kb = va, vb
    return (ka > kb) - (ka < kb)

print(f"# PyPI: packaging.version.Version {packaging.__version__} (Debian python3-packaging); non-PEP 440 strings ordered by packaging 21.3 LegacyVersion rules (before all valid versions). Generated by generate-part2.sh")
for line in open(sys.argv[1], encoding="utf-8"):
    a, b = line.rstrip("\n").split("\t")
    print(f"{a}\t{b}\t{cmp(a, b)}")
PY

# ---------- Maven
cat > "$TMP/MavenCmp.java" <<'EOF'
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenCmp {
  public static void main(String[] args) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "UTF-8");
    String line;
    while ((line = r.readLine()) != null) {
      String[] p = line.split("\t", -1);
      int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
      out.println(p[0] + "\t" + p[1] + "\t" + Integer.signum(c));
    }
    out.flush();
  }
}
EOF
javac -d "$TMP" -cp "$MAVEN_JAR" "$TMP/MavenCmp.java"
MVN_VER=$(unzip -p "$MAVEN_JAR" META-INF/MANIFEST.MF | sed -n 's/^Implementation-Version: *//p' | tr -d '\r')
cat "$TMP/maven-real" "$TMP/maven-hand" > "$TMP/maven-list"
pairs "$TMP/maven-list" "$TMP/maven-hand" > "$TMP/maven-pairs"
{ echo "# Maven: org.apache.maven.artifact.versioning.ComparableVersion from maven-artifact $MVN_VER (Debian maven). Generated by generate-part2.sh"
  java -cp "$MAVEN_JAR:$TMP" MavenCmp < "$TMP/maven-pairs"; } > "$OUT/Maven.tsv"

# ---------- RubyGems (real gem versions, Maven versions and a sample of PyPI versions as extra real strings)
{ cat "$TMP/gem-real" "$TMP/maven-real"; shuf -n 3000 --random-source=<(seeded gem) "$TMP/pypi-real"; } > "$TMP/gem-list"
pairs "$TMP/gem-list" "$TMP/gem-hand" > "$TMP/gem-pairs"
ruby -e '
  puts "# RubyGems: Gem::Version <=> from RubyGems #{Gem::VERSION} (Debian ruby #{RUBY_VERSION}); error = Gem::Version.new raises. Generated by generate-part2.sh"
  File.foreach(ARGV[0], chomp: true) do |line|
    a, b = line.split("\t", -1)
    r = begin
      (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
    rescue ArgumentError
      "error"
    end
    puts "#{a}\t#{b}\t#{r}"
  end' "$TMP/gem-pairs" > "$OUT/RubyGems.tsv"

# ---------- Packagist
{ cat "$TMP/php-real" "$TMP/maven-real"; shuf -n 3000 --random-source=<(seeded php) "$TMP/pypi-real"; } > "$TMP/php-list"
pairs "$TMP/php-list" "$TMP/php-hand" > "$TMP/php-pairs"
SEMVER_VERSION=$(dpkg-query -W -f '${Version}' php-composer-semver) php -r '
  require "/usr/share/php/Composer/Semver/autoload.php";
  use Composer\Semver\VersionParser; use Composer\Semver\Comparator;
  $p = new VersionParser();
  echo "# Packagist: Composer\\Semver VersionParser::normalize + normalizeDefaultBranch, then Comparator (as Semver::sort), PHP " . PHP_VERSION . ", composer/semver " . getenv("SEMVER_VERSION") . " (Debian); error = normalize throws or not comparable. Generated by generate-part2.sh\n";
  $n = function ($v) use ($p) { return $p->normalizeDefaultBranch($p->normalize($v)); };
  foreach (file($argv[1], FILE_IGNORE_NEW_LINES) as $line) {
    [$a, $b] = explode("\t", $line);
    try {
      $na = $n($a); $nb = $n($b);
      if ($na === $nb || Comparator::equalTo($na, $nb)) $r = "0";
      elseif (Comparator::lessThan($na, $nb)) $r = "-1";
      elseif (Comparator::greaterThan($na, $nb)) $r = "1";
      else $r = "error";
    } catch (UnexpectedValueException $e) { $r = "error"; }
    echo "$a\t$b\t$r\n";
  }' "$TMP/php-pairs" > "$OUT/Packagist.tsv"

wc -l -c "$OUT"/PyPI.tsv "$OUT"/Maven.tsv "$OUT"/RubyGems.tsv "$OUT"/Packagist.tsv >&2
