#!/bin/sh
# install-units.sh: install tickbus's systemd units as user units (behind
# `make install-units`), with the @BINDIR@ @DATADIR@ @CONFDIR@ placeholders
# filled in. Settings come from the environment (or VAR=value arguments):
#   BINDIR   programs           (default: this tree's bin/)
#   DATADIR  data files         (default: $OUTPUT_DIR, else this tree's data/)
#   CONFDIR  tickbus.env, keys  (default: ${XDG_CONFIG_HOME:-~/.config}/tickbus)
#   UNITDIR  where units go     (default: ${XDG_CONFIG_HOME:-~/.config}/systemd/user)
#   RELOAD   1: systemctl --user daemon-reload afterwards if a manager runs (default 1)
#   FORCE    1: accept a DATADIR under /tmp or /var/tmp (the units cannot write there)
#   TWO_HOSTS  a or b: this is host A or B of two (docs/OPERATIONS.md, "Two hosts"): the other
#            host's aggregator unit is kept from starting here (empty: one host, both run)
set -eu
for a in "$@"; do
    case "$a" in
        BINDIR=*|DATADIR=*|CONFDIR=*|UNITDIR=*|RELOAD=*|FORCE=*|TWO_HOSTS=*) export "$a" ;;
        -h|--help) sed -n '2,13s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) echo "install-units: unknown argument '$a' (see --help)" >&2; exit 64 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cfg=${XDG_CONFIG_HOME:-${HOME:?}/.config}
BINDIR=${BINDIR:-$root/bin}
DATADIR=${DATADIR:-${OUTPUT_DIR:-$root/data}}
CONFDIR=${CONFDIR:-$cfg/tickbus}
UNITDIR=${UNITDIR:-$cfg/systemd/user}
RELOAD=${RELOAD:-1}

