#!/bin/sh
# run.sh: `make bench` (QUICK=1: the short variant; the stall/mute section,
# tests/bench/stall.py, takes ~31 min of a full run and ~3 min of a QUICK one). Builds the bench
# helpers (tests/bench/*.c against build/rel/libtickbus.a, the Go peer and the
# replay server offline from Debian's Go sources), then runs bench.py, which
# measures and writes docs/PERFORMANCE.md. Go is needed only here: as root the
# missing Debian packages are installed, otherwise the apt-get line is printed.
set -eu
cd "$(dirname "$0")/../.."
BB=build/bench
LIBA=build/rel/libtickbus.a
mkdir -p "$BB"

GOPKGS="golang-go golang-github-gorilla-websocket-dev"
missing=""
for p in $GOPKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then
        echo "bench: installing:$missing" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null ||
            { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; } ||
            echo "bench: apt-get install failed:$missing (the Go peer is not measured)" >&2
    else
        echo "bench: the Go peer needs:$missing" >&2
        echo "run: sudo apt-get install -y$missing" >&2
    fi
fi

[ -f "$LIBA" ] || { echo "bench: $LIBA missing: run make first" >&2; exit 1; }
PKGS="libzmq libwebsockets jansson openssl libcurl libsystemd libpq zlib"
CFLAGS="-std=gnu11 -O2 -g -DNDEBUG -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Ilib -Ifeeds -Iaggregator -Isink $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm -pthread"
for p in benchsub feedpipe floor catchup curvebench; do
    if [ ! -x "$BB/$p" ] || [ "tests/bench/$p.c" -nt "$BB/$p" ] || [ "$LIBA" -nt "$BB/$p" ]; then
        ${CC:-cc} $CFLAGS -o "$BB/$p" "tests/bench/$p.c" "$LIBA" $LIBS
    fi
done

if command -v go >/dev/null 2>&1 && [ -d /usr/share/gocode/src/github.com/gorilla/websocket ]; then
    # offline, from the Debian source path: no module download, no proxy
    export GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE="$PWD/$BB/gocache"
    for d in peers/gofeed:gofeed replay:replay; do
        src=tests/bench/${d%%:*} out=$BB/${d##*:}
        if [ ! -x "$out" ] || [ "$src/main.go" -nt "$out" ]; then
            (cd "$src" && go build -o "$OLDPWD/$out" .)
        fi
    done
else
    rm -f "$BB/gofeed" "$BB/replay"
    echo "bench: go or gorilla/websocket missing: the Go peer and replay are not built" >&2
fi

exec /usr/bin/python3 tests/bench/bench.py
