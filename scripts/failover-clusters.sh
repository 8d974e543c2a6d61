#!/bin/sh
# A primary and its synchronous standby, for the failover drill
# (tests/integration/test_failover.c, make failover-drill): two clusters
# on this machine, nodes 1 and 2, each with its own data folder, socket
# folder and port, run as postgres, with durable settings (fsync and
# synchronous_commit on, unlike the tests' own cluster), streaming
# replication, and synchronous_standby_names set on the primary only once
# the standby streams. So the standby's copy of the configuration never
# has it: a promoted node that names a standby it does not have hangs
# every write, and statement_timeout does not end that wait.
#
#   scripts/failover-clusters.sh start DIR DB   DIR (new) gets node 1, the
#       primary, with database DB migrated, and node 2, its synchronous
#       standby; and:
#         DIR/clusters.env   P1= P2= SOCK1= SOCK2= (the nodes' ports, sockets)
#         DIR/pgpass         the roles' passwords, on both (mode 0600)
#         DIR/dbd-params     the module's DBDParams naming both nodes
#   scripts/failover-clusters.sh crash DIR N    node N stops at once
#       (pg_ctl -m immediate: a crash, as far as its clients can tell)
#   scripts/failover-clusters.sh promote DIR N  node N, a standby, becomes
#       a primary (pg_ctl promote; returns once it takes writes)
#   scripts/failover-clusters.sh rejoin DIR N   node N, stopped, comes back
#       as the synchronous standby of the other node: a new copy of it
#       (its old server log kept as DIR/nodeN-before-rejoin.log)
#   scripts/failover-clusters.sh stop DIR       stops both, removes DIR
#   scripts/failover-clusters.sh halt DIR       stops both, keeps DIR (the
#       server logs: DIR/node1/server.log, DIR/node2/server.log)
#
# Both listen on no TCP port, only on their socket (as scripts/lib.sh's
# clusters do); a standby streams from the other node's socket as the role
# repl, whose password is in a pass file of postgres's in DIR. Whichever
# node is the standby calls itself standby1 (application_name), the name
# the primary's synchronous_standby_names gives.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
    echo "usage: $0 start DIR DB | crash DIR N | promote DIR N | rejoin DIR N | stop DIR | halt DIR" >&2
    exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
MARK=$DIR/.failover-clusters     # what stop may remove is ours
STANDBY_NAME=standby1

node_arg() {
    case "${1:-}" in 1|2) echo "$1" ;; *) usage ;; esac
}

wait_for() {    # wait_for SECONDS WHAT COMMAND…: until COMMAND succeeds
    local n=$(($1 * 10)) what=$2
    shift 2
    until "$@"; do
        n=$((n - 1))
        [ $n -gt 0 ] || die "failover-clusters: $what did not happen in time"
        sleep 0.1
    done
}

port_of() { if [ "$1" = 1 ]; then echo "$P1"; else echo "$P2"; fi; }

# on_node N DB [psql args…]: psql as postgres on node N (pass file DIR/pgpass)
on_node() {
    local n=$1 db=$2
    shift 2
    PGPASSFILE=$DIR/pgpass psql -X -q -w -v ON_ERROR_STOP=1 -h "$DIR/sock$n" \
        -p "$(port_of "$n")" -U postgres -d "$db" "$@"
}

# sync_state_is N STATE: node N's standby streams, in that sync_state
sync_state_is() {
    [ "$(on_node "$1" postgres -tA -c "SELECT sync_state FROM pg_stat_replication
        WHERE application_name = '$STANDBY_NAME' AND state = 'streaming'")" = "$2" ]
}

# make_standby N FROM: node N (its data folder new) becomes the
# synchronous standby of node FROM, a primary
make_standby() {
    local n=$1 from=$2
    mkdir -m 700 "$DIR/node$n"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR/node$n"
    # a copy through the replication protocol, with its primary_conninfo
    # (-R, with application_name, which sync names match) and a slot on
    # FROM (-C -S)
    as_pg "$PG_BIN/pg_basebackup" -D "$DIR/node$n" -R -X stream -c fast \
        -C -S "${STANDBY_NAME}_slot" \
        -d "host=$DIR/sock$from port=$(port_of "$from") user=repl passfile=$DIR/repl.pgpass application_name=$STANDBY_NAME"
    # its own socket and port (after FROM's, which the copy has)
    printf "port = %s\nunix_socket_directories = '%s'\n" "$(port_of "$n")" "$DIR/sock$n" \
        >> "$DIR/node$n/postgresql.conf"
    pg_start "$DIR/node$n"
    # synchronous only now that it streams, and on the primary only
    # (ALTER SYSTEM writes FROM's postgresql.auto.conf, which the copy
    # predates): a standby promoted later has no sync names
    wait_for 30 "streaming from node $from to node $n" sync_state_is "$from" async
    on_node "$from" postgres \
        -c "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 ($STANDBY_NAME)'" \
        -c "SELECT pg_reload_conf()" >/dev/null
    wait_for 30 "synchronous replication from node $from to node $n" \
        sync_state_is "$from" sync
    [ -z "$(on_node "$n" postgres -tA -c "SHOW synchronous_standby_names")" ] \
        || die "failover-clusters: the standby, node $n, has synchronous_standby_names"
}