# absolute, and nothing systemd would read as a specifier, quote or separator
abspath() {
    case "$1" in /*) p=$1 ;; *) p=$PWD/$1 ;; esac
    case "$p" in
        *[!A-Za-z0-9_./@+-]*)
            echo "install-units: $2=$p: use a path of letters, digits and _ . / @ + - only" >&2
            exit 64 ;;
    esac
    printf '%s\n' "$p"
}
BINDIR=$(abspath "$BINDIR" BINDIR)
DATADIR=$(abspath "$DATADIR" DATADIR)
CONFDIR=$(abspath "$CONFDIR" CONFDIR)
UNITDIR=$(abspath "$UNITDIR" UNITDIR)
case "$DATADIR/" in
    /tmp/*|/var/tmp/*)
        if [ "${FORCE:-0}" != 1 ]; then
            echo "install-units: DATADIR=$DATADIR: the units run with PrivateTmp=yes, so they" \
                 "cannot write under /tmp or /var/tmp (sink-jsonl would fail with status 226);" \
                 "choose another directory (FORCE=1 installs anyway)" >&2
            exit 64
        fi ;;
esac

missing=""
for p in feed-coinbase feed-kraken feed-bitstamp feed-gemini feed-cryptocom feed-kalshi aggregator sink-jsonl \
         sink-postgres watchdog tickbus-freshness; do
    [ -x "$BINDIR/$p" ] || missing="$missing $p"
done
[ -z "$missing" ] || echo "install-units: warning: not built in $BINDIR:$missing (their units will fail to start)" >&2

mkdir -p "$UNITDIR" "$DATADIR"
(umask 077 && mkdir -p "$CONFDIR")
fill() {
    sed -e "s|@BINDIR@|$BINDIR|g" -e "s|@DATADIR@|$DATADIR|g" -e "s|@CONFDIR@|$CONFDIR|g" "$1"
}
n=0
for f in "$here"/*.service "$here"/*.timer "$here"/*.target; do
    [ -f "$f" ] || continue
    fill "$f" > "$UNITDIR/$(basename "$f").tmp"
    mv "$UNITDIR/$(basename "$f").tmp" "$UNITDIR/$(basename "$f")"
    n=$((n + 1))
done

# Series besides KXBTC15M (docs/SERIES.md): SERIES_TICKER from the environment, else from the
# env file; each gets tickbus-aggregator@, tickbus-aggregator-b@ and tickbus-sink-jsonl@ instances,
# wanted by tickbus.target and watched by the watchdog (drop-ins, rewritten at each install)
series=${SERIES_TICKER:-}
if [ -z "$series" ] && [ -f "$CONFDIR/tickbus.env" ]; then
    series=$(sed -n 's/^SERIES_TICKER=//p' "$CONFDIR/tickbus.env" | tail -n 1 | tr -d "\"'")
fi
rm -f "$UNITDIR/tickbus.target.d/series.conf" "$UNITDIR/tickbus-watchdog.service.d/series.conf"
if [ -n "$series" ] && [ -x "$BINDIR/tickbus" ]; then
    list=$(SERIES_TICKER="$series" "$BINDIR/tickbus" series list) || {
        echo "install-units: SERIES_TICKER=$series: see the message above" >&2; exit 64; }
    wants="" watch=""
    while read -r t agg sink rest; do
        [ -n "$t" ] && [ "$t" != KXBTC15M ] || continue
        i=$(echo "$t" | tr 'A-Z' 'a-z')
        wants="$wants tickbus-aggregator@$i.service tickbus-aggregator-b@$i.service tickbus-sink-jsonl@$i.service"
        watch="$watch $agg=tickbus-aggregator@$i.service $agg-b=tickbus-aggregator-b@$i.service $sink=tickbus-sink-jsonl@$i.service"
    done <<EOF
$list
EOF
    if [ -n "$wants" ]; then
        mkdir -p "$UNITDIR/tickbus.target.d" "$UNITDIR/tickbus-watchdog.service.d"
        printf '# written by install-units.sh for SERIES_TICKER=%s\n[Unit]\nWants=%s\n' \
            "$series" "${wants# }" >"$UNITDIR/tickbus.target.d/series.conf"
        base=$(sed -n 's/^Environment="TICKBUS_WATCHDOG_UNIT=\(.*\)"$/\1/p' "$here/tickbus-watchdog.service")
        printf '# written by install-units.sh for SERIES_TICKER=%s\n[Service]\nEnvironment="TICKBUS_WATCHDOG_UNIT=%s%s"\n' \
            "$series" "$base" "$watch" >"$UNITDIR/tickbus-watchdog.service.d/series.conf"
        echo "install-units: series$(echo "$list" | awk '{printf " %s", $1}'): their aggregators and sinks wanted by tickbus.target"
    fi
fi

# Two hosts: each runs one of the two aggregators. `systemctl --user mask` cannot hide a unit
# installed in this same directory, and tickbus.target wants both, so the other one gets a
# drop-in whose condition never holds: systemd skips it (not a failure).
two=${TWO_HOSTS:-}
for u in tickbus-aggregator tickbus-aggregator-b; do rm -f "$UNITDIR/$u.service.d/two-hosts.conf"; done
case "$two" in
    "") ;;
    a|b)
        other=tickbus-aggregator-b; [ "$two" = b ] && other=tickbus-aggregator
        mkdir -p "$UNITDIR/$other.service.d"
        printf '# written by install-units.sh TWO_HOSTS=%s: the other host runs this aggregator
[Unit]
ConditionPathExists=!/
' \
            "$two" >"$UNITDIR/$other.service.d/two-hosts.conf"
        echo "install-units: host $two of two: $other.service will not start here; add compose/two-hosts/host-$two.env to $CONFDIR/tickbus.env (docs/OPERATIONS.md, \"Two hosts\")" ;;
    *) echo "install-units: TWO_HOSTS=$two: a or b (or empty for one host)" >&2; exit 64 ;;
esac

# The Kalshi key stays a mode-0600 file (KALSHI_PRIV_KEY_PATH in tickbus.env):
# LoadCredential= gave an empty credential directory under the systemd 252
# user manager (tested), so it is left to system-wide installs.
if [ -f "$CONFDIR/kalshi.key" ] && [ -n "$(find "$CONFDIR/kalshi.key" -perm /077)" ]; then
    echo "install-units: warning: $CONFDIR/kalshi.key is readable by others: chmod 600 it" >&2
fi
if [ ! -f "$CONFDIR/tickbus.env" ]; then
    (umask 077 && fill "$here/tickbus.env.example" > "$CONFDIR/tickbus.env")
    echo "install-units: wrote $CONFDIR/tickbus.env (mode 0600): put your Kalshi key id there"
fi
echo "install-units: $n units in $UNITDIR (programs $BINDIR, data $DATADIR)"
if [ "$RELOAD" = 1 ] && systemctl --user is-system-running >/dev/null 2>&1; then
    systemctl --user daemon-reload && echo "install-units: reloaded the user manager"
    echo "start: systemctl --user start tickbus.target   (at login: systemctl --user enable tickbus.target)"
else
    echo "install-units: no user manager reachable; later: systemctl --user daemon-reload && systemctl --user start tickbus.target"
fi
