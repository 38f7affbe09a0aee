#!/bin/sh
# install-units.sh: install tickbus's systemd units as user units (behind
# `make install-units`), with the @BINDIR@ @DATADIR@ @CONFDIR@ placeholders
# filled in. Settings come from the environment (or VAR=value arguments):
#   BINDIR   programs           (default: this tree's bin/)
#   DATADIR  data files         (default: $OUTPUT_DIR, else this tree's data/)
#   CONFDIR  tickbus.env, keys  (default: ${XDG_CONFIG_HOME:-~/.config}/tickbus)
#   UNITDIR  where units go     (default: ${XDG_CONFIG_HOME:-~/.config}/systemd/user)
#   RELOAD   1: systemctl --user daemon-reload afterwards if a manager runs (default 1)
# If CONFDIR/kalshi.key exists, feed-kalshi gets it through LoadCredential=.
set -eu
for a in "$@"; do
    case "$a" in
        BINDIR=*|DATADIR=*|CONFDIR=*|UNITDIR=*|RELOAD=*) export "$a" ;;
        -h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
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

missing=""
for p in feed-coinbase feed-kraken feed-bitstamp feed-kalshi aggregator sink-jsonl \
         sink-postgres watchdog; do
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

dropin="$UNITDIR/tickbus-feed@kalshi.service.d"
if [ -f "$CONFDIR/kalshi.key" ]; then
    mkdir -p "$dropin"
    cat > "$dropin/credential.conf" <<EOT
# written by install-units.sh because $CONFDIR/kalshi.key exists: the key
# reaches feed-kalshi as a credential (%d/kalshi.key, readable only by the
# service); --key-file wins over KALSHI_PRIV_KEY_PATH in the env file
[Service]
LoadCredential=kalshi.key:$CONFDIR/kalshi.key
ExecStart=
ExecStart=$BINDIR/feed-%i --key-file %d/kalshi.key
EOT
else
    rm -f "$dropin/credential.conf"
    rmdir "$dropin" 2>/dev/null || true
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
