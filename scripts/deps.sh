#!/bin/sh
# Installs the Debian packages mod_ticket needs, when some are missing.
# Quiet and quick when everything is there.
#   scripts/deps.sh build   what building and installing the module needs
#   scripts/deps.sh         also what `make run` needs
#   scripts/deps.sh test    and what `make test` needs besides
#   scripts/deps.sh bench   and wrk, for `make bench`
#   scripts/deps.sh fuzz    clang and its libFuzzer, for `make fuzz`
set -eu
PKGS="apache2-dev libaprutil1-dbd-pgsql libjson-c-dev libpq-dev libssl-dev"
if [ "${1:-all}" != build ]; then
    PKGS="$PKGS apache2 libcmocka-dev libcurl4-openssl-dev postgresql"
fi
if [ "${1:-all}" = test ]; then
    # the tests also run the module on a driver that is not pgsql
    PKGS="$PKGS libaprutil1-dbd-sqlite3"
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
[ -z "$missing" ] && exit 0
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
