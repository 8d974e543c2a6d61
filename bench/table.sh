#!/bin/sh
# table.sh RESULTS RSS0 RSS1 DURATION: the benchmark's table (Markdown) from
# the "name rps p50 p99 non2xx errors" lines of three rounds: medians, and
# each scenario's ratio to the ceiling measured next to it.
set -eu
awk -v rss0="$2" -v rss1="$3" -v dur="$4" '
function median(name, col,   n, i, j, t, v) {
    n = count[name]
    for (i = 1; i <= n; ++i) v[i] = val[name, i, col]
    for (i = 1; i <= n; ++i) for (j = i + 1; j <= n; ++j)
        if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return n ? v[int((n + 1) / 2)] : 0
}
$1 == "statements" { stmts += $2; polls += $3 * dur; next }
$1 == "lookupstatements" { lstmts[$2] += $3; lookups[$2] += $4 * dur; next }
{ k = ++count[$1]; for (c = 2; c <= NF; ++c) val[$1, k, c] = $c }
END {
    rows = split("C0 waiting service concerts dates seats C1 dates0 seats0 C2 C3 entry hold charge pay" \
                 " pgb_C1 pgb_C2 pgb_entry pgb_hold pgb_charge pgb_pay", order, " ")
    # POOLER=pgbouncer: the same through PgBouncer, against the direct path
    ceil["pgb_C1"] = "C1"; ceil["pgb_C2"] = "C2"; ceil["pgb_entry"] = "entry"
    ceil["pgb_hold"] = "hold"; ceil["pgb_charge"] = "charge"; ceil["pgb_pay"] = "pay"
    label["pgb_C1"] = "C1 through PgBouncer (transaction pooling)"
    label["pgb_C2"] = "C2 through PgBouncer"; label["pgb_entry"] = "queue entry through PgBouncer"
    label["pgb_hold"] = "seat hold through PgBouncer"; label["pgb_charge"] = "charge through PgBouncer"
    label["pgb_pay"] = "payment through PgBouncer"
    ceil["waiting"] = "C0"; ceil["service"] = "C0"; ceil["concerts"] = "C0"
    ceil["dates"] = "C0"; ceil["seats"] = "C0"
    ceil["dates0"] = "C1"; ceil["seats0"] = "C1"
    ceil["entry"] = "C2"; ceil["hold"] = "C2"; ceil["charge"] = "C2"; ceil["pay"] = "C2"
    target["waiting"] = 0.9; target["concerts"] = 0.5; target["dates"] = 0.5; target["seats"] = 0.5
    target["dates0"] = 0.5; target["seats0"] = 0.5
    target["entry"] = 0.7; target["hold"] = 0.7; target["charge"] = 0.7; target["pay"] = 0.5
    label["C0"] = "C0 GET /health (ceiling)"; label["C1"] = "C1 one SELECT 1 through mod_dbd (ceiling)"
    label["C2"] = "C2 one single-row UPDATE through mod_dbd (ceiling)"
    label["C3"] = "C3 pgbench single-row UPDATE, no HTTP (reference)"
    label["waiting"] = "waiting poll GET /queues"; label["service"] = "service poll GET /queues"
    label["concerts"] = "concert list (lookup copy, the default)"
    label["dates"] = "concert dates (lookup copy, the default)"
    label["seats"] = "seat list (lookup copy, the default)"
    label["dates0"] = "concert dates, TicketLookupCacheMs 0"
    label["seats0"] = "seat list, TicketLookupCacheMs 0"
    label["entry"] = "queue entry (new users)"; label["hold"] = "seat hold (new seats)"
    label["charge"] = "charge"; label["pay"] = "payment (held tickets)"
    print "| scenario | requests/s | p50 ms | p99 ms | non-2xx | ratio | target |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= rows; ++i) {
        s = order[i]; rps = median(s, 2)
        if (!count[s]) continue
        ratio = ceil[s] ? sprintf("%.2f x %s", rps / median(ceil[s], 2), ceil[s]) : "-"
        if (s ~ /^pgb_/) ratio = sprintf("%.2f x direct", rps / median(ceil[s], 2))
        tgt = target[s] ? sprintf(">= %.2f", target[s]) : "-"
        if (s == "C3")
            printf "| %s | %.0f | - | - | - | - | - |\n", label[s], rps
        else
            printf "| %s | %.0f | %.2f | %.2f | %d | %s | %s |\n", label[s], rps,
                   median(s, 3), median(s, 4), median(s, 5), ratio, tgt
    }
    printf "\nDatabase statements per waiting poll: %.4f (%d statements in ~%d polls, pg_stat_statements)\n",
           polls ? stmts / polls : 0, stmts, polls
    printf "Database statements per lookup with the copy:"
    split("concerts dates seats", kinds, " "); split("concert lists,dates,seat lists", names, ",")
    for (i = 1; i <= 3; ++i) {
        k = kinds[i]
        printf "%s %.4f for %s (%d in ~%d)", (i > 1 ? ";" : ""),
               (lookups[k] ? lstmts[k] / lookups[k] : 0), names[i], lstmts[k], lookups[k]
    }
    printf " (pg_stat_statements)\n"
    printf "Resident size of the httpd children: %d kB with no waiting token, %d kB with 100,000+ (%+.1f%%)\n",
           rss0, rss1, rss0 ? (rss1 - rss0) * 100 / rss0 : 0
}' "$1"
