# mockxlib.sh: helpers for mockx's own tests (sourced after lib.sh).
# mx_start ARGS...: start mockx with a TLS dir in $T and a request log at
# $T/mx.jsonl; waits for its VENUE=PORT lines and exports them as variables.
MX="$ROOT/tests/mockx"
PY=/usr/bin/python3
CA="$T/tls/ca.pem"
KEY="$ROOT/tests/fixtures/kalshi/test-key.pem"
PUB="$ROOT/tests/fixtures/kalshi/test-key.pub.pem"
mx_start() {
    nserve=0
    for a in "$@"; do case "$a" in --serve) nserve=$((nserve + 1)) ;; esac; done
    bg mockx "$BIN/mockx" --tls-dir "$T/tls" --log "$T/mx.jsonl" "$@"
    wait_for 10 sh -c "[ \$(grep -c '=' '$T/mockx.out') -ge $nserve ]" || fail "mockx did not start"
    for l in $(cat "$T/mockx.out"); do eval "$l"; done
}
# mx_log_has PATTERN: the request log has a line matching PATTERN (grep -E).
mx_log_has() { grep -Eq "$1" "$T/mx.jsonl"; }
