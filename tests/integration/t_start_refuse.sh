# Start-up refusals (issue 16, weaker points): a clear error naming the option
# and exit 64, never a prompt, never a change to someone else's directory.
# 1. --ca-file that is not a PEM CA (garbage, a key, an empty file): feed-kraken
#    and feed-kalshi exit 64 naming --ca-file; a real PEM certificate is taken.
# 2. A passphrase-protected Kalshi key: exit 64 naming --key-file at once, both
#    on a terminal (script(1) gives it a pty: before, OpenSSL prompted there and
#    waited) and with no terminal at all.
# 3. --bus at an existing directory with mode 1777 or 0755: exit 64 naming
#    --bus, its mode unchanged (before: silently chmod'ed to 0700); our own
#    0700 directory and a new path (created 0700) are taken.
# 4. --catchup not of the form SRC@ENDPOINT: both sinks exit 64 naming --catchup
#    (before: accepted at --check, refused only once running).
. tests/integration/lib.sh
expect64() { # expect64 OPTION LOG CMD...: CMD exits 64 and LOG names --OPTION
    opt=$1; log=$2; shift 2
    "$@" >"$log" 2>&1 </dev/null
    rc=$?
    [ "$rc" = 64 ] || fail "$* exited $rc, not 64: $(cat "$log")"
    grep -q -- "--$opt" "$log" || fail "$*: the error does not name --$opt: $(cat "$log")"
}
KEY=tests/fixtures/kalshi/test-key.pem
cp "$KEY" "$T/key.pem" && chmod 600 "$T/key.pem"

# 1. CA files
printf 'this is not a certificate\n' >"$T/garbage.pem"
: >"$T/empty.pem"
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!!\n-----END CERTIFICATE-----\n' >"$T/broken.pem"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 \
    -subj /CN=tickbus-test-ca >/dev/null 2>&1 || fail "openssl req"
for f in garbage empty broken ca.key; do
    case $f in ca.key) p=$T/ca.key ;; *) p=$T/$f.pem ;; esac
    expect64 ca-file "$T/ca_$f.log" "$BIN/feed-kraken" --check --ca-file "$p"
    expect64 ca-file "$T/ca_k_$f.log" "$BIN/feed-kalshi" --check --ca-file "$p"
done
cat "$T/ca_garbage.log"
"$BIN/feed-kraken" --check --ca-file "$T/ca.pem" >"$T/ca_ok.log" 2>&1 || fail "a real CA refused: $(cat "$T/ca_ok.log")"
"$BIN/feed-kalshi" --check --ca-file "$T/ca.pem" >"$T/ca_k_ok.log" 2>&1 ||
    fail "feed-kalshi refused a real CA: $(cat "$T/ca_k_ok.log")"

# 2. a passphrase-protected key, on a terminal and without one
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -aes256 -pass pass:x \
    -out "$T/enc.pem" 2>/dev/null || fail "openssl genpkey"
chmod 600 "$T/enc.pem"
start=$(date +%s)
timeout 20 script -qec "$BIN/feed-kalshi --check --key-id k --key-file $T/enc.pem" /dev/null \
    >"$T/pty.log" 2>&1 </dev/null
rc=$?
[ "$rc" = 64 ] || fail "on a terminal: exit $rc (124: it waited for a passphrase): $(cat "$T/pty.log")"
grep -q 'pass phrase\|passphrase:' "$T/pty.log" && fail "it prompted: $(cat "$T/pty.log")"
grep -q -- '--key-file.*passphrase-protected' "$T/pty.log" || fail "no clear error: $(cat "$T/pty.log")"
[ $(( $(date +%s) - start )) -le 5 ] || fail "took $(( $(date +%s) - start )) s"
expect64 key-file "$T/nottY.log" setsid "$BIN/feed-kalshi" --check --key-id k --key-file "$T/enc.pem"
sed -n 1p "$T/pty.log"
"$BIN/feed-kalshi" --check --key-id k --key-file "$T/key.pem" >"$T/key_ok.log" 2>&1 ||
    fail "the plain key refused: $(cat "$T/key_ok.log")"

# 3. --bus directories
mkdir "$T/shared" && chmod 1777 "$T/shared"
mkdir "$T/open" && chmod 755 "$T/open"
expect64 bus "$T/bus_1777.log" "$BIN/sink-jsonl" --check --dir "$T/data" --bus "$T/shared"
expect64 bus "$T/bus_755.log" "$BIN/sink-jsonl" --check --dir "$T/data" --bus "$T/open"
cat "$T/bus_1777.log"
[ "$(stat -c %a "$T/shared")" = 1777 ] || fail "1777 directory changed to $(stat -c %a "$T/shared")"
[ "$(stat -c %a "$T/open")" = 755 ] || fail "0755 directory changed to $(stat -c %a "$T/open")"
mkdir "$T/mine" && chmod 700 "$T/mine"
"$BIN/sink-jsonl" --check --dir "$T/data" --bus "$T/mine" >"$T/bus_mine.log" 2>&1 ||
    fail "our own 0700 directory refused: $(cat "$T/bus_mine.log")"
"$BIN/sink-jsonl" --check --dir "$T/data" --bus "$T/new" >"$T/bus_new.log" 2>&1 ||
    fail "a new bus path refused: $(cat "$T/bus_new.log")"
[ "$(stat -c %a "$T/new")" = 700 ] || fail "new bus directory mode $(stat -c %a "$T/new")"
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
    mkdir "$T/theirs" && chmod 700 "$T/theirs" && chown nobody "$T/theirs"
    expect64 bus "$T/bus_theirs.log" "$BIN/sink-jsonl" --check --dir "$T/data" --bus "$T/theirs"
fi
# 4. a --catchup without SRC@: both sinks refuse it before anything starts
expect64 catchup "$T/catchup.log" "$BIN/sink-jsonl" --check --dir "$T/data" --catchup tcp://127.0.0.1:1
expect64 catchup "$T/catchup_pg.log" "$BIN/sink-postgres" --check --catchup "@ipc:///x.hist"
# ... and a tcp one without CURVE (no server key, no --insecure), as a tcp --sub would be
expect64 catchup "$T/catchup_tcp.log" "$BIN/sink-jsonl" --check --dir "$T/data" \
    --catchup aggregator-b@tcp://127.0.0.1:1
grep -q "tcp without CURVE is refused" "$T/catchup_tcp.log" || fail "tcp catch-up refusal: $(cat "$T/catchup_tcp.log")"
echo ok
