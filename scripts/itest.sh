#!/bin/sh
# Integration tests: a throw-away PostgreSQL cluster (as the postgres
# user, loopback, its own port) with the migrated schema as a template
# database; each test binary starts its own Apache processes with the built
# module. By default the module under test is the ASan+UBSan build.
# Usage: scripts/itest.sh build/itest/test_* (make itest does this)
set -eu
. "$(dirname "$0")/lib.sh"

TMP=$(mktemp -d /tmp/mod_ticket-itest.XXXXXX)
chmod 755 "$TMP"                        # postgres and www-data reach it
PGDATA=$TMP/pg
PGPORT=$(tk_hash_port 10000 10000 "$TMP")   # below the ephemeral ports

cleanup() {
    # what a suite that failed or died left running: its Apaches (by the
    # pid in their folder, which Apache writes as root; only an apache2 is
    # signalled), the failover drill's clusters
    for pidfile in "$TMP"/httpd-*/httpd.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile" 2>/dev/null) || continue
        case "$pid" in ""|*[!0-9]*) continue ;; esac
        if [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = apache2 ]; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
    done
    "$TK_ROOT/scripts/failover-clusters.sh" halt "$TMP/failover" || true
    pgb_stop "$TMP/pgbouncer"
    pg_stop "$PGDATA"
    if [ "${failed:-1}" = 0 ]; then rm -rf "$TMP"; else echo "kept for inspection: $TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP          # (dash runs EXIT's trap on exit only)

export PGPASSFILE=$TMP/pgpass PGHOST=$TMP/sock   # the harness's libpq reads them too
pg_init "$PGDATA" "$PGPORT" test
pg_start "$PGDATA"
db_create "$PGPORT" ticket_template >/dev/null
migrate "$PGPORT" ticket_template >/dev/null

# PgBouncer in transaction pooling in front of the cluster: the race
# suites run a second time through it, and the three-host suite always
TK_PGB_PORT=$(tk_hash_port 30000 10000 "$TMP")
pgb_start "$TMP/pgbouncer" "$TK_PGB_PORT" "$PGPORT"
export TK_PGB_PORT

export TK_PGPORT=$PGPORT TK_PGDATA=$PGDATA TK_PG_BIN=$PG_BIN TK_TMP=$TMP TK_ROOT=$TK_ROOT
export TK_DBD_PASSWORD=$(role_password "$TK_RUNTIME")
# promtool, as scripts/deps.sh test unpacked it
export TK_PROMTOOL=$TK_ROOT/build/tools/prometheus/usr/bin/promtool
if [ "${TK_SANITIZE:-1}" = 1 ] && [ -f "$TK_ROOT/build/asan/mod_ticket.so" ]; then
    export TK_MODULE=$TK_ROOT/build/asan/mod_ticket.so
    export TK_HTTPD_PRELOAD=$(gcc -print-file-name=libasan.so)
    # APR pools look like leaks at exit; reports go to files we check below
    export ASAN_OPTIONS="detect_leaks=0:log_path=$TMP/asan"
    export UBSAN_OPTIONS="print_stacktrace=1:log_path=$TMP/ubsan"
    echo "== module under test: ASan+UBSan build"
else
    export TK_MODULE=$TK_ROOT/mod_ticket/.libs/mod_ticket.so
fi

failed=0
passed=0
# run_suite TEST [pooled]: cmocka's exit status leaves out a failed group
# setup or teardown (where the suites check their error logs): its
# "[  ERROR   ]" lines count too
run_suite() {
    echo "== $1${2:+ (through PgBouncer, transaction pooling)}"
    if env TK_VIA_POOLER=${2:+1} "$1" > "$TMP/out.txt" 2>&1 \
        && ! grep -q '^\[  ERROR   \]' "$TMP/out.txt"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
    cat "$TMP/out.txt"
}
for t in "$@"; do
    run_suite "$t"
done
# the races of queue, holds and payments again, each Apache through PgBouncer
for t in "$@"; do
    case "${t##*/}" in
        test_queue|test_holds|test_payments) run_suite "$t" pooled ;;
    esac
done
for report in "$TMP"/asan.* "$TMP"/ubsan.*; do
    [ -e "$report" ] || continue
    echo "== sanitizer report $report:"; cat "$report"
    failed=$((failed + 1))
done
echo "integration: $passed passed, $failed failed"
[ "$failed" = 0 ]
