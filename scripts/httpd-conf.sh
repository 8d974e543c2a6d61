#!/bin/sh
# Prints the Apache configuration for `make run` and the tests, from
# conf/httpd.conf.in and these environment variables (defaults in brackets):
#   STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS SECRET  (required)
#   CAPACITY [100] SERVICE_TTL [600] HOLD_TTL [300] ADVANCE_INTERVAL [1]
#   LOCATION [/] LOGLEVEL [warn] EXTRA [] (more directives, one string)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
: "${STATE:?}" "${RUNDIR:?}" "${LOGDIR:?}" "${PORT:?}" "${MODULE:?}" \
  "${DBDPARAMS:?}" "${SECRET:?}"
export STATE RUNDIR LOGDIR PORT MODULE DBDPARAMS SECRET
export CAPACITY="${CAPACITY:-100}" SERVICE_TTL="${SERVICE_TTL:-600}" \
       HOLD_TTL="${HOLD_TTL:-300}" ADVANCE_INTERVAL="${ADVANCE_INTERVAL:-1}" \
       LOCATION="${LOCATION:-/}" LOGLEVEL="${LOGLEVEL:-warn}" EXTRA="${EXTRA:-}"
# awk, not sed: values may hold any character sed would read as syntax
awk '{
    while (match($0, /@[A-Z_]+@/)) {
        name = substr($0, RSTART + 1, RLENGTH - 2)
        $0 = substr($0, 1, RSTART - 1) ENVIRON[name] substr($0, RSTART + RLENGTH)
    }
    print
}' "$here/conf/httpd.conf.in"
