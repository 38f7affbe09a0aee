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
# golden_check VENUE GOLDEN: the tap's quote/trade messages of VENUE (envelope stripped)
# begin with exactly those of the GOLDEN file (bin/feedreplay's output of the session
# mockx replays), waiting up to 20 s for as many as it has.
golden_check() {
    v=$1 gold=$2
    want=$(grep -Ec "^(quote|trade)\.$v" "$gold")
    wait_for 20 sh -c "[ \$(grep -Ec '^(quote|trade)\.$v' '$T/tap.out') -ge $want ]" ||
        fail "$v: fewer than $want quote/trade messages"
    python3 - "$T/tap.out" "$gold" "$v" <<'PY' || fail "$v: messages differ from the golden file"
import re, sys
tap, gold, v = sys.argv[1:]
pat = re.compile(r'^\{"src":"[^"]*","epoch":"[^"]*","seq":\d+,"ts_rx":\d+,"ts_ex":(null|-?\d+),"ts_pub":\d+,(.*)\}$')
live = []
for line in open(tap):
    topic, _, body = line.rstrip('\n').partition(' ')
    if not re.match(r'^(quote|trade)\.' + v + r'\.', topic): continue
    m = pat.match(body)
    if not m: sys.exit('bad envelope: ' + line)
    live.append('%s %s {%s}' % (topic, '-1' if m.group(1) == 'null' else m.group(1), m.group(2)))
want = [l.rstrip('\n') for l in open(gold) if re.match(r'^(quote|trade)\.', l)]
if live[:len(want)] != want:
    for i, (a, b) in enumerate(zip(live, want)):
        if a != b: print('first difference at', i, '\n live:', a, '\n want:', b); break
    sys.exit(1)
PY
}
# golden_script VENUE SCRIPT GOLDEN: mockx serving SCRIPT to feed-VENUE (--depth 10) and a
# tap; the feed's quote/trade messages must be GOLDEN's (golden_check) and a valid book must
# have been published. All three keep running for further checks until phase_end.
golden_script() {
    mockx_start --serve "$1=127.0.0.1:0" --script "$1=$2"
    phase_pids=$LAST
    tap_start
    phase_pids="$phase_pids $LAST"
    feed_start "$1" --depth 10
    phase_pids="$phase_pids $LAST"
    golden_check "$1" "$3"
    wait_for 5 seen "^book\.$1\..*\"valid\":true" || fail "$1: no valid book published from the script"
}
# phase_end NAME: stop what golden_script started and keep its tap output and mockx log as
# $T/tap-NAME.out and $T/frames-NAME.jsonl, so that the next phase starts afresh.
phase_end() {
    kill $phase_pids
    wait $phase_pids 2>/dev/null
    mv "$T/tap.out" "$T/tap-$1.out"
    mv "$T/mockx-frames.jsonl" "$T/frames-$1.jsonl"
}
