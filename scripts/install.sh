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

# apxs (libtool) is verbose: its output goes to a log, shown on failure
mkdir -p build
"$APXS" -i -n ticket mod_ticket/mod_ticket.la > build/apxs-install.log 2>&1 \
    || { cat build/apxs-install.log >&2; exit 1; }
echo "installed $("$APXS" -q LIBEXECDIR)/mod_ticket.so"

mkdir -p "$MODS_AVAILABLE"
install -m 0644 conf/ticket.load "$MODS_AVAILABLE/ticket.load"
echo "installed $MODS_AVAILABLE/ticket.load"
# ticket.conf names the secret by its Debian path; follow SYSCONFDIR. Like
# dpkg with a conffile, a ticket.conf edited locally is kept and the new
# one goes beside it.
new_conf=$(mktemp)
trap 'rm -f "$new_conf"' EXIT
sed "s|/etc/apache2/ticket.secret|$SECRET|" conf/ticket.conf > "$new_conf"
conf=$MODS_AVAILABLE/ticket.conf
if [ -e "$conf" ] && ! cmp -s "$new_conf" "$conf"; then
    install -m 0644 "$new_conf" "$conf.new"
    echo "kept $conf (it differs from this version's); the new one is $conf.new"
else
    install -m 0644 "$new_conf" "$conf"
    echo "installed $conf"
fi

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
  1. a2enmod ticket         (enables mod_dbd too; PostgreSQL needs the
                             package libaprutil1-dbd-pgsql)
  2. roles ticket_owner (no login) and ticket (the module's, with a
     password), a database owned by ticket_owner (README.md, "For ops",
     step 3); then, as a superuser, with the password in ~/.pgpass:
       make migrate DB='host=… dbname=ticket user=postgres'
       make catalogue DB='host=… dbname=ticket user=postgres' FILE=sale.json
  3. DBDriver pgsql and DBDParams (with the ticket role's password) in the
     main server config, in a file only root may read, for example
     /etc/apache2/conf-available/ticket-db.conf (mode 0600), then
     a2enconf ticket-db
  4. serve the API in a <Location>, for example (with TicketIdentity
     RemoteUser, the site's authentication instead of Require all granted):
       <Location /api>
           SetHandler ticket
           Require all granted
       </Location>
  5. apachectl -t, then reload Apache
Every Apache host of one database needs the same secret: copy
$SECRET to the others.
EOF
