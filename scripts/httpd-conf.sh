#!/bin/sh
# Prints the Apache configuration for `make run`, the tests and the bench,
# from conf/httpd.conf.in and these environment variables:
#   STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS  (required)
#   SECRET [] (the TicketSecretFile; empty: none, the module stays idle)
#   LOCATION [/] LOGLEVEL [warn] EXTRA [] (more directives, one string)
#   IDENTITY [body] or remote-user (conf/identity-remote-user.conf.in)
#   WITHOUT_DBD [] 1: mod_dbd is not loaded
#   WEB [the checkout's web/] the folder served at /ui/ (the page)
# and the knobs below, each of which sets its directive when given (the
# module's own default applies otherwise: the defaults live in one place,
# mod_ticket/tk_config.h).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
: "${STATE:?}" "${RUNDIR:?}" "${LOGDIR:?}" "${PORT:?}" "${MODULE:?}" \
  "${DBDPARAMS:?}"

# knob directive
KNOBS="CAPACITY TicketCapacity
SERVICE_TTL TicketServiceTTL
HOLD_TTL TicketHoldTTL
ADVANCE_INTERVAL TicketAdvanceInterval
QUEUE TicketQueue
ADMIT_RATE TicketAdmitRate
CLAIM_TIMEOUT TicketClaimTimeout
SALE_START TicketSaleStart
LOOKUP_CACHE_MS TicketLookupCacheMs"

TICKET_KNOBS=$(printf '%s\n' "$KNOBS" | while read -r knob directive; do
    eval "value=\${$knob:-}"
    # the value is one word: a directive's argument, nothing more
    case "$value" in
        "") ;;
        *[!A-Za-z0-9:+.-]*) echo "httpd-conf.sh: $knob='$value' is not a plain value" >&2; exit 1 ;;
        *) echo "$directive $value" ;;
    esac
done)
LOCATION=${LOCATION:-/}
WEB=${WEB:-$here/web}
HEALTH_PATH=${LOCATION%/}/health
SECRET_DIRECTIVE=${SECRET:+"TicketSecretFile \"$SECRET\""}
DBD_MODULE="LoadModule dbd_module /usr/lib/apache2/modules/mod_dbd.so"
[ "${WITHOUT_DBD:-}" = 1 ] && DBD_MODULE=""
export STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS SECRET_DIRECTIVE TICKET_KNOBS \
       LOCATION HEALTH_PATH DBD_MODULE WEB
export LOGLEVEL="${LOGLEVEL:-warn}" EXTRA="${EXTRA:-}"

# fill FILE: each @NAME@ from the environment (awk, not sed: values may
# hold any character sed would read as syntax)
fill() {
    awk '{
        while (match($0, /@[A-Z_]+@/)) {
            name = substr($0, RSTART + 1, RLENGTH - 2)
            $0 = substr($0, 1, RSTART - 1) ENVIRON[name] substr($0, RSTART + RLENGTH)
        }
        print
    }' "$1"
}

case "${IDENTITY:-body}" in
    body) IDENTITY_CONF="" ;;
    remote-user) IDENTITY_CONF=$(fill "$here/conf/identity-remote-user.conf.in") ;;
    *) echo "httpd-conf.sh: IDENTITY is body or remote-user, not '$IDENTITY'" >&2; exit 1 ;;
esac
export IDENTITY_CONF
fill "$here/conf/httpd.conf.in"
