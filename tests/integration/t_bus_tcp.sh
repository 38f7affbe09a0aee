# The bus works over tcp too (--pub tcp://, --sub tcp://), and topic prefixes filter.
. tests/integration/lib.sh
port=$(free_port)
bg tap "$BIN/tap" --sub "tcp://127.0.0.1:$port" --count 20 --timeout 15 want.
bg pub1 "$BIN/testpub" --name tcp-pub --pub "tcp://127.0.0.1:$port" --count 20 --gap-ms 20 --topic want.x --delay-ms 800
wait $LAST
wait_for 5 sh -c "[ \$(wc -l < $T/tap.out) -ge 20 ]" || fail "tap printed $(wc -l < "$T/tap.out") of 20 over tcp"
grep -v '^want\.x ' "$T/tap.out" && fail "unfiltered topic printed"
echo ok
