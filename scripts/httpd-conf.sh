#!/bin/sh
# Prints the Apache configuration for `make run`, the tests and the bench,
# from conf/httpd.conf.in and these environment variables:
#   STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS SECRET  (required)
#   LOCATION [/] LOGLEVEL [warn] EXTRA [] (more directives, one string)
# and the knobs below, each of which sets its directive when given (the
# module's own default applies otherwise: the defaults live in one place,
# mod_ticket/tk_config.h).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
: "${STATE:?}" "${RUNDIR:?}" "${LOGDIR:?}" "${PORT:?}" "${MODULE:?}" \
  "${DBDPARAMS:?}" "${SECRET:?}"

# knob directive
KNOBS="CAPACITY TicketCapacity
SERVICE_TTL TicketServiceTTL
HOLD_TTL TicketHoldTTL
ADVANCE_INTERVAL TicketAdvanceInterval
QUEUE TicketQueue"

TICKET_KNOBS=$(printf '%s\n' "$KNOBS" | while read -r knob directive; do
    eval "value=\${$knob:-}"
    # the value is one word: a directive's argument, nothing more
    case "$value" in
        "") ;;
        *[!A-Za-z0-9:+.-]*) echo "httpd-conf.sh: $knob='$value' is not a plain value" >&2; exit 1 ;;
        *) echo "$directive $value" ;;
    esac
done)
export STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS SECRET TICKET_KNOBS
export LOCATION="${LOCATION:-/}" LOGLEVEL="${LOGLEVEL:-warn}" EXTRA="${EXTRA:-}"
# awk, not sed: values may hold any character sed would read as syntax
awk '{
    while (match($0, /@[A-Z_]+@/)) {
        name = substr($0, RSTART + 1, RLENGTH - 2)
        $0 = substr($0, 1, RSTART - 1) ENVIRON[name] substr($0, RSTART + RLENGTH)
    }
    print
}' "$here/conf/httpd.conf.in"
