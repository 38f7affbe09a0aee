# pg.sh: a private PostgreSQL cluster for one test (sourced after lib.sh).
# initdb in $T/pg (as the postgres user when running as root: PostgreSQL
# refuses to run as root), listening on 127.0.0.1 on a free port and on a
# unix socket in $T/pg; stopped at exit. Skips the test cleanly if there is
# no PostgreSQL. Sets PGDSN, and pg_start, pg_stop [MODE], pgq SQL.
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ] || { echo "skip: no PostgreSQL server installed"; exit 0; }
command -v psql >/dev/null || { echo "skip: no psql"; exit 0; }
PGDIR=$T/pg
PGPORT_=$(free_port)
mkdir -p "$PGDIR"
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 && PGUSER_=postgres || PGUSER_=nobody
    chmod 711 "$T"
    chown "$PGUSER_" "$PGDIR"
    AS="runuser -u $PGUSER_ --"
else
    AS=""
fi
$AS "$PGBIN/initdb" -D "$PGDIR/data" -U tickbus --auth=trust -E UTF8 >"$T/initdb.log" 2>&1 ||
    fail "initdb: $(tail -n 3 "$T/initdb.log")"
pg_start() {
    $AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w -t 30 \
        -o "-p $PGPORT_ -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
        fail "postgres did not start: $(tail -n 5 "$PGDIR/server.log")"
}
pg_stop() {
    $AS "$PGBIN/pg_ctl" -D "$PGDIR/data" -m "${1:-fast}" -w -t 30 stop >/dev/null 2>&1
}
pg_start
trap 'pg_stop immediate; cleanup' EXIT INT TERM
PGDSN="postgresql://tickbus@127.0.0.1:$PGPORT_/postgres"
pgq() { psql -X -A -t -q -d "$PGDSN" -c "$1"; }
