/* harness_money.c: the money and booking invariants (see harness.h),
 * checked in the database after the suites that move money. */
#include <stdio.h>
#include "harness.h"

static void expect_zero(PGconn *c, const char *what, const char *sql)
{
    long long n = th_db_scalar(c, "%s", sql);
    if (n != 0) {
        fail_msg("invariant broken (%lld rows): %s", n, what);
    }
}

void th_assert_invariants(PGconn *c)
{
    expect_zero(c, "balance = charges - payments, balance >= 0",
        "SELECT count(*) FROM accounts a WHERE a.balance < 0 OR a.balance <>"
        " coalesce((SELECT sum(CASE l.kind WHEN 'charge' THEN l.amount ELSE -l.amount END)"
        "             FROM ledger l WHERE l.user_id = a.user_id), 0)");
    expect_zero(c, "no ledger rows without an account",
        "SELECT count(*) FROM ledger l"
        " WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.user_id = l.user_id)");
    expect_zero(c, "balance_after chain by entry_id",
        "SELECT count(*) FROM (SELECT kind, amount, balance_after,"
        "  coalesce(lag(balance_after) OVER (PARTITION BY user_id ORDER BY entry_id), 0) AS prev"
        "  FROM ledger) x"
        " WHERE balance_after <> prev + CASE kind WHEN 'charge' THEN amount ELSE -amount END");
    expect_zero(c, "the newest balance_after is the balance",
        "SELECT count(*) FROM accounts a JOIN LATERAL (SELECT balance_after FROM ledger l"
        "  WHERE l.user_id = a.user_id ORDER BY entry_id DESC LIMIT 1) l ON true"
        " WHERE l.balance_after <> a.balance");
    expect_zero(c, "at most one booking per seat",
        "SELECT count(*) FROM (SELECT seat_id FROM tickets WHERE status = 'booked'"
        "  GROUP BY seat_id HAVING count(*) > 1) x");
    expect_zero(c, "seats.booked_ticket_id names a booked ticket of that seat",
        "SELECT count(*) FROM seats s WHERE s.booked_ticket_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.ticket_id = s.booked_ticket_id"
        "  AND t.seat_id = s.seat_id AND t.status = 'booked')");
    expect_zero(c, "a booked ticket is its seat's booking",
        "SELECT count(*) FROM tickets t WHERE t.status = 'booked' AND NOT EXISTS"
        " (SELECT 1 FROM seats s WHERE s.seat_id = t.seat_id AND s.booked_ticket_id = t.ticket_id)");
    expect_zero(c, "no debit without a booking",
        "SELECT count(*) FROM ledger l WHERE l.kind = 'pay' AND NOT EXISTS"
        " (SELECT 1 FROM tickets t WHERE t.ticket_id = l.ticket_id AND t.status = 'booked'"
        "  AND t.user_id = l.user_id AND t.price = l.amount)");
    expect_zero(c, "no booking without exactly one debit",
        "SELECT count(*) FROM tickets t WHERE t.status = 'booked' AND 1 <>"
        " (SELECT count(*) FROM ledger l WHERE l.ticket_id = t.ticket_id AND l.kind = 'pay')");
    expect_zero(c, "a booking was paid while its hold was live",
        "SELECT count(*) FROM tickets WHERE status = 'booked'"
        " AND (paid_at IS NULL OR paid_at >= hold_until)");
}
