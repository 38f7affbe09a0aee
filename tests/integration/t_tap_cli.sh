# tap: --help describes every option; --timeout with no message exits 1 with a
# clear message; a bus directory owned by someone else is refused.
. tests/integration/lib.sh
help=$("$BIN/tap" --help) || fail "--help failed"
for o in --bus --sub --count --timeout --json --name --check; do
    echo "$help" | grep -q -- "$o" || fail "--help does not describe $o"
done
"$BIN/tap" --timeout 1 >/dev/null 2>"$T/err" && fail "timeout without messages exited 0"
grep -q 'no message' "$T/err" || fail "unclear timeout message: $(cat "$T/err")"
"$BIN/tap" --count x 2>"$T/err"; [ $? -eq 64 ] || fail "bad --count not exit 64"
grep -q -- "--count: bad value 'x'" "$T/err" || fail "bad value not named: $(cat "$T/err")"
mkdir -m 700 "$T/newbus" && rmdir "$T/newbus"
"$BIN/tap" --bus "$T/newbus" --timeout 0.2 2>/dev/null
[ "$(stat -c %a "$T/newbus")" = 700 ] || fail "bus directory not created 0700"
if [ "$(id -u)" = 0 ]; then
    mkdir "$T/other" && chown 65534 "$T/other"
    "$BIN/tap" --bus "$T/other" --timeout 1 2>"$T/err"; rc=$?
    [ $rc -eq 64 ] || fail "foreign bus directory not refused as a bad --bus (rc=$rc)"
    grep -q -- "--bus: bad value.*owned by uid 65534" "$T/err" || fail "refusal unclear: $(cat "$T/err")"
fi
echo ok
