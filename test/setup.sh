#!/usr/bin/env bash
# Installs what the tests and benchmarks need when it is missing; never skips.
# Debian's docker-registry (CNCF distribution 2.8) and skopeo; openssl for the token-auth test server;
# apache2-utils (htpasswd) for the basic-auth registry.
set -euo pipefail
missing=()
for cmd in docker-registry skopeo openssl zstd htpasswd rpm ssh-keygen dockerd; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
# Go test binaries are built with Debian's Go from its golang-*-dev sources (test/fixtures/go/build.sh)
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/github.com/google/uuid ] || [ ! -d /usr/share/gocode/src/github.com/pkg/errors ]; then
  missing+=(go)
fi
# the Rust test binary is built with cargo from crates vendored by Debian (test/fixtures/rust/build.sh)
if ! command -v cargo >/dev/null 2>&1 || ! command -v objcopy >/dev/null 2>&1 || [ ! -d /usr/share/cargo/registry/itoa-1.0.1 ] || [ ! -d /usr/share/cargo/registry/adler-1.0.2 ]; then
  missing+=(rust)
fi
# Java archive tests read Debian's jars and assemble new ones with the JDK's jar tool
if ! command -v jar >/dev/null 2>&1 || ! command -v unzip >/dev/null 2>&1 || [ ! -f /usr/share/java/guava-31.1-jre.jar ] || [ ! -f /usr/share/java/wagon-http-shaded-3.5.3.jar ]; then
  missing+=(java)
fi
# language analyzer tests read Debian python3-requests' egg-info and dpkg list, and ruby's gemspecs
[ -f /var/lib/dpkg/info/python3-requests.list ] || missing+=(python3-requests)
command -v ruby >/dev/null 2>&1 || missing+=(ruby)
# the console's browser tests drive Debian's Chromium (puppeteer-core; no browser download)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# the store tests and the replica tests run against a private PostgreSQL cluster (test/global-postgres.ts)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# the benchmark measures peak RSS with GNU time
if [ "${1:-}" = bench ] && [ ! -x /usr/bin/time ]; then missing+=(time); fi
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=()
  for cmd in "${missing[@]}"; do
    case "$cmd" in
      docker-registry) pkgs+=(docker-registry) ;;
      skopeo) pkgs+=(skopeo) ;;
      dockerd) pkgs+=(docker.io) ;; # docker-daemon: scans against a private engine (vfs storage, own socket)
      openssl) pkgs+=(openssl) ;;
      ssh-keygen) pkgs+=(openssh-client) ;; # Go's DSSE key id (SSH fingerprint) in the attestation consumer tests
      zstd) pkgs+=(zstd) ;;
      time) pkgs+=(time) ;;
      chromium) pkgs+=(chromium) ;;
      postgresql) pkgs+=(postgresql) ;;
      python3-requests) pkgs+=(python3-requests) ;;
      ruby) pkgs+=(ruby) ;;
      htpasswd) pkgs+=(apache2-utils) ;; # bcrypt htpasswd files for the basic-auth registry tests
      go) pkgs+=(golang-go golang-github-google-uuid-dev golang-github-pkg-errors-dev) ;;
      rust) pkgs+=(cargo binutils librust-itoa-dev librust-adler-dev) ;;
      java) pkgs+=(default-jdk-headless unzip libguava-java libcommons-io-java libcommons-lang3-java libguice-java libaopalliance-java libwagon-http-shaded-java) ;;
      rpm) pkgs+=(rpm) ;; # rpm -qa is the ground truth of the RPM database tests
    esac
  done
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test/setup.sh: installing ${pkgs[*]} with apt-get" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "test/setup.sh: missing ${missing[*]}. Install the Debian packages: sudo apt-get install ${pkgs[*]}" >&2
    exit 1
  fi
fi
if [ ! -x node_modules/.bin/node ] || ! node_modules/.bin/node --version | grep -q '^v24\.'; then
  echo "test/setup.sh: node_modules/.bin/node is not Node 24; run 'npm ci' first" >&2
  exit 1
fi
