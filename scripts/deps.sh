#!/bin/sh
# Installs the Debian packages mod_ticket needs, when some are missing.
# Quiet and quick when everything is there.
#   scripts/deps.sh build   what building and installing the module needs
#   scripts/deps.sh         also what `make run` needs
#   scripts/deps.sh test    and what `make test` needs besides (chromium,
#                           fonts-nanum, node and npm for the page's tests,
#                           pgbouncer for the pooled races),
#                           and promtool, unpacked into build/tools (below)
#   scripts/deps.sh bench   and wrk, for `make bench`
#   scripts/deps.sh fuzz    clang and its libFuzzer, for `make fuzz`
set -eu
PKGS="apache2-dev libaprutil1-dbd-pgsql libjson-c-dev libpq-dev libssl-dev"
if [ "${1:-all}" != build ]; then
    PKGS="$PKGS apache2 libcmocka-dev libcurl4-openssl-dev postgresql"
fi
if [ "${1:-all}" = test ]; then
    # the tests also run the module on a driver that is not pgsql; the
    # page's tests drive Debian's chromium (with a Korean font: without one
    # Hangul renders as boxes) from node (make browser)
    PKGS="$PKGS libaprutil1-dbd-sqlite3 chromium fonts-nanum pgbouncer"
fi
# make run POOLER=pgbouncer, make bench POOLER=pgbouncer
if [ "${POOLER:-}" = pgbouncer ] && [ "${1:-all}" != build ]; then
    PKGS="$PKGS pgbouncer"
fi
if [ "${1:-all}" = fuzz ]; then
    PKGS="apache2-dev libjson-c-dev libssl-dev clang libclang-rt-14-dev"
fi
if [ "${1:-all}" = bench ]; then
    PKGS="$PKGS wrk"
fi
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
# node and npm: whichever the machine has (another packaging of Node.js
# brings its own npm); Debian's where there is none
if [ "${1:-all}" = test ]; then
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi

# promtool checks the metrics in the tests. It comes from Debian's
# prometheus package, downloaded and unpacked, not installed (that would
# add 35 packages, a user and a service): build/tools/prometheus/usr/bin.
PROMTOOL_DIR=$(cd "$(dirname "$0")/.." && pwd)/build/tools/prometheus
fetch_promtool() {
    [ -x "$PROMTOOL_DIR/usr/bin/promtool" ] && return 0
    echo "== unpacking promtool (Debian's prometheus) into $PROMTOOL_DIR"
    dl=$(mktemp -d)
    # apt downloads as its own user where that user may write
    chown _apt "$dl" 2>/dev/null || true
    # the package lists may be gone (images delete them): update once
    (cd "$dl" && apt-get download -qq prometheus >/dev/null 2>&1) \
        || { apt-get update -qq && (cd "$dl" && apt-get download -qq prometheus >/dev/null); } \
        || { rm -rf "$dl"; echo "cannot download Debian's prometheus package" >&2; exit 1; }
    rm -rf "$PROMTOOL_DIR" && mkdir -p "$PROMTOOL_DIR"
    dpkg-deb -x "$dl"/prometheus_*.deb "$PROMTOOL_DIR" || { rm -rf "$dl"; exit 1; }
    rm -rf "$dl"
    "$PROMTOOL_DIR/usr/bin/promtool" --version >/dev/null
}

if [ -z "$missing" ]; then
    [ "${1:-all}" != test ] || fetch_promtool
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "mod_ticket needs these Debian packages:$missing" >&2
    echo "install them as root: apt-get install$missing" >&2
    exit 1
fi
echo "== installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the stock apache2 service from starting on port 80;
# ours goes again whatever happens (a failed install included)
prc=${TK_POLICY_RC:-/usr/sbin/policy-rc.d}
if [ ! -e "$prc" ]; then
    trap 'rm -f "$prc"' EXIT
    trap 'exit 130' INT TERM HUP      # (dash runs EXIT's trap on exit only)
    printf '#!/bin/sh\nexit 101\n' > "$prc"
    chmod +x "$prc"
fi
apt-get install -y -qq --no-install-recommends $missing >/dev/null
[ "${1:-all}" != test ] || fetch_promtool
