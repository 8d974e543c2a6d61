#!/bin/sh
# `make bench`: mod_ticket's scenarios under wrk (64 connections) next to
# ceilings measured in the same run (C0 /health; C1 one SELECT 1 and C2 one
# single-row UPDATE through Apache and mod_dbd, by bench/mod_bench_probe.c;
# C3 pgbench's single-row updates, for reference), three rounds, medians,
# one table; then the
# sale storm and the memory check. DURATION=seconds per scenario run.
set -eu
. "$(dirname "$0")/../scripts/lib.sh"

DURATION=${DURATION:-8}
# POOLER=pgbouncer: the write scenarios and C1, C2 also through PgBouncer
# in transaction pooling (a third Apache, TicketPreparedStatements Off)
POOLER=${POOLER:-}
case "$POOLER" in
    "") SLICES=1 ;;
    pgbouncer) SLICES=2 ;;      # each round's new seats, users, tickets halved
    *) die "make bench: POOLER is pgbouncer (or empty), not '$POOLER'" ;;
esac
CONNS=64
THREADS=2
WAITING=100000
OUT=$TK_ROOT/build/bench
TMP=$(mktemp -d /tmp/mod_ticket-bench.XXXXXX)
chmod 755 "$TMP"
PGDATA=$TMP/pg
PGPORT=$(tk_hash_port 10000 10000 "$TMP")
export PGPASSFILE=$TMP/pgpass PGHOST=$TMP/sock
mkdir -p "$OUT"

