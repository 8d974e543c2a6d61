#!/bin/sh
# test_make_run.sh: `make run` as a new user gets it, in three fresh
# clones: one in a folder PostgreSQL's user can reach (the cluster in
# .state/pg), one under a folder closed to others, as `mktemp -d` makes
# (the cluster in /var/lib/mod_ticket/<name>-<hash>, and make run says
# so), and one closed too with POOLER=pgbouncer (the module's sessions
# through PgBouncer in transaction pooling). Each serves /health, the demo
# data (the second behind HTTP Basic, IDENTITY=remote-user; a whole
# purchase in the others) and the page at /ui/, keeps its PostgreSQL
# closed to other local accounts, leaves Apache the usual umask, and
# stops. Then make run is
# stopped STOPS times (default 6; the acceptance run used 20) at random
# moments after /health answers, by SIGTERM or SIGINT to its process
# group, SIGTERM to make alone, two signals in quick succession, or
# SIGHUP to the group (its terminal closed):
# nothing of it may be left running.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
STOPS=${STOPS:-6}
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
        sleep 0.2; i=$((i + 1))
    done
    return 1
}

# `make run ARGS` in folder DIR, as a terminal or a service manager starts
# it: its own process group, SIGINT and SIGTERM not ignored (a shell's
# background job would ignore SIGINT). Prints make's pid (= the group).
start_run() {   # start_run DIR LOG ARGS...
    dir=$1 log=$2
    shift 2
    python3 - "$dir" "$log" "$@" <<'PY' &
import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT):
    signal.signal(s, signal.SIG_DFL)
os.setsid()
os.chdir(sys.argv[1])
fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.dup2(fd, 1); os.dup2(fd, 2)
os.execvp("make", ["make", "run"] + sys.argv[3:])
PY
    echo $!
}

# a signal to a whole process group (dash's kill takes no "--")
group() {   # group SIGNAL PGID
    /usr/bin/kill -s "$1" -- "-$2"
}

# nothing of this clone still runs (a function: a command line holding the
# pattern would find itself)
stopped() {   # stopped CHECKOUT PGDATA
    ! pgrep -f "apache2 -f $1/" >/dev/null && ! pgrep -f "postgres -D $2" >/dev/null \
        && ! pgrep -f "pgbouncer -q -d $(dirname "$2")/pgbouncer/" >/dev/null \
        && ! pgrep -f "scripts/run.sh" -g "$3" >/dev/null 2>&1
}

wait_stopped() {
    i=0; while [ $i -lt 120 ] && ! stopped "$@"; do sleep 0.5; i=$((i + 1)); done
    stopped "$@"
}

cluster_of() {   # the cluster folder make run named, or .state/pg
    sed -n 's/^== .* the cluster lives in \(.*\)$/\1/p' "$1/run.log" | tail -n 1 | grep . \
        || echo "$1/p/.state/pg"
}

# another local account (nobody) reaches none of it: no TCP port, and the
# socket's folder is only postgres', ours and Apache's group's
closed_to_others() {   # closed_to_others SOCKET_DIR PORT
    for role in postgres ticket ticket_owner; do
        env -u PGPASSFILE runuser -u nobody -- psql -X -w -h 127.0.0.1 -p "$2" -U "$role" \
            -d ticket -c 'SELECT 1' >/dev/null 2>&1 && return 1
        env -u PGPASSFILE runuser -u nobody -- psql -X -w -h "$1" -p "$2" -U "$role" \
            -d ticket -c 'SELECT 1' >/dev/null 2>&1 && return 1
    done
    return 0
}

apache_umask() {   # the Umask of Apache's parent process
    awk '/^Umask:/ { print $2 }' "/proc/$(cat "$1/.state/run/httpd.pid")/status"
}

# A whole purchase by USER as the README shows it: enter, wait for
# service, the dates of concert 1, a free seat of its first, hold it,
# charge with an Idempotency-Key, pay.
purchase() {   # purchase URL USER
    auth="Authorization: Bearer"
    tok=$(curl -s -X POST "$1/queues" -d "{\"userId\": $2}" \
          | sed -n 's/.*"userToken":"\([^"]*\)".*/\1/p')
    [ -n "$tok" ] || return 1
    i=0
    until curl -s "$1/queues" -H "$auth $tok" | grep -q '"tokenStatus":"service"'; do
        i=$((i + 1)); [ $i -lt 40 ] || return 1; sleep 0.5
    done
    first=$(curl -s "$1/concerts/1/dates" -H "$auth $tok" \
            | grep -o '"scheduleId":[0-9]*,"date":"[0-9-]*"' | head -n 1)
    sched=$(echo "$first" | sed 's/"scheduleId":\([0-9]*\),.*/\1/')
    date=$(echo "$first" | sed 's/.*"date":"\([0-9-]*\)"/\1/')
    seat=$(curl -s "$1/concerts/1/dates/$date/seats" -H "$auth $tok" \
           | grep -o '"seatNum":[0-9]*' | head -n 1 | cut -d: -f2)
    [ -n "$sched" ] && [ -n "$seat" ] || return 1
    ticket=$(curl -s -X POST "$1/concerts/1/schedules/$sched/seats/$seat/ticket" \
             -H "$auth $tok" -d "{\"userId\": $2}" | sed -n 's/^{"ticketId":\([0-9]*\),.*/\1/p')
    [ -n "$ticket" ] || return 1
    curl -s -X PATCH "$1/payments/charges" -H "$auth $tok" -H "Idempotency-Key: run-$2" \
        -d "{\"userId\": $2, \"amount\": 300000}" | grep -q '"accountStat":"충전완료"' || return 1
    curl -s -X POST "$1/payments/pays" -H "$auth $tok" \
        -d "{\"ticketId\": $ticket, \"userId\": $2}" | grep -q '"stat":"booked"'
}

