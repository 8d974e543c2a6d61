# scripts/lib.sh: shell helpers shared by run.sh, itest.sh and bench.
# PostgreSQL never runs as root: as root we run it as `postgres`.

TK_ROOT=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=$(pg_config --bindir)

# Runs a command as PostgreSQL's user (ourselves when not root).
as_pg() {
    # from /: the caller's folder may be closed to postgres
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Can PostgreSQL's user reach (traverse into) this folder?
pg_can_reach() {
    [ "$(id -u)" != 0 ] || (cd / && runuser -u postgres -- test -x "$1")
}

# A stable number in [lo, lo+span) from a string (ports per checkout).
tk_hash_port() {
    echo $(( $1 + $(printf '%s' "$3" | cksum | cut -d' ' -f1) % $2 ))
}

# pg_init DATADIR PORT [test]: a new cluster on 127.0.0.1:PORT, its socket
# in DATADIR, pg_stat_statements loaded; "test" trades durability for speed.
pg_init() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 \
        --locale=C.UTF-8 >/dev/null
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
timezone = 'UTC'
CONF
    if [ "${3:-}" = test ]; then
        printf "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" \
            >> "$dir/postgresql.conf"
    fi
}

pg_start() {
    as_pg "$PG_BIN/pg_ctl" -D "$1" -l "$1/server.log" -w -t 60 start >/dev/null
}

pg_stop() {
    as_pg "$PG_BIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null 2>&1 || true
}

pg_running() {
    as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# psql_as USER PORT DB [psql args…]
psql_as() {
    local u=$1 port=$2 db=$3
    shift 3
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$u" -d "$db" "$@"
}

# db_create PORT DB: the application role and its database, once.
db_create() {
    local port=$1 db=$2 f v
    psql_as postgres "$port" postgres -tA -c "SELECT 1 FROM pg_roles WHERE rolname = 'ticket'" \
        | grep -q 1 || psql_as postgres "$port" postgres -c "CREATE ROLE ticket LOGIN"
    psql_as postgres "$port" postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'" \
        | grep -q 1 || psql_as postgres "$port" postgres -c "CREATE DATABASE $db OWNER ticket"
    psql_as postgres "$port" "$db" -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
}

# migrate PORT DB: applies the migrations (sql/NNN_*.sql) not applied yet,
# each in one transaction with its record in schema_migrations, then the
# functions (sql/functions/*.sql, code: every time, all in one transaction).
migrate() {
    local port=$1 db=$2 f v
    psql_as ticket "$port" "$db" -c "CREATE TABLE IF NOT EXISTS schema_migrations (
        version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    for f in "$TK_ROOT"/sql/[0-9]*.sql; do
        v=$(basename "$f" .sql)
        if ! psql_as ticket "$port" "$db" -tA \
             -c "SELECT 1 FROM schema_migrations WHERE version = '$v'" | grep -q 1; then
            echo "== migration $v"
            psql_as ticket "$port" "$db" -1 -f "$f" \
                -c "INSERT INTO schema_migrations (version) VALUES ('$v')"
        fi
    done
    cat "$TK_ROOT"/sql/functions/*.sql \
        | PGOPTIONS="-c client_min_messages=warning" psql_as ticket "$port" "$db" -1 -f - >/dev/null
}

# new_secret FILE: 48 random bytes, base64 (64 characters), root only.
new_secret() {
    umask 077
    head -c 48 /dev/urandom | base64 -w0 > "$1"
    echo >> "$1"
}