cleanup() {
    [ -n "${httpd:-}" ] && kill -TERM "$httpd" 2>/dev/null && wait "$httpd" 2>/dev/null || true
    [ -n "${httpd0:-}" ] && kill -TERM "$httpd0" 2>/dev/null && wait "$httpd0" 2>/dev/null || true
    [ -n "${httpdp:-}" ] && kill -TERM "$httpdp" 2>/dev/null && wait "$httpdp" 2>/dev/null || true
    pgb_stop "$TMP/pgbouncer"
    pg_stop "$PGDATA"
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

sql() { psql_owner "$PGPORT" bench -At "$@"; }
wait_httpd() {
    i=0
    until curl -sf "http://127.0.0.1:$PORT/health" >/dev/null; do
        i=$((i + 1))
        [ $i -lt 150 ] || { echo "Apache did not start on port $PORT" >&2; exit 1; }
        sleep 0.2
    done
}
su_sql() { psql_as postgres "$PGPORT" bench -At "$@"; }
# the module's statements so far (but the admission job's)
app_calls() {
    su_sql -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
                WHERE userid = 'ticket'::regrole AND query NOT LIKE '%ticket_admit%'
                  AND query NOT LIKE '%pg_stat_statements%'"
}

echo "== PostgreSQL and the schema ($TMP)"
pg_init "$PGDATA" "$PGPORT"
pg_start "$PGDATA"
db_create "$PGPORT" bench >/dev/null
migrate "$PGPORT" bench >/dev/null
new_secret "$TMP/secret"

# ---- C3 (pgbench) first: it sizes the data (no timed scenario may run dry) ----
pgbench_tps() {
    "$PG_BIN/pgbench" -n -c $CONNS -j $THREADS -T "$1" -f "$TK_ROOT/bench/update.sql" \
        -p "$PGPORT" -U ticket bench 2>/dev/null \
        | sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
# the C2 and C3 ceilings' table: single-row updates over 100,000 rows
sql -c "CREATE TABLE bench_counter (id integer PRIMARY KEY, n bigint NOT NULL DEFAULT 0);
        INSERT INTO bench_counter (id) SELECT generate_series(1, 100000);
        GRANT SELECT, UPDATE ON bench_counter TO $TK_RUNTIME"
probe=$(pgbench_tps 3)
# a scenario writes at most ~C3 requests/s (each request is a write or
# more): a third of N per round leaves room up to 1.1 x C3
N=$(awk -v c="$probe" -v d="$DURATION" -v s="$SLICES" 'BEGIN { r = c < 2000 ? 2000 : c; print int(r * d * 3 * 1.1 * s) }')
H=$(( (N + 49) / 50 ))
echo "== C3 (pgbench) $probe tps: $N seats, tickets and new users per scenario"
sql -v n="$N" -v h="$H" -f "$TK_ROOT/bench/data.sql" >/dev/null

# ---- request files ----
MKTOKENS=$TK_ROOT/build/bench/mktokens
tokens() { sql -F "$(printf '\t')" -c "$1" | "$MKTOKENS" "$TMP/secret"; }
tokens "SELECT seq, user_id, '/queues', '' FROM queue_tokens WHERE user_id > 2 * $N ORDER BY seq" > "$TMP/service.tsv"
sed 's|\t/queues\t|\t/concerts\t|' "$TMP/service.tsv" > "$TMP/concerts.tsv"
sed 's|\t/queues\t|\t/concerts/1/dates\t|' "$TMP/service.tsv" > "$TMP/dates.tsv"
D1=$(sql -c "SELECT concert_date FROM schedules WHERE schedule_id = 1")
sed "s|\t/queues\t|\t/concerts/1/dates/$D1/seats\t|" "$TMP/service.tsv" > "$TMP/seats.tsv"
tokens "SELECT q.seq, q.user_id, '/concerts/2/schedules/' || (200000 + i / 1000) || '/seats/'
               || (20000000 + i) || '/ticket', '{\"userId\": ' || q.user_id || '}'
          FROM generate_series(0, $N - 1) i
          JOIN queue_tokens q ON q.user_id = 2 * $N + 1 + i % $H ORDER BY i" > "$TMP/hold.tsv"
tokens "SELECT seq, user_id, '/payments/charges', '{\"userId\": ' || user_id || ', \"amount\": 1000}'
          FROM queue_tokens WHERE user_id > 2 * $N ORDER BY seq" > "$TMP/charge.tsv"
tokens "SELECT q.seq, q.user_id, '/payments/pays',
               '{\"ticketId\": ' || (30000000 + q.user_id - $N - 1) || ', \"userId\": ' || q.user_id || '}'
          FROM queue_tokens q WHERE q.user_id BETWEEN $N + 1 AND 2 * $N ORDER BY q.user_id" > "$TMP/pay.tsv"
awk -v n="$N" 'BEGIN { for (u = 1; u <= n; ++u) printf "\t/queues\t{\"userId\": %d}\n", u }' > "$TMP/entry.tsv"

# ---- Apache ----
PORT=$(tk_hash_port 30000 2500 "$TMP")     # below the ephemeral ports
BENCH_EXTRA="TicketMaxHoldsPerUser 100
TicketMaxCharge 1000000000000
TicketMaxBalance 1000000000000000
# C1, C2: one statement through mod_dbd, no API work (bench/mod_bench_probe.c)
LoadModule bench_probe_module $TK_ROOT/bench/.libs/mod_bench_probe.so
<Location /probe>
    SetHandler bench-probe
</Location>
<Location /probe-update>
    SetHandler bench-probe-update
</Location>
# every connection of mod_dbd's pool opened when a child starts and kept,
# as for a sale: a connection opened during a run is made while the
# pool's lock is held, and the requests behind it wait (a p99 of 685 ms
# next to a p50 of 5 ms in C1, with DBDMin 0 and DBDKeep 4)
DBDMin 10
DBDKeep 10
# all four children from the start and no reaping: stable resident sizes
StartServers 4
MinSpareThreads 100
MaxSpareThreads 100"
# bench_apache NAME PORT DBDPARAMS [DIRECTIVES]: an Apache of the bench in
# $TMP/NAME (configuration, logs), started; its pid in $started
bench_apache() {
    mkdir -p "$TMP/$1"
    private_file "$TMP/$1/httpd.conf"     # its DBDParams hold a password
    STATE=$TMP/$1 RUNDIR=$TMP/$1 LOGDIR=$TMP/$1 PORT=$2 \
    MODULE=$TK_ROOT/mod_ticket/.libs/mod_ticket.so SECRET=$TMP/secret \
    DBDPARAMS="$3" CAPACITY=$((N + H)) SERVICE_TTL=86400 HOLD_TTL=86400 \
    EXTRA="$BENCH_EXTRA
${4:-}" "$TK_ROOT/scripts/httpd-conf.sh" > "$TMP/$1/httpd.conf"
    apache2 -f "$TMP/$1/httpd.conf" -D FOREGROUND &
    started=$!
    PORT=$2 wait_httpd
}
bench_apache httpd "$PORT" "$(dbd_params "$PGPORT" bench)"
httpd=$started
# the same with the lookups' copy off (TicketLookupCacheMs 0), on the next
# port: the lookups measured against C1 without it
PORT0=$((PORT + 1))
bench_apache httpd0 "$PORT0" "$(dbd_params "$PGPORT" bench)" "TicketLookupCacheMs 0"
httpd0=$started
# and through PgBouncer (POOLER=pgbouncer), on the port after
PORTP=$((PORT + 2))
if [ -n "$POOLER" ]; then
    PGB_PORT=$(tk_hash_port 35000 2000 "$TMP")
    pgb_start "$TMP/pgbouncer" "$PGB_PORT" "$PGPORT"
    bench_apache httpdp "$PORTP" "$(pgb_dbd_params "$PGB_PORT" bench)" \
        "TicketPreparedStatements Off"
    httpdp=$started
fi

# wrk_run NAME METHOD FILE|PATH OFFSET -> "rps p50 p99 non2xx errors"
wrk_run() {
    if [ -f "$3" ]; then file=$3 path=/; else file= path=$3; fi
    BENCH_METHOD=$2 BENCH_FILE=$file BENCH_PATH=$path BENCH_OFFSET=$4 BENCH_COUNT=${5:-1000000000} \
    BENCH_THREADS=$THREADS \
        wrk -t$THREADS -c$CONNS -d"${DURATION}s" --latency -s "$TK_ROOT/bench/lua/bench.lua" \
            "http://127.0.0.1:${WRK_PORT:-$PORT}" | sed -n 's/^RESULT [0-9]* //p'
}
children_rss_kb() {
    for p in $(pgrep -P "$httpd"); do awk '/VmRSS/ { print $2 }' /proc/$p/status; done \
        | awk '{ s += $1 } END { print s }'
}

echo "== warm-up, then resident size with no waiting token"
DURATION=3 wrk_run warm GET /health 0 >/dev/null
DURATION=3 wrk_run warm GET "$TMP/service.tsv" 0 >/dev/null
rss0=$(children_rss_kb)
# payments free slots that admit waiting tokens at once: N more than
# 100,000 keep the deepest ones waiting through every round
last=$(sql -c "SELECT max(seq) FROM queue_tokens")
first=$((2 * N + H + 1)) count=$((WAITING + N))
sql -c "INSERT INTO users (user_id, user_name)
          SELECT g, 'bench' || g FROM generate_series($first, $first + $count - 1) g;
        INSERT INTO queue_tokens (user_id)
          SELECT g FROM generate_series($first, $first + $count - 1) g ORDER BY g" >/dev/null
# the deepest 1,000 waiting tokens
tokens "SELECT seq, user_id, '/queues', '' FROM queue_tokens WHERE seq > $last
         ORDER BY seq DESC LIMIT 1000" > "$TMP/waiting.tsv"
sleep 3     # the admission job refreshes the snapshot: 100,000 waiting
DURATION=3 wrk_run warm GET /health 0 >/dev/null
DURATION=3 wrk_run warm GET "$TMP/waiting.tsv" 0 >/dev/null
rss1=$(children_rss_kb)

# ---- three rounds ----
: > "$OUT/results.txt"
record() { echo "$1 $2" >> "$OUT/results.txt"; }
per=$(( N / 3 ))
share=$(( per / SLICES ))      # the direct runs' part of a round's slice
for round in 1 2 3; do
    off=$(( (round - 1) * per ))
    echo "== round $round"
    record C0 "$(wrk_run C0 GET /health 0)"
    sleep 1     # the previous run's last requests are done
    su_sql -c "SELECT pg_stat_statements_reset()" >/dev/null
    res=$(wrk_run waiting GET "$TMP/waiting.tsv" 0)
    record waiting "$res"
    calls=$(su_sql -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
                     WHERE userid = 'ticket'::regrole AND query NOT LIKE '%ticket_admit%'
                       AND query NOT LIKE '%pg_stat_statements%'")
    echo "$calls $res" | awk '{ printf "statements %d %.1f\n", $1, $2 }' >> "$OUT/results.txt"
    su_sql -c "SELECT calls, left(query, 100) FROM pg_stat_statements
                WHERE userid = 'ticket'::regrole AND query NOT LIKE '%ticket_admit%'" >> "$OUT/statements.txt"
    record service "$(wrk_run service GET "$TMP/service.tsv" 0)"
    record C1 "$(wrk_run C1 GET /probe 0)"
    # the lookups with the copy, each with the statements it made
    for lookup in concerts dates seats; do
        before=$(app_calls)
        res=$(wrk_run $lookup GET "$TMP/$lookup.tsv" 0)
        record $lookup "$res"
        echo "$lookup $(($(app_calls) - before)) $res" \
            | awk '{ printf "lookupstatements %s %d %.1f\n", $1, $2, $3 }' >> "$OUT/results.txt"
    done
    record dates0 "$(WRK_PORT=$PORT0 wrk_run dates0 GET "$TMP/dates.tsv" 0)"
    record seats0 "$(WRK_PORT=$PORT0 wrk_run seats0 GET "$TMP/seats.tsv" 0)"
    record C2 "$(wrk_run C2 GET /probe-update 0)"
    record C3 "$(pgbench_tps "$DURATION") 0 0 0 0"
    record entry "$(wrk_run entry POST "$TMP/entry.tsv" $off $share)"
    record hold "$(wrk_run hold POST "$TMP/hold.tsv" $off $share)"
    record charge "$(wrk_run charge PATCH "$TMP/charge.tsv" 0)"
    record pay "$(wrk_run pay POST "$TMP/pay.tsv" $off $share)"
    if [ -n "$POOLER" ]; then
        poff=$((off + share))
        export WRK_PORT=$PORTP
        record pgb_C1 "$(wrk_run pgb_C1 GET /probe 0)"
        record pgb_C2 "$(wrk_run pgb_C2 GET /probe-update 0)"
        record pgb_entry "$(wrk_run pgb_entry POST "$TMP/entry.tsv" $poff $share)"
        record pgb_hold "$(wrk_run pgb_hold POST "$TMP/hold.tsv" $poff $share)"
        record pgb_charge "$(wrk_run pgb_charge PATCH "$TMP/charge.tsv" 0)"
        record pgb_pay "$(wrk_run pgb_pay POST "$TMP/pay.tsv" $poff $share)"
        unset WRK_PORT
    fi
done

"$TK_ROOT/bench/table.sh" "$OUT/results.txt" "$rss0" "$rss1" "$DURATION" > "$OUT/table.md"
# the profile of round 3's database work (statistics reset before its
# waiting poll): where each scenario's time goes inside PostgreSQL
su_sql -F ' | ' -c "SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms,
                           round(total_exec_time::numeric) AS total_ms,
                           regexp_replace(left(query, 70), '\s+', ' ', 'g')
                      FROM pg_stat_statements WHERE userid = 'ticket'::regrole
                     ORDER BY total_exec_time DESC LIMIT 12" > "$OUT/profile.txt"
kill -TERM "$httpd" "$httpd0" ${httpdp:-}; wait "$httpd" "$httpd0" ${httpdp:-} || true
httpd= httpd0= httpdp=

# ---- admission cost: the same with 100 or 100,000 waiting, 10 or 10,000
# in service (the job's run with a full house, and runs admitting 10) ----
echo "== admission cost"
db_create "$PGPORT" admitcost >/dev/null
migrate "$PGPORT" admitcost >/dev/null
admit_ms() {   # admit_ms CAPACITY-EXPRESSION RUNS: mean ms of a ticket_admit run
    echo "SELECT admitted FROM ticket_admit($1, 86400, false, 0, 1, 0, NULL);" > "$TMP/admit.sql"
    "$PG_BIN/pgbench" -n -c 1 -t "$2" -f "$TMP/admit.sql" -p "$PGPORT" -U postgres admitcost \
        2>/dev/null | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p'
}
: > "$OUT/admit.txt"
for shape in "100 10" "100000 10" "100 10000" "100000 10000"; do
    set -- $shape
    psql_owner "$PGPORT" admitcost -q -v waiting="$1" -v serving="$2" \
        -f "$TK_ROOT/bench/admit_cost.sql" >/dev/null 2>&1
    full=$(admit_ms "$2" 300)
    ten=$(admit_ms "(SELECT in_service FROM queue_state)::integer + 10" 10)
    printf 'admission run, %6d waiting, %5d in service: %s ms with none to admit, %s ms admitting 10\n' \
        "$1" "$2" "$full" "$ten" >> "$OUT/admit.txt"
done

# ---- the sale storm: its own database and Apache, capacity 1,000 ----
echo "== sale storm: 100,000 users, capacity 1,000, ten schedules of 50 seats"
db_create "$PGPORT" storm >/dev/null
migrate "$PGPORT" storm >/dev/null
psql_owner "$PGPORT" storm -q -c "
    INSERT INTO users (user_id, user_name) SELECT g, 'fan' || g FROM generate_series(1, 100000) g;
    INSERT INTO accounts (user_id) SELECT user_id FROM users;
    INSERT INTO concerts (concert_id, title) VALUES (1, 'storm');
    INSERT INTO schedules (concert_id, concert_date, starts_at)
    SELECT 1, current_date + 30 + k, now() + (30 + k) * interval '1 day' FROM generate_series(0, 9) k;
    INSERT INTO seats (schedule_id, seat_num, price)
    SELECT s.schedule_id, n, 99000 FROM schedules s, generate_series(1, 50) n;"
mkdir -p "$TMP/storm"
private_file "$TMP/storm/httpd.conf"
STATE=$TMP/storm RUNDIR=$TMP/storm LOGDIR=$TMP/storm PORT=$PORT \
MODULE=$TK_ROOT/mod_ticket/.libs/mod_ticket.so SECRET=$TMP/secret \
DBDPARAMS="$(dbd_params "$PGPORT" storm)" \
CAPACITY=1000 \
    "$TK_ROOT/scripts/httpd-conf.sh" > "$TMP/storm/httpd.conf"
apache2 -f "$TMP/storm/httpd.conf" -D FOREGROUND &
httpd=$!
wait_httpd
storm_ok=0
"$TK_ROOT/build/bench/storm" "$PORT" "host=$PGHOST port=$PGPORT dbname=storm user=postgres" \
    100000 500 64 > "$OUT/storm.txt" || storm_ok=$?
# the target: sold out within 3 x the time the admitted users need at the
# hold and payment rates measured above (500 holds, then 500 payments)
rate() { awk -F' *[|] *' -v s="$1" '$2 == s { print $3 }' "$OUT/table.md"; }
sed -n 's/.*(\([0-9.]*\) s after the first admission).*/\1/p' "$OUT/storm.txt" \
    | awk -v h="$(rate 'seat hold (new seats)')" -v p="$(rate 'payment (held tickets)')" \
        '{ need = 500 / h + 500 / p
           printf "sold out %.1f s after the first admission: %.1f x the %.2f s that 500 holds and payments need at %d and %d/s (target <= 3)\n", $1, $1 / need, need, h, p }' \
    >> "$OUT/storm.txt"
# from each payment that ended its token (freeing a slot while others
# waited) to the next admission, by the database's clocks
psql_owner "$PGPORT" storm -qtA -F ' ' -c "
    WITH freed AS (
        SELECT t.expires_at AS at FROM queue_tokens t
         WHERE t.admitted_at IS NOT NULL
           AND t.expires_at < t.admitted_at + interval '599 seconds'),
    waits AS (
        SELECT extract(epoch FROM (SELECT min(n.admitted_at) FROM queue_tokens n
                                    WHERE n.admitted_at >= f.at) - f.at) * 1000 AS ms
          FROM freed f)
    SELECT count(*), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 1),
           round(percentile_cont(0.99) WITHIN GROUP (ORDER BY ms)::numeric, 1)
      FROM waits WHERE ms < 60000" \
    | awk '{ printf "payment to the next admission: %s payments, p50 %s ms, p99 %s ms\n", $1, $2, $3 }' \
    >> "$OUT/storm.txt"

{
    echo "Measured on $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)),"
    echo "$(free -g | awk '/Mem:/ { print $2 }') GiB, $(date -u +%Y-%m-%d); wrk -t$THREADS -c$CONNS, ${DURATION} s per run,"
    echo "medians of 3 rounds; each ratio is against the ceiling measured next to it${POOLER:+ (through PgBouncer: against the direct path)}."
    echo
    cat "$OUT/table.md"
    echo
    sed 's/^/    /' "$OUT/storm.txt"
    echo
    sed 's/^/    /' "$OUT/admit.txt"
    echo
    echo "Database time of round 3 (pg_stat_statements: calls | mean ms | total ms | statement):"
    echo
    sed 's/^/    /' "$OUT/profile.txt"
} | tee "$OUT/report.md"
exit $storm_ok