run_case() {    # run_case NAME PARENT_MODE IDENTITY [MAKE ARGS…]
    parent=$(mktemp -d /tmp/mod_ticket-runtest.XXXXXX)
    chmod "$2" "$parent"
    git clone -q "$ROOT" "$parent/p"
    port=$(free_port)
    extra=$(shift 3; echo "$*")      # NAME=value words, no spaces in them
    # shellcheck disable=SC2086
    pid=$(start_run "$parent/p" "$parent/run.log" PORT=$port USERS=50 CAPACITY=2 IDENTITY=$3 $extra)
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
        check "$1: a whole purchase (enter, wait, dates, seats, hold, charge, pay)" \
            purchase "$url" 2
    fi
    # the page at /ui/ (behind the login in the second), its scripts with
    # the type browsers need for modules
    auth=""
    [ "$3" = remote-user ] && auth="-u user1:demo"
    check "$1: /ui/ serves the page" \
        sh -c "curl -s $auth -o /dev/null -w '%{http_code} %{content_type}' $url/ui/ | grep -qx '200 text/html; charset=utf-8'"
    check "$1: … and its modules as JavaScript" \
        sh -c "curl -s $auth -o /dev/null -w '%{http_code} %{content_type}' $url/ui/js/app.js | grep -qx '200 text/javascript; charset=utf-8'"
    pgdata=$(cluster_of "$parent")
    if [ "$2" = 700 ]; then
        check "$1: says where the cluster lives" \
            sh -c "grep -q 'the cluster lives in /var/lib/mod_ticket/' '$parent/run.log'"
        check "$1: serves a copy of web/ that Apache's user can read" \
            sh -c "grep -q 'closed to Apache.s user: /ui/ serves a copy, /var/lib/mod_ticket/' '$parent/run.log'"
    fi
    check "$1: the cluster is there" test -f "$pgdata/PG_VERSION"
    if [ "$1" = pooled ]; then
        pgb=$(dirname "$pgdata")/pgbouncer
        check "$1: the module's sessions go through PgBouncer" \
            grep -q "login attempt: db=ticket user=ticket " "$pgb/pgbouncer.log"
        check "$1: PgBouncer's folder (its user list) is postgres's alone" \
            test "$(stat -c '%U %a' "$pgb")" = "postgres 700"
    fi
    pgport=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$pgdata/postgresql.conf" | tail -n 1)
    check "$1: no other local account gets into PostgreSQL" \
        closed_to_others "$(dirname "$pgdata")/sock" "$pgport"
    check "$1: Apache runs with umask 0022, not the secret's" \
        test "$(apache_umask "$parent/p")" = 0022
    check "$1: httpd.conf (with the database password) is private" \
        test "$(stat -c %a "$parent/p/.state/httpd.conf")" = 600
    kill -TERM "$pid"
    check "$1: SIGTERM to make stopped Apache and PostgreSQL" wait_stopped "$parent/p" "$pgdata" "$pid"
    if [ "$1" = reachable ]; then
        stop_many "$parent"
    fi
    (cd "$parent/p" && scripts/run.sh --forget >/dev/null 2>&1)
    [ "$failed" = 0 ] || tail -20 "$parent/run.log"
    rm -rf "$parent"
}

# STOPS starts of make run in the clone under PARENT, each stopped a way
# of its own at a random moment after /health answered.
stop_many() {
    n=0 left=0
    while [ $n -lt "$STOPS" ]; do
        port=$(free_port)
        pid=$(start_run "$1/p" "$1/run.log" PORT=$port USERS=50)
        if ! wait_health "$port"; then
            left=$((left + 1)); echo "start $n: no /health"; group KILL "$pid"; break
        fi
        sleep "$(awk -v s="$$$n" 'BEGIN { srand(s); printf "%.2f", rand() * 2 }')"
        case $((n % 6)) in
            0) group TERM "$pid"; how="SIGTERM to the group" ;;
            1) group INT "$pid"; how="SIGINT to the group" ;;
            2) kill -TERM "$pid"; how="SIGTERM to make" ;;
            3) group TERM "$pid"; sleep 0.1; group TERM "$pid"; how="SIGTERM twice" ;;
            4) group INT "$pid"; sleep 0.05; group TERM "$pid"; how="SIGINT, then SIGTERM" ;;
            5) group HUP "$pid"; how="SIGHUP to the group (the terminal closed)" ;;
        esac
        if ! wait_stopped "$1/p" "$1/p/.state/pg" "$pid"; then
            left=$((left + 1)); echo "start $n ($how): something was left running:"
            pgrep -af "$1/p" | sed 's/^/    /'
            tail -5 "$1/run.log" | sed 's/^/    /'
        fi
        n=$((n + 1))
    done
    check "make run stopped cleanly $STOPS times in a row (group and make, TERM and INT, twice)" \
        test "$left" = 0
}

run_case reachable 755 body
run_case closed 700 remote-user
run_case pooled 700 body POOLER=pgbouncer
echo "make run: $passed passed, $failed failed"
[ "$failed" = 0 ]
