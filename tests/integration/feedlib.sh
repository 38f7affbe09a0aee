# feedlib.sh: helpers for the t_feed_* tests (sourced after lib.sh): mockx with
# its own test CA, the feeds pointed at it with --ca-file, a tap recording
# every bus message, and small queries on what the tap saw.
FX="$ROOT/tests/fixtures/exchanges"

# mockx_start ARGS...: start mockx (TLS dir $T/tls) and wait for its ports.
mockx_start() {
    nserve=$(printf '%s\n' "$@" | grep -c '^--serve$')
    bg mockx "$BIN/mockx" --tls-dir "$T/tls" --log "$T/mockx-frames.jsonl" "$@"
    wait_for 15 sh -c "[ \$(grep -c = '$T/mockx.out') -ge $nserve ]" || fail "mockx did not start"
}
port_of() { sed -n "s/^$1=//p" "$T/mockx.out"; }
url_of() {
    case $1 in kraken) echo "wss://127.0.0.1:$(port_of kraken)/v2" ;;
    *) echo "wss://127.0.0.1:$(port_of "$1")" ;; esac
}
# feed_start VENUE ARGS...: feed-VENUE against mockx, log in $T/feed-VENUE.log.
feed_start() {
    v=$1; shift
    bg "feed-$v" "$BIN/feed-$v" --url "$(url_of "$v")" --ca-file "$T/tls/ca.pem" "$@"
}
tap_start() { bg tap "$BIN/tap"; }
# seen PATTERN: the tap printed a line matching the extended regex PATTERN.
seen() { grep -Eq "$1" "$T/tap.out"; }
count() { grep -Ec "$1" "$T/tap.out"; }
# hb VENUE KEY: KEY from the newest hb.feed-VENUE detail (top level or venue object).
hb() {
    grep "^hb.feed-$1 " "$T/tap.out" | tail -n 1 | cut -d' ' -f2- |
        python3 -c "import json,sys; d=json.loads(sys.stdin.read()); v=d.get('$1',{}); print(json.dumps(v.get('$2', d.get('$2'))))"
}
hb_ge() { [ "$(hb "$1" "$2")" -ge "$3" ] 2>/dev/null; }
# after PATTERN1 PATTERN2: a line matching PATTERN2 follows one matching PATTERN1.
after() { awk -v a="$1" -v b="$2" '$0 ~ a {s=1; next} s && $0 ~ b {f=1} END {exit !f}' "$T/tap.out"; }
# script NAME LINES...: write a mockx script from fixture lines and directives.
script() { n=$1; shift; printf '%s\n' "$@" >"$T/$n.jsonl"; echo "$T/$n.jsonl"; }
