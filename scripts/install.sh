#!/bin/sh
# `make install` (as root, after the module is built): installs mod_ticket
# the Debian way. The module goes where apxs puts modules, ticket.load and
# ticket.conf into mods-available/, and a token-signing secret is created
# if there is none; an existing secret is never overwritten. Nothing is
# enabled and Apache is not restarted: the next steps are printed.
set -eu
cd "$(dirname "$0")/.."

APXS=${APXS:-apxs}
SYSCONFDIR=$("$APXS" -q SYSCONFDIR)
MODS_AVAILABLE=$SYSCONFDIR/mods-available
SECRET=$SYSCONFDIR/ticket.secret

if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root (make install)" >&2
    exit 1
fi
if [ ! -f mod_ticket/mod_ticket.la ] || [ ! -f mod_ticket/.libs/mod_ticket.so ]; then
    echo "install.sh: build the module first (make)" >&2
    exit 1
fi

"$APXS" -i -n ticket mod_ticket/mod_ticket.la

mkdir -p "$MODS_AVAILABLE"
install -m 0644 conf/ticket.load "$MODS_AVAILABLE/ticket.load"
# ticket.conf names the secret by its Debian path; follow SYSCONFDIR
sed "s|/etc/apache2/ticket.secret|$SECRET|" conf/ticket.conf \
    > "$MODS_AVAILABLE/ticket.conf"
chmod 0644 "$MODS_AVAILABLE/ticket.conf"
echo "installed $MODS_AVAILABLE/ticket.load and ticket.conf"

if [ -e "$SECRET" ]; then
    echo "kept the existing secret $SECRET"
else
    # 48 random bytes, base64: readable by root only, from the first byte
    (
        umask 077
        head -c 48 /dev/urandom | base64 -w0 > "$SECRET"
        echo >> "$SECRET"
    )
    chown root:root "$SECRET"
    chmod 0600 "$SECRET"
    echo "created the secret $SECRET (root only)"
fi

cat <<EOF

Next steps:
  1. a2enmod ticket                 (enables mod_dbd too)
  2. in $MODS_AVAILABLE/ticket.conf: DBDriver pgsql and DBDParams
     for your PostgreSQL database (package libaprutil1-dbd-pgsql)
  3. apply the migrations, in order, to that database:
       for f in $(pwd)/sql/[0-9]*.sql; do psql -v ON_ERROR_STOP=1 -1 -f "\$f" <connection>; done
  4. serve the API in a <Location>:
       <Location /api>
           SetHandler ticket
       </Location>
  5. apachectl -t && systemctl reload apache2
Every Apache host of one database needs the same secret file: copy
$SECRET to the others.
EOF
