#!/bin/sh
# Browser tests of the waiting-room and booking page (web/, served at
# /ui/): a throw-away PostgreSQL cluster as scripts/itest.sh makes one,
# with a template database holding `make run`'s demo data (50 users, the
# demo catalogue); then node's test runner runs tests/browser/*.test.js,
# which start an Apache with the built module per scenario (each on a
# database of its own, copied from the template, on a free port) and drive
# Debian's chromium with playwright-core (installed into
# tests/browser/node_modules by npm ci from the committed lock file).
# Screenshots of each step go to build/screenshots/.
# Usage: scripts/browser-test.sh [test file…] (make browser does this)
set -eu
. "$(dirname "$0")/lib.sh"

command -v node >/dev/null || die "browser tests need node (scripts/deps.sh test installs it)"
[ -x /usr/bin/chromium ] || die "browser tests need Debian's chromium (scripts/deps.sh test installs it)"
[ -f "$TK_ROOT/mod_ticket/.libs/mod_ticket.so" ] || die "build the module first (make module)"

# playwright-core, as the lock file pins it (no browser download: it
# drives /usr/bin/chromium)
B=$TK_ROOT/tests/browser
want=$(node -p 'require(process.argv[1]).packages["node_modules/playwright-core"].version' \
       "$B/package-lock.json")
have=$(node -p 'require(process.argv[1]).version' \
       "$B/node_modules/playwright-core/package.json" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
    echo "== npm ci in tests/browser (playwright-core $want)"
    (cd "$B" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi

TMP=$(mktemp -d /tmp/mod_ticket-browser.XXXXXX)
chmod 755 "$TMP"                        # postgres and www-data reach it
PGDATA=$TMP/pg
PGPORT=$(tk_hash_port 10000 10000 "$TMP")

cleanup() {
    # (the tests stop their Apaches; one left by a killed run goes here)
    for pid in "$TMP"/site-*/httpd.pid; do
        [ -f "$pid" ] && kill -TERM "$(cat "$pid")" 2>/dev/null || true
    done
    pg_stop "$PGDATA"
    if [ "${failed:-1}" = 0 ]; then rm -rf "$TMP"; else echo "kept for inspection: $TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

export PGPASSFILE=$TMP/pgpass PGHOST=$TMP/sock
pg_init "$PGDATA" "$PGPORT" test
pg_start "$PGDATA"
db_create "$PGPORT" ticket_template >/dev/null
migrate "$PGPORT" ticket_template >/dev/null
psql_owner "$PGPORT" ticket_template -v users=50 -v runtime="$TK_RUNTIME" \
    -f "$TK_ROOT/sql/demo/seed.sql" >/dev/null
"$TK_ROOT/scripts/demo-catalogue.sh" > "$TMP/catalogue.json"
"$TK_ROOT/scripts/catalogue.sh" "host=$PGHOST port=$PGPORT dbname=ticket_template user=postgres" \
    "$TMP/catalogue.json" >/dev/null

# the page as Apache's children can read it wherever the checkout is
cp -R "$TK_ROOT/web" "$TMP/web"
chmod -R a+rX "$TMP/web"

export TK_ROOT TK_TMP=$TMP TK_PGPORT=$PGPORT TK_WEB=$TMP/web
export TK_MODULE=$TK_ROOT/mod_ticket/.libs/mod_ticket.so
export TK_DBD_PASSWORD=$(role_password "$TK_RUNTIME")
export TK_SCREENSHOTS=$TK_ROOT/build/screenshots
mkdir -p "$TK_SCREENSHOTS"

failed=1
if [ $# -eq 0 ]; then set -- "$B"/*.test.js; fi
start=$(date +%s)
if node --test --test-concurrency=1 "$@"; then failed=0; fi
echo "browser: $(( $(date +%s) - start )) s; screenshots in $TK_SCREENSHOTS"
[ "$failed" = 0 ]
