#!/bin/sh
# `make run`: PostgreSQL + Apache with mod_ticket and demo data, in the
# foreground, on http://127.0.0.1:$PORT. SIGINT or SIGTERM, once or
# repeated, to this script, to make or to the whole process group, stops
# both. Everything it keeps lives in .state/ (git-ignored), kept between
# runs. With --forget it deletes that state instead.
set -eu
. "$(dirname "$0")/lib.sh"

STATE=$TK_ROOT/.state
PORT=${PORT:-8080}
USERS=${USERS:-1000}
POOLER=${POOLER:-}
case "$POOLER" in
    ""|none) POOLER="" ;;
    pgbouncer)
        # mod_authn_dbd prepares its query in each database session at
        # connect: behind transaction pooling it runs on another session
        [ "${IDENTITY:-body}" != remote-user ] || die "make run: IDENTITY=remote-user logs in through mod_authn_dbd, whose prepared query needs a session of its own: it does not work behind PgBouncer's transaction pooling (README, \"Several hosts, a pooler, a failover\")" ;;
    *) die "make run: POOLER is pgbouncer (or empty), not '$POOLER'" ;;
esac
export PGPASSFILE=$STATE/pgpass

# PostgreSQL's user must reach its folder; a checkout under a folder closed
# to others (mktemp -d, /root) gets the cluster in a folder of its own,
# under one that only root may change (so nothing can be planted there).
OUTSIDE=/var/lib/mod_ticket
OUTSIDE_DIR=$OUTSIDE/$(basename "$TK_ROOT")-$(printf '%s' "$TK_ROOT" | cksum | cut -d' ' -f1)
pg_dir() {
    if pg_can_reach "$TK_ROOT" ; then
        echo "$STATE/pg"
    else
        echo "$OUTSIDE_DIR/pg"
    fi
}
PGDATA=$(pg_dir)
export PGHOST=$(dirname "$PGDATA")/sock
PGB_DIR=$(dirname "$PGDATA")/pgbouncer

if [ "${1:-}" = --forget ]; then
    pg_stop "$PGDATA"
    pgb_stop "$PGB_DIR"
    rm -rf "$STATE" "$PGDATA" "$PGHOST" "$PGB_DIR" "$OUTSIDE_DIR/web"
    rmdir "$OUTSIDE_DIR" 2>/dev/null || true
    echo "forgot the demo state"
    exit 0
fi

# Whether process PID runs (not merely waits to be reaped).
running() {
    kill -0 "$1" 2>/dev/null && ! ps -o stat= -p "$1" | grep -q Z
}

# Stopping finishes whatever else arrives: further signals are ignored
# from here on (also by pg_ctl and Apache's stop), and it runs once.
stopping=0
stop() {
    trap '' INT TERM HUP QUIT
    [ "$stopping" = 0 ] || return 0
    stopping=1
    echo "== stopping"
    if [ -n "${httpd:-}" ]; then
        # again every 2 s: a SIGTERM that lands while Apache restarts (the
        # SIGHUP of a closed terminal reached it too) is lost
        i=0
        while running "$httpd" && [ $i -lt 150 ]; do
            [ $((i % 20)) = 0 ] && kill -TERM "$httpd" 2>/dev/null
            sleep 0.1
            i=$((i + 1))
        done
        running "$httpd" && kill -KILL "$httpd" 2>/dev/null
        wait "$httpd" 2>/dev/null || true
    fi
    [ -z "$POOLER" ] || pgb_stop "$PGB_DIR"
    if [ -f "$PGDATA/PG_VERSION" ]; then
        i=0
        while pg_running "$PGDATA" && [ $i -lt 5 ]; do
            pg_stop "$PGDATA"
            i=$((i + 1))
        done
    fi
    exit "$1"
}
trap 'stop 0' INT TERM HUP QUIT
trap 'stop $?' EXIT

mkdir -p "$STATE/logs" "$STATE/run"
PGPORT=$(tk_hash_port 20000 10000 "$TK_ROOT")
if [ "$PGDATA" != "$STATE/pg" ]; then
    echo "== $TK_ROOT is closed to the postgres user: the cluster lives in $PGDATA"
    root_dir "$OUTSIDE"
    root_dir "$(dirname "$PGDATA")"
fi