start() {
    local db=${1:?"usage: $0 start DIR DB"} repl_pw
    [ ! -e "$DIR" ] || die "failover-clusters: $DIR exists already"
    mkdir -m 755 "$DIR"
    : > "$MARK"
    # the ports only name the sockets (no TCP), each in a folder of its own
    P1=$(tk_hash_port 40000 10000 "$DIR")
    P2=$((P1 + 1))
    printf 'P1=%s\nP2=%s\nSOCK1=%s\nSOCK2=%s\n' "$P1" "$P2" "$DIR/sock1" "$DIR/sock2" \
        > "$DIR/clusters.env"
    export PGPASSFILE=$DIR/pgpass PGHOST=$DIR/sock1

    pg_init "$DIR/node1" "$P1"          # durable: no "test"
    pg_start "$DIR/node1"
    db_create "$P1" "$db" >/dev/null
    migrate "$P1" "$db" >/dev/null
    # the same roles and passwords on node 2: it is a copy
    sed "s|^$DIR/sock1:$P1:|$DIR/sock2:$P2:|" "$PGPASSFILE" > "$DIR/pgpass.2"
    cat "$DIR/pgpass.2" >> "$PGPASSFILE"
    rm -f "$DIR/pgpass.2"
    pg_socket_dir "$DIR/sock2"

    # the replication role; its password in a pass file of postgres's
    repl_pw=$(new_password)
    # (not kept in pg_stat_statements' texts either, as db_create does)
    printf "SET pg_stat_statements.track_utility = off;\nCREATE ROLE repl REPLICATION LOGIN PASSWORD '%s';\n" "$repl_pw" \
        | on_node 1 postgres -f -
    (umask 077 && printf '%s:%s:*:repl:%s\n%s:%s:*:repl:%s\n' "$DIR/sock1" "$P1" \
        "$repl_pw" "$DIR/sock2" "$P2" "$repl_pw" > "$DIR/repl.pgpass")
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR/repl.pgpass"

    make_standby 2 1

    # what an operator writes: both nodes; the one that takes writes wins
    (umask 077 && printf 'host=%s,%s port=%s,%s dbname=%s user=%s password=%s target_session_attrs=read-write connect_timeout=2 application_name=mod_ticket\n' \
        "$DIR/sock1" "$DIR/sock2" "$P1" "$P2" "$db" "$TK_RUNTIME" \
        "$(role_password "$TK_RUNTIME")" > "$DIR/dbd-params")
}

case "$cmd" in
    start)
        shift 2
        # a start that fails leaves nothing running
        trap 'rc=$?; [ $rc = 0 ] || "$0" stop "$DIR"; exit $rc' EXIT
        start "$@"
        exit 0
        ;;
    stop|halt)
        [ -e "$DIR" ] || exit 0
        [ -f "$MARK" ] || die "failover-clusters: $DIR was not made by this script; left alone"
        for n in 1 2; do
            if [ -f "$DIR/node$n/postmaster.pid" ]; then
                as_pg "$PG_BIN/pg_ctl" -D "$DIR/node$n" -m immediate -w -t 30 stop \
                    >/dev/null 2>&1 || true
            fi
        done
        [ "$cmd" = halt ] || rm -rf "$DIR"
        exit 0
        ;;
esac

[ -f "$MARK" ] || die "failover-clusters: $DIR was not made by this script"
. "$DIR/clusters.env"
N=$(node_arg "${3:-}")
case "$cmd" in
    crash)
        as_pg "$PG_BIN/pg_ctl" -D "$DIR/node$N" -m immediate -w stop >/dev/null
        ;;
    promote)
        as_pg "$PG_BIN/pg_ctl" -D "$DIR/node$N" -w -t 60 promote >/dev/null
        ;;
    rejoin)
        ! pg_running "$DIR/node$N" || die "failover-clusters: node $N still runs"
        mv "$DIR/node$N/server.log" "$DIR/node$N-before-rejoin.log" 2>/dev/null || true
        rm -rf "$DIR/node$N"
        make_standby "$N" $((3 - N))
        ;;
    *) usage ;;
esac
