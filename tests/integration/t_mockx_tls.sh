# mockx: creates the test CA and a server certificate for 127.0.0.1 and
# localhost; clients verifying against ca.pem connect by either name, a client
# with another CA is refused; prints VENUE=PORT for every listener; --check
# and bad options exit 64.
. tests/integration/lib.sh
. tests/integration/mockxlib.sh
mx_start --serve coinbase=127.0.0.1:0 --serve kraken=localhost:0 --serve bitstamp=127.0.0.1:0 \
    --serve kalshi=127.0.0.1:0
for v in coinbase kraken bitstamp kalshi; do
    grep -q "^$v=[0-9][0-9]*$" "$T/mockx.out" || fail "no $v=PORT line"
done
for f in ca.pem server.pem server.key; do [ -s "$T/tls/$f" ] || fail "$f not created"; done
[ "$(stat -c %a "$T/tls/server.key")" = 600 ] || fail "server.key not 0600"
openssl verify -CAfile "$CA" "$T/tls/server.pem" >/dev/null || fail "server cert not signed by ca.pem"
$PY - "$coinbase" "$CA" <<'PY' || fail "TLS verification"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
for host in ("localhost", "127.0.0.1"):
    ctx = ssl.create_default_context(cafile=ca)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname=host)
    s.close()
ctx = ssl.create_default_context()  # system CAs only: must refuse
try:
    ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
    sys.exit("accepted without the test CA")
except ssl.SSLCertVerificationError:
    pass
ctx = ssl.create_default_context(cafile=ca)
try:
    ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="wrong.example")
    sys.exit("accepted a wrong host name")
except ssl.SSLCertVerificationError:
    pass
PY
# a second mockx reuses the files (same CA)
sum1=$(md5sum <"$CA")
bg mockx2 "$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0
wait_for 10 grep -q '^kraken=' "$T/mockx2.out" || fail "second mockx did not start"
[ "$(md5sum <"$CA")" = "$sum1" ] || fail "CA regenerated although present"
"$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0 --check || fail "--check failed"
"$BIN/mockx" --tls-dir "$T/tls" --serve nasdaq=127.0.0.1:0 2>"$T/err"; [ $? -eq 64 ] || fail "bad venue not 64"
grep -q "serve" "$T/err" || fail "bad venue not named"
"$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0 --fault kraken:melt@1 2>/dev/null
[ $? -eq 64 ] || fail "bad fault not 64"
"$BIN/mockx" --tls-dir "$T/tls" --serve gemini=127.0.0.1:0 --fault gemini:gap@1 2>"$T/err"
[ $? -eq 64 ] && grep -q "gemini:gap@1.*no sequence number" "$T/err" || fail "gemini gap (no sequence) not refused"
echo '{"mockx":"dance"}' >"$T/bad.jsonl"
"$BIN/mockx" --tls-dir "$T/tls" --serve kraken=127.0.0.1:0 --script kraken="$T/bad.jsonl" 2>"$T/err"
[ $? -eq 64 ] && grep -q 'line 1: unknown directive' "$T/err" || fail "bad directive not refused"
echo ok
