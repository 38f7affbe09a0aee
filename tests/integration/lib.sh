# lib.sh: helpers for integration tests (sourced). Each test runs in its own
# temporary directory T, with its own bus directory, and stops every process it
# started on exit (SIGCONT first: a stopped process keeps SIGTERM pending).
set -u
BIN=${BIN:-bin}
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
ROOT=$PWD
T=$(mktemp -d /tmp/tickbus-it-XXXXXX)
export TICKBUS_BUS="$T/bus"
mkdir -p "$TICKBUS_BUS" && chmod 700 "$TICKBUS_BUS"
PIDS=""

cleanup() {
    for p in $PIDS; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done
    sleep 0.2
    for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "kept $T" >&2; else rm -rf "$T"; fi
}
trap cleanup EXIT INT TERM

# bg NAME CMD...: start CMD in the background, logging to $T/NAME.log; sets $LAST.
bg() {
    name=$1; shift
    "$@" >"$T/$name.out" 2>"$T/$name.log" &
    LAST=$!
    PIDS="$PIDS $LAST"
}

fail() {
    echo "FAIL: $*" >&2
    # keep the test's directory (logs, data, bus) for a post-mortem of a failure that does
    # not repeat; cleanup names it
    KEEP=1
    # (a log a restarted program truncated while the old one still wrote has a hole of NULs)
    for f in "$T"/*.log; do [ -f "$f" ] && { echo "--- $f (tail)" >&2; tail -n 15 "$f" | tr -d '\000' >&2; }; done
    exit 1
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds or time runs out.
wait_for() {
    limit=$1; shift
    i=0
    n=$(awk "BEGIN{print int($limit*10)}")
    while [ "$i" -lt "$n" ]; do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# units_bin: print a directory holding the programs where systemd units can
# see them: PrivateTmp=yes hides /tmp from the units, so a checkout under /tmp
# (CI may clone there) is copied to /run/tickbus-bin. Call it only inside a
# private mount namespace with its own tmpfs on /run.
units_bin() {
    case "$BIN" in
    /tmp/*|/var/tmp/*) mkdir -p /run/tickbus-bin && cp -p "$BIN"/* /run/tickbus-bin/ && echo /run/tickbus-bin ;;
    *) echo "$BIN" ;;
    esac
}

# clock_at "YYYY-MM-DD HH:MM:SS": sets $AT to an `env …` prefix that runs a
# program with its realtime clock shifted so that it reads that UTC time now
# and advances normally (libfaketime, Debian's faketime package; the monotonic
# clock stays real). Programs started with the same $AT share one shifted
# clock, so a test written with fixed dates (a midnight, a day file's name)
# gives the same verdict on any real date: `bg sink $AT "$BIN/sink-jsonl" …`.
clock_at() {
    lib=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -n 1)
    [ -n "$lib" ] || fail "libfaketime missing (make deps installs faketime)"
    off=$(( $(date -u -d "$1" +%s) - $(date -u +%s) ))
    AT="env FAKETIME=$(printf '%+d' "$off")s FAKETIME_DONT_FAKE_MONOTONIC=1 LD_PRELOAD=$lib"
    # allocator_release_to_os_interval_ms=-1: ASan's allocator may read the clock while it
    # holds its lock, libfaketime's first clock_gettime then allocates, and the process
    # deadlocks at start (seen with one tickgen build in four tries out of four; never with it)
    AT="$AT ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:allocator_release_to_os_interval_ms=-1"
}
