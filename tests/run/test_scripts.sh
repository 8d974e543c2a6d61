#!/bin/sh
# test_scripts.sh: the scripts' safety pieces on their own (as root):
# root_dir refuses a planted link, someone else's folder, a folder others
# may write, a file; deps.sh removes its policy-rc.d also when apt-get
# fails; new_secret leaves the caller's umask alone.
set -u
TK_CHECKOUT=$(cd "$(dirname "$0")/../.." && pwd)
. "$TK_CHECKOUT/scripts/lib.sh"
passed=0 failed=0

check() {   # check WHAT COMMAND...
    what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok: $what"
    else failed=$((failed + 1)); echo "FAILED: $what"; fi
}
refused() { ! ( root_dir "$1" ) 2>/dev/null; }

T=$(mktemp -d /tmp/mod_ticket-scripts.XXXXXX)
trap 'rm -rf "$T"' EXIT

check "root_dir makes a missing folder, 0755, ours" \
    sh -c "( TK_CHECKOUT='$TK_ROOT' . '$TK_ROOT/scripts/lib.sh'; root_dir '$T/new' ) && test \"\$(stat -c '%a %u' '$T/new')\" = '755 $(id -u)'"
check "root_dir takes it again" sh -c "( TK_CHECKOUT='$TK_ROOT' . '$TK_ROOT/scripts/lib.sh'; root_dir '$T/new' )"
mkdir "$T/target" && chmod 700 "$T/target"
ln -s "$T/target" "$T/link"
check "root_dir refuses a planted link" refused "$T/link"
check "… and leaves its target alone" test "$(stat -c %a "$T/target")" = 700
mkdir "$T/theirs" && chown nobody "$T/theirs"
check "root_dir refuses someone else's folder" refused "$T/theirs"
mkdir "$T/open" && chmod 777 "$T/open"
check "root_dir refuses a folder others may write" refused "$T/open"
: > "$T/file"
check "root_dir refuses a file" refused "$T/file"

# deps.sh with an apt-get whose install fails (and a dpkg that has nothing)
mkdir "$T/bin"
printf '#!/bin/sh\nexit 1\n' > "$T/bin/dpkg-query"
cat > "$T/bin/apt-get" <<SH
#!/bin/sh
[ "\$1" = update ] && exit 0
[ -x "$T/policy-rc.d" ] && touch "$T/policy-was-there"
exit 100
SH
chmod +x "$T/bin/dpkg-query" "$T/bin/apt-get"
check "deps.sh fails when apt-get does" \
    sh -c "! PATH='$T/bin':\$PATH TK_POLICY_RC='$T/policy-rc.d' '$TK_ROOT/scripts/deps.sh' >/dev/null 2>&1"
check "… its policy-rc.d was in place during the install" test -e "$T/policy-was-there"
check "… and is gone after it" test ! -e "$T/policy-rc.d"

check "new_secret: a 0600 secret, and the caller's umask unchanged" \
    sh -c "umask 022; TK_CHECKOUT='$TK_ROOT' . '$TK_ROOT/scripts/lib.sh'; new_secret '$T/secret'; test \"\$(umask)\" = 0022 && test \"\$(stat -c %a '$T/secret')\" = 600 && test \$(wc -c < '$T/secret') = 65"

# make run's knobs become their directives, and a value is one plain word
conf_with() {   # conf_with VAR=VALUE...: the configuration make run writes
    env STATE=/s RUNDIR=/r LOGDIR=/l PORT=1 MODULE=/m DBDPARAMS=x "$@" \
        "$TK_ROOT/scripts/httpd-conf.sh"
}
conf_with QUEUE=Paused ADMIT_RATE=60 CLAIM_TIMEOUT=3 LOOKUP_CACHE_MS=0 \
    SALE_START=2026-12-24T20:00:00+09:00 > "$T/knobs.conf" 2>&1
for line in "TicketQueue Paused" "TicketAdmitRate 60" "TicketClaimTimeout 3" \
            "TicketLookupCacheMs 0" "TicketSaleStart 2026-12-24T20:00:00+09:00"; do
    check "make run's knobs: $line" grep -qx "$line" "$T/knobs.conf"
done
conf_with SALE_START='2026 Include /etc/x' > "$T/bad.conf" 2>&1 && echo exit 0 >> "$T/bad.conf"
check "a knob's value with a space is refused" \
    sh -c "grep -q 'SALE_START=.* is not a plain value' '$T/bad.conf' && ! grep -q '^exit 0' '$T/bad.conf'"

echo "scripts: $passed passed, $failed failed"
[ "$failed" = 0 ]
