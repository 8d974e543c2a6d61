#!/bin/sh
# scripts/migrate.sh 'CONNINFO' (make migrate DB='CONNINFO'): brings a
# database up to this checkout's schema, and says what it did.
#
#   - the migrations (sql/NNN_*.sql) it lacks, in order, each in one
#     transaction with its record in schema_migrations; the first that
#     fails stops everything (nothing of it stays) with a non-zero exit;
#   - then the functions (sql/functions/*.sql) and the module role's grants
#     (sql/grants.sql), in one transaction: code, applied every time.
# Safe to run again: an up-to-date database gets nothing but the functions.
#
# CONNINFO is a libpq connection string or URI (password from ~/.pgpass,
# PGPASSFILE or PGPASSWORD, never on the command line) for a superuser or a
# member of the owner role. Everything runs as the owner (SET ROLE):
#   OWNER    the role that owns the schema   [ticket_owner]
#   RUNTIME  the role the module connects as [ticket]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=${1:-}
OWNER=${OWNER:-ticket_owner}
RUNTIME=${RUNTIME:-ticket}

if [ -z "$DB" ]; then
    echo "usage: $0 'host=… dbname=… user=…'   (or: make migrate DB='…')" >&2
    exit 2
fi

# psql as the owner, quiet, stopping at the first error
own() {
    PGOPTIONS="-c client_min_messages=warning" \
        psql -X -q -w -v ON_ERROR_STOP=1 -d "$DB" -c "SET ROLE \"$OWNER\"" "$@"
}

if ! err=$(own -c "SELECT 1" 2>&1 >/dev/null); then
    echo "migrate: cannot work in the database as $OWNER: $err" >&2
    exit 1
fi
own -c "CREATE TABLE IF NOT EXISTS schema_migrations (
    version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
had=$(own -tA -c "SELECT string_agg(version, ' ' ORDER BY version) FROM schema_migrations")

applied=""
for f in "$ROOT"/sql/[0-9]*.sql; do
    v=$(basename "$f" .sql)
    case " $had " in *" $v "*) continue ;; esac
    if ! err=$(own -1 -f "$f" -c "INSERT INTO schema_migrations (version) VALUES ('$v')" 2>&1); then
        echo "migrate: $v failed, and nothing of it was applied:" >&2
        printf '%s\n' "$err" | sed 's/^/    /' >&2
        echo "migrate: applied before it: ${applied:-nothing}" >&2
        exit 1
    fi
    applied="${applied:+$applied }$v"
done

if ! err=$(cat "$ROOT"/sql/functions/*.sql "$ROOT/sql/grants.sql" \
           | own -1 -v runtime="$RUNTIME" -f - 2>&1 >/dev/null); then
    echo "migrate: the functions or grants failed (none of them was changed):" >&2
    printf '%s\n' "$err" | sed 's/^/    /' >&2
    exit 1
fi
latest=$(basename "$(ls "$ROOT"/sql/[0-9]*.sql | tail -n 1)" .sql)
if [ -n "$applied" ]; then
    echo "migrate: applied $applied; the database is at $latest"
else
    echo "migrate: nothing to apply, the database is at $latest"
fi
echo "migrate: functions and grants for $RUNTIME applied"
