#!/bin/sh
# scripts/catalogue.sh 'CONNINFO' FILE (make catalogue DB='…' FILE=…):
# loads a sale's catalogue (concerts, schedules, seat maps: the JSON format
# of README.md, "Loading a sale") in one transaction, through the SQL
# function catalogue_load (sql/functions/50_catalogue.sql), as the owner
# role. Everything is checked first; a fault names its field (or, for
# JSON that does not parse, its line) and nothing is loaded. Loading again
# updates what changed, except what a live hold or a booking depends on.
#   OWNER  the role that owns the schema [ticket_owner]
set -eu
DB=${1:-}
FILE=${2:-}
OWNER=${OWNER:-ticket_owner}

if [ -z "$DB" ] || [ -z "$FILE" ]; then
    echo "usage: $0 'host=… dbname=… user=…' sale.json   (or: make catalogue DB='…' FILE=…)" >&2
    exit 2
fi
[ -f "$FILE" ] && [ -r "$FILE" ] || { echo "catalogue: cannot read $FILE" >&2; exit 1; }

# psql reads the file itself (a backtick command), so it never is a
# command-line argument
export TK_CATALOGUE_FILE=$FILE
if ! out=$(printf '%s\n' '\set doc `cat "$TK_CATALOGUE_FILE"`' \
               "SELECT concerts, schedules, seats FROM catalogue_load(:'doc'::jsonb);" \
           | PGOPTIONS="-c client_min_messages=warning" \
             psql -X -q -w -v ON_ERROR_STOP=1 -1 -tA -F ' ' -d "$DB" \
                  -c "SET ROLE \"$OWNER\"" -f - 2>&1); then
    echo "catalogue: $FILE was not loaded (nothing changed):" >&2
    printf '%s\n' "$out" | sed -e 's/^psql:[^:]*:[0-9]*: //' -e 's/^/    /' >&2
    exit 1
fi
set -- $out
echo "catalogue: loaded $FILE: $1 concerts, $2 schedules and $3 seats made or changed"
