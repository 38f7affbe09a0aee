# The bus works over tcp too (--pub tcp://, --sub tcp://), and topic prefixes filter. Plain tcp
# (no CURVE) is refused on both sides, named, unless --insecure says so (t_bus_curve: CURVE).
. tests/integration/lib.sh
port=$(free_port)
"$BIN/testpub" --name tcp-pub --pub "tcp://127.0.0.1:$port" --count 1 --delay-ms 0 >"$T/refpub.out" 2>&1
rc=$?
[ $rc = 64 ] || fail "a plain tcp publisher without --insecure exited $rc, want 64"
grep -q -- '--insecure' "$T/refpub.out" || fail "the refusal does not say --insecure: $(cat "$T/refpub.out")"
"$BIN/tap" --sub "tcp://127.0.0.1:$port" --count 1 --timeout 1 >"$T/refsub.out" 2>&1
rc=$?
[ $rc = 64 ] || fail "a plain tcp subscriber without --insecure exited $rc, want 64"
grep -q "tcp without CURVE is refused" "$T/refsub.out" || fail "no refusal named: $(cat "$T/refsub.out")"
bg tap "$BIN/tap" --insecure --sub "tcp://127.0.0.1:$port" --count 20 --timeout 15 want.
bg pub1 "$BIN/testpub" --insecure --name tcp-pub --pub "tcp://127.0.0.1:$port" --count 20 --gap-ms 20 --topic want.x --delay-ms 800
wait $LAST
wait_for 5 sh -c "[ \$(wc -l < $T/tap.out) -ge 20 ]" || fail "tap printed $(wc -l < "$T/tap.out") of 20 over tcp"
grep -v '^want\.x ' "$T/tap.out" && fail "unfiltered topic printed"
grep -q "WITHOUT CURVE (--insecure)" "$T/pub1.log" || fail "--insecure was not logged by the publisher"
echo ok