# a cluster from before passwords and sockets (trust on 127.0.0.1): demo
# data only
if [ -f "$PGDATA/PG_VERSION" ] && ! grep -q "^$PGHOST:" "$PGPASSFILE" 2>/dev/null; then
    echo "== $PGDATA let every local user in as any role: making a new one"
    pg_stop "$PGDATA"
    rm -rf "$PGDATA"
fi
fresh=0
if [ ! -f "$PGDATA/PG_VERSION" ]; then
    echo "== new PostgreSQL cluster in $PGDATA (port $PGPORT)"
    pg_init "$PGDATA" "$PGPORT"
    fresh=1
fi
pg_running "$PGDATA" || pg_start "$PGDATA"
PGPORT=$(sed -n "s/^port = \([0-9]*\)$/\1/p" "$PGDATA/postgresql.conf" | tail -n 1)
db_create "$PGPORT" ticket
migrate "$PGPORT" ticket
psql_owner "$PGPORT" ticket -v users="$USERS" -v runtime="$TK_RUNTIME" \
    -f "$TK_ROOT/sql/demo/seed.sql" >/dev/null
"$TK_ROOT/scripts/demo-catalogue.sh" > "$STATE/demo-catalogue.json"
"$TK_ROOT/scripts/catalogue.sh" "host=$PGHOST port=$PGPORT dbname=ticket user=postgres" \
    "$STATE/demo-catalogue.json"

# the secret belongs to this database: a new cluster gets a new secret
if [ "$fresh" = 1 ] || [ ! -s "$STATE/secret" ]; then
    new_secret "$STATE/secret"
fi

# the page (web/) at /ui/: Apache's children read it where they are; a
# checkout closed to them has it copied beside the cluster, at each start
WEB=$TK_ROOT/web
if ! www_can_read "$WEB"; then
    WEB=$OUTSIDE_DIR/web
    root_dir "$OUTSIDE"
    root_dir "$OUTSIDE_DIR"
    rm -rf "$WEB" && cp -R "$TK_ROOT/web" "$WEB" && chmod -R a+rX,go-w "$WEB"
    echo "== $TK_ROOT/web is closed to Apache's user: /ui/ serves a copy, $WEB"
fi

# POOLER=pgbouncer: Debian's PgBouncer in transaction pooling between
# Apache and PostgreSQL, its folder beside the cluster's (postgres runs it)
DBDPARAMS=$(dbd_params "$PGPORT" ticket)
POOLED=""
if [ -n "$POOLER" ]; then
    PGB_PORT=$(tk_hash_port 30000 10000 "$TK_ROOT")
    pgb_start "$PGB_DIR" "$PGB_PORT" "$PGPORT"
    DBDPARAMS=$(pgb_dbd_params "$PGB_PORT" ticket)
    POOLED="TicketPreparedStatements Off"
    echo "== PgBouncer (transaction pooling) on $PGHOST/.s.PGSQL.$PGB_PORT, log $PGB_DIR/pgbouncer.log"
fi

private_file "$STATE/httpd.conf"        # its DBDParams hold a password
STATE=$STATE RUNDIR=$STATE/run LOGDIR=$STATE/logs PORT=$PORT \
MODULE=$TK_ROOT/mod_ticket/.libs/mod_ticket.so SECRET=$STATE/secret \
DBDPARAMS="$DBDPARAMS" EXTRA="$POOLED" WEB=$WEB LOGLEVEL=${LOGLEVEL:-warn ticket:notice} \
    "$TK_ROOT/scripts/httpd-conf.sh" > "$STATE/httpd.conf"
apache2 -t -f "$STATE/httpd.conf"

apache2 -f "$STATE/httpd.conf" -D FOREGROUND &
httpd=$!
if [ "${IDENTITY:-body}" = remote-user ]; then
    try="curl -s -u user1:demo -X POST localhost:$PORT/queues -d '{}'   (every demo user's password: demo)"
else
    try="curl -s -X POST localhost:$PORT/queues -d '{\"userId\": 1}'"
fi
cat <<MSG
== mod_ticket serves http://127.0.0.1:$PORT  (users 1-$USERS, 3 concerts)
   the waiting-room and booking page: http://127.0.0.1:$PORT/ui/
   try: $try
   logs: $STATE/logs/error.log
   database: PGHOST=$PGHOST PGPASSFILE=$PGPASSFILE psql -p $PGPORT -U postgres ticket
   PostgreSQL restart: runuser -u postgres -- $PG_BIN/pg_ctl -D $PGDATA restart
   Ctrl-C stops Apache and PostgreSQL
MSG
wait "$httpd" || true
