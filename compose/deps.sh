#!/bin/sh
# deps.sh check|install: the Debian packages tickbus builds and tests with (the
# one list; the Makefile's check-deps and deps targets call this).
# check: exit 0 if all are installed, 1 otherwise (quietly).
# install: apt-get install the missing ones as root; otherwise print the exact
# sudo line and exit 69 (EX_UNAVAILABLE).
PKGS="libzmq3-dev libczmq-dev libwebsockets-dev libjansson-dev libjsmn-dev libssl-dev
libcurl4-openssl-dev libsystemd-dev libpq-dev zlib1g-dev pkg-config clang libclang-rt-14-dev
python3 python3-websockets python3-zmq
libmicrohttpd-dev prometheus gnuplot-nox jq curl python3-pandas
postgresql systemd util-linux openssl faketime golang-go"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
case "$1" in
check) [ -z "$missing" ] ;;
install)
    [ -z "$missing" ] && exit 0
    if [ "$(id -u)" != 0 ]; then
        echo "tickbus: missing Debian packages:$missing" >&2
        echo "run: sudo apt-get install -y$missing" >&2
        exit 69
    fi
    echo "tickbus: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null || true
    apt-get install -y -qq $missing >/dev/null || { echo "apt-get install failed:$missing" >&2; exit 69; }
    ;;
*) echo "usage: deps.sh check|install" >&2; exit 64 ;;
esac
