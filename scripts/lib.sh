# scripts/lib.sh: shell helpers shared by run.sh, itest.sh and bench.
#
# PostgreSQL never runs as root: as root we run it as `postgres`. Its
# clusters let no other local account in: they listen on no TCP port (so
# nobody can stand in for one while it is down and be sent a password),
# only on a socket in a folder that postgres, we and Apache's group may
# enter (mode 0750), and every role needs its password from a pass file
# only we can read (scram-sha-256). Callers export PGHOST (that folder)
# and PGPASSFILE, which psql, pgbench and the tests' libpq read. In each
# database the tables and functions belong to ticket_owner (a role nobody
# logs in as: migrations SET ROLE to it), and the module connects as
# ticket, which may only read what it reads and run the functions.

# (a script outside scripts/ and bench/ names the checkout in TK_CHECKOUT)
TK_ROOT=${TK_CHECKOUT:-$(cd "$(dirname "$0")/.." && pwd)}
PG_BIN=$(pg_config --bindir)
TK_OWNER=ticket_owner
TK_RUNTIME=ticket

die() { echo "$*" >&2; exit 1; }

# Runs a command as PostgreSQL's user (ourselves when not root).
as_pg() {
    # from /: the caller's folder may be closed to postgres
    if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

# Can PostgreSQL's user reach (traverse into) this folder?
pg_can_reach() {
    [ "$(id -u)" != 0 ] || (cd / && runuser -u postgres -- test -x "$1")
}

# Can Apache's children (www-data) read the files of this folder?
www_can_read() {
    [ "$(id -u)" != 0 ] || (cd / && runuser -u www-data -- test -r "$1/index.html")
}

# A stable number in [lo, lo+span) from a string (ports per checkout).
tk_hash_port() {
    echo $(( $1 + $(printf '%s' "$3" | cksum | cut -d' ' -f1) % $2 ))
}

# root_dir PATH: a folder that only its owner (root, or we) may change:
# made (0755) if missing; refused when it is a link, not a folder, someone
# else's, or writable by others. Its parent must be such a folder too, so
# that nobody can swap it between the check and its use.
root_dir() {
    [ -L "$1" ] && die "$1 is a symbolic link; refusing to use it"
    [ -e "$1" ] || mkdir -m 755 "$1" || die "cannot create $1"
    [ -d "$1" ] && [ ! -L "$1" ] || die "$1 is not a folder; refusing to use it"
    [ "$(stat -c %u "$1")" = "$(id -u)" ] \
        || die "$1 belongs to uid $(stat -c %u "$1"), not to us; refusing to use it"
    [ $(( 0$(stat -c %a "$1") & 022 )) = 0 ] \
        || die "$1 is writable by others (mode $(stat -c %a "$1")); refusing to use it"
}

# new_secret FILE: 48 random bytes, base64 (64 characters), ours only.
new_secret() {
    (umask 077 && head -c 48 /dev/urandom | base64 -w0 > "$1" && echo >> "$1")
}

# private_file PATH: PATH, emptied, readable by us only (for what is
# written into it next: a password, a secret).
private_file() {
    (umask 077 && : > "$1") && chmod 600 "$1"
}

new_password() {
    head -c 24 /dev/urandom | base64 -w0 | tr '+/' '-_'
}

# The password of ROLE in the pass file (pg_init wrote it).
role_password() {
    awk -F: -v r="$1" '$4 == r { print $5; exit }' "$PGPASSFILE"
}

# pg_socket_dir DIR: the socket folder: postgres writes it, Apache's group
# (www-data) may enter it, nobody else.
pg_socket_dir() {
    [ -d "$1" ] || mkdir -m 750 "$1" || die "cannot create $1"
    if [ "$(id -u)" = 0 ]; then
        chown -h postgres:www-data "$1"
        chmod 750 "$1"
    else
        chmod 700 "$1"
    fi
}

# pg_init DATADIR PORT [test]: a new cluster whose socket (.s.PGSQL.PORT)
# is in $PGHOST, pg_stat_statements loaded; "test" trades durability for
# speed. The passwords of postgres and of the module's role go into
# $PGPASSFILE (mode 0600). The caller has set and exported both.
pg_init() {
    local dir=$1 port=$2 pwfile
    : "${PGPASSFILE:?pg_init: set PGPASSFILE}" "${PGHOST:?pg_init: set PGHOST}"
    # what an interrupted first start left (no cluster in it yet) goes
    [ -d "$dir" ] && [ ! -f "$dir/PG_VERSION" ] && rm -rf "$dir"
    mkdir -m 700 "$dir" || die "cannot create $dir"
    [ "$(id -u)" = 0 ] && chown -h postgres: "$dir"
    pg_socket_dir "$PGHOST"
    (umask 077 && printf '%s:%s:*:postgres:%s\n%s:%s:*:%s:%s\n' \
        "$PGHOST" "$port" "$(new_password)" "$PGHOST" "$port" "$TK_RUNTIME" \
        "$(new_password)" > "$PGPASSFILE")
    # initdb reads the superuser's password from a file of its own
    pwfile=$(mktemp)
    role_password postgres > "$pwfile"
    [ "$(id -u)" = 0 ] && chown postgres: "$pwfile"
    as_pg "$PG_BIN/initdb" -D "$dir" -U postgres --pwfile="$pwfile" \
        --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$dir/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$PGHOST'
max_connections = 200
shared_preload_libraries = 'pg_stat_statements'
timezone = 'UTC'
password_encryption = 'scram-sha-256'
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

# psql_as USER PORT DB [psql args…]: on the socket in $PGHOST, with the
# pass file's password.
psql_as() {
    local u=$1 port=$2 db=$3
    shift 3
    psql -X -q -w -v ON_ERROR_STOP=1 -p "$port" -U "$u" -d "$db" "$@"
}

# psql_owner PORT DB [psql args…]: as the owner of the schema (the
# superuser's session, SET ROLE to it): what migrations and data loads use.
psql_owner() {
    local port=$1 db=$2
    shift 2
    psql_as postgres "$port" "$db" -c "SET ROLE $TK_OWNER" "$@"
}

# db_create PORT DB: the roles (once per cluster) and the database, owned
# by ticket_owner; only ticket may connect besides the superuser.
db_create() {
    local port=$1 db=$2
    # (the password on standard input: a command line is anyone's to read)
    # (nor in pg_stat_statements, which would keep the statement's text)
    { cat <<'SQL'
SET pg_stat_statements.track_utility = off;
SELECT format('CREATE ROLE %I NOLOGIN', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'runtime')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'runtime') \gexec
-- the module's statements end after 5 s: a setting of its role, which
-- reaches it directly and through a pooler alike (PgBouncer refuses the
-- options= of a connection string)
ALTER ROLE :"runtime" SET statement_timeout = '5s';
SQL
      printf "ALTER ROLE :\"runtime\" PASSWORD '%s';\n" "$(role_password "$TK_RUNTIME")"
    } | psql_as postgres "$port" postgres -v owner="$TK_OWNER" -v runtime="$TK_RUNTIME" -f -
    psql_as postgres "$port" postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'" \
        | grep -q 1 || psql_as postgres "$port" postgres \
            -c "CREATE DATABASE $db OWNER $TK_OWNER" \
            -c "REVOKE ALL ON DATABASE $db FROM PUBLIC" \
            -c "GRANT CONNECT ON DATABASE $db TO $TK_RUNTIME"
    # (PostgreSQL 15 does this already; older ones let anyone create in
    # public, where the functions' pinned search_path looks)
    psql_as postgres "$port" "$db" -c "REVOKE CREATE ON SCHEMA public FROM PUBLIC" \
        -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"
}

# migrate PORT DB: scripts/migrate.sh (make migrate) on that database, as
# the superuser (whose password the pass file has).
migrate() {
    "$TK_ROOT/scripts/migrate.sh" "host=$PGHOST port=$1 dbname=$2 user=postgres"
}

# The module's DBDParams for database DB on PORT, with its password.
dbd_params() {
    echo "host=$PGHOST port=$1 dbname=$2 user=$TK_RUNTIME password=$(role_password "$TK_RUNTIME") connect_timeout=3 application_name=mod_ticket"
}

# ---- PgBouncer (make run POOLER=pgbouncer, the tests, the bench) ----

# pgb_start DIR PORT PGPORT: Debian's PgBouncer in transaction pooling in
# front of every database of the cluster on $PGHOST:PGPORT, run as
# postgres (it refuses root). Like the cluster it listens on no TCP port,
# only on a socket beside the cluster's, $PGHOST/.s.PGSQL.PORT (a local
# account that took a free TCP port could ask libpq for the password in
# clear while PgBouncer is down). DIR is made anew (0700, postgres's): its
# ini, the user list, its log and pid file. The user list holds the module
# role's SCRAM secret, copied from pg_authid: clients prove the password
# to PgBouncer, which then logs in to PostgreSQL with the keys of that
# proof (no password in a file).
pgb_start() {
    local dir=$1 port=$2 pgport=$3 secret
    secret=$(psql_as postgres "$pgport" postgres -tA \
        -c "SELECT rolpassword FROM pg_authid WHERE rolname = '$TK_RUNTIME'")
    case "$secret" in SCRAM-SHA-256*) ;; *) die "pgb_start: $TK_RUNTIME has no SCRAM password" ;; esac
    pgb_stop "$dir"                     # one a killed run left behind
    rm -rf "$dir"
    mkdir -m 700 "$dir" || die "cannot create $dir"
    (umask 077
     printf '"%s" "%s"\n' "$TK_RUNTIME" "$secret" > "$dir/userlist.txt"
     cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST port=$pgport

[pgbouncer]
listen_addr =
listen_port = $port
unix_socket_dir = $PGHOST
auth_type = scram-sha-256
auth_file = $dir/userlist.txt
pool_mode = transaction
; every Apache child's DBDMax connections are clients; the server
; connections per database stay well below max_connections (200)
max_client_conn = 2000
default_pool_size = ${PGB_POOL_SIZE:-20}
reserve_pool_size = 0
server_login_retry = 1
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
    )
    [ "$(id -u)" = 0 ] && chown -R -h postgres: "$dir"
    as_pg pgbouncer -q -d "$dir/pgbouncer.ini" || die "pgbouncer did not start: see $dir/pgbouncer.log"
    i=0
    until "$PG_BIN/pg_isready" -q -h "$PGHOST" -p "$port" -t 1 2>/dev/null; do
        i=$((i + 1))
        [ $i -lt 50 ] || die "pgbouncer does not answer on $PGHOST/.s.PGSQL.$port: see $dir/pgbouncer.log"
        sleep 0.1
    done
}

# pgb_stop DIR: stops the PgBouncer of DIR, if it runs, and waits for it.
# (The pid file is postgres's to write: only a pgbouncer is signalled.)
pgb_stop() {
    local pid i=0
    pid=$(cat "$1/pgbouncer.pid" 2>/dev/null) || return 0
    case "$pid" in ""|*[!0-9]*) return 0 ;; esac
    [ "$(ps -o comm= -p "$pid" 2>/dev/null)" = pgbouncer ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null && ! ps -o stat= -p "$pid" | grep -q Z && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# The module's DBDParams through the PgBouncer on PORT (database DB).
pgb_dbd_params() {
    echo "host=$PGHOST port=$1 dbname=$2 user=$TK_RUNTIME password=$(role_password "$TK_RUNTIME") connect_timeout=3 application_name=mod_ticket"
}
