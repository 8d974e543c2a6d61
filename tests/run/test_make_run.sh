#!/bin/sh
# test_make_run.sh: `make run` as a new user gets it, in two fresh clones:
# one in a folder PostgreSQL's user can reach (the cluster in .state/pg)
# and one under a folder closed to others, as `mktemp -d` makes (the
# cluster in /var/tmp/mod_ticket-<name>-<hash>, and make run says so).
# Each serves /health and the demo data (the second behind HTTP Basic,
# IDENTITY=remote-user), and SIGTERM stops everything.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
passed=0 failed=0

check() {   # check WHAT COMMAND...
    what=$1; shift
    if "$@"; then passed=$((passed + 1)); echo "ok: $what"
    else failed=$((failed + 1)); echo "FAILED: $what"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((30000 + $$ % 2000))
}

wait_health() {
    i=0
    while [ $i -lt 300 ]; do
        curl -sf "http://127.0.0.1:$1/health" >/dev/null && return 0
        sleep 0.5; i=$((i + 1))
    done
    return 1
}

# nothing of this clone still runs (a function: a command line holding the
# pattern would find itself)
stopped() {
    ! pgrep -f "apache2 -f $1" >/dev/null && ! pgrep -f "postgres -D $1" >/dev/null \
        && ! pgrep -f "postgres -D /var/tmp/mod_ticket-p-" >/dev/null
}

run_case() {    # run_case NAME PARENT_MODE IDENTITY
    parent=$(mktemp -d /tmp/mod_ticket-runtest.XXXXXX)
    chmod "$2" "$parent"
    git clone -q "$ROOT" "$parent/p"
    port=$(free_port)
    (cd "$parent/p" && exec make run PORT=$port USERS=50 CAPACITY=2 IDENTITY=$3 \
        > "$parent/run.log" 2>&1) &
    pid=$!
    url=http://127.0.0.1:$port
    check "$1: /health answers" wait_health "$port"
    if [ "$3" = remote-user ]; then
        check "$1: no login, no entry (401 UNAUTHENTICATED)" \
            sh -c "curl -s -X POST $url/queues -d '{}' | grep -q UNAUTHENTICATED"
        check "$1: user1 (password demo) enters the queue" \
            sh -c "curl -s -u user1:demo -X POST $url/queues -d '{}' | grep -q '\"tokenStatus\":\"wait\"'"
        check "$1: user51 has no login (USERS=50)" \
            sh -c "curl -s -u user51:demo -X POST $url/queues -d '{}' | grep -q UNAUTHENTICATED"
    else
        check "$1: a demo user enters the queue" \
            sh -c "curl -s -X POST $url/queues -d '{\"userId\": 1}' | grep -q '\"tokenStatus\":\"wait\"'"
        check "$1: user 51 does not exist (USERS=50)" \
            sh -c "curl -s -X POST $url/queues -d '{\"userId\": 51}' | grep -q USER_NOT_FOUND"
    fi
    if [ "$2" = 700 ]; then
        check "$1: says where the cluster lives" grep -q "the cluster lives in /var/tmp/mod_ticket-" "$parent/run.log"
    else
        check "$1: the cluster is in .state/pg" test -f "$parent/p/.state/pg/PG_VERSION"
    fi
    pkill -TERM -P "$pid"       # make's child, scripts/run.sh
    wait "$pid" 2>/dev/null
    i=0; while [ $i -lt 60 ] && ! stopped "$parent/p/"; do sleep 0.5; i=$((i + 1)); done
    check "$1: SIGTERM stopped Apache and PostgreSQL" stopped "$parent/p/"
    (cd "$parent/p" && scripts/run.sh --forget >/dev/null 2>&1)
    [ "$failed" = 0 ] || tail -20 "$parent/run.log"
    rm -rf "$parent"
}

run_case reachable 755 body
run_case closed 700 remote-user
echo "make run: $passed passed, $failed failed"
[ "$failed" = 0 ]
