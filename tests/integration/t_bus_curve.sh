# The bus over tcp with CURVE (lib/curve, docs/OPERATIONS.md "Two hosts"): tickbus keygen's keys;
# a publisher admits only the public keys of its allow-file, re-read when it changes, and counts
# whom it refused in its hb; a wrong key, a wrong server key and a peer without CURVE get nothing;
# a key file others may read, or a tcp publisher without an allow-file, is refused at start;
# no secret key reaches a log.
. tests/integration/lib.sh
K=$T/keys
mkdir -m 700 "$K"
for h in a b c; do "$BIN/tickbus" keygen "$K/$h" >"$T/keygen-$h.out" || fail "tickbus keygen $h"; done
[ "$(stat -c %a "$K/a.key")" = 600 ] || fail "a.key has mode $(stat -c %a "$K/a.key"), want 600"
"$BIN/tickbus" keygen "$K/a" >/dev/null 2>"$T/keygen-again.err" && fail "keygen overwrote a key"
grep -q "never overwrites" "$T/keygen-again.err" || fail "keygen's refusal: $(cat "$T/keygen-again.err")"
{ echo "# who may read this host's bus"; grep public-key "$K/b.pub"; } > "$T/allow"
port=$(free_port)
bg hbf "$BIN/hbfake" --name hbf --expose "tcp://127.0.0.1:$port" --curve-key "$K/a.key" \
    --curve-allow "$T/allow"
wait_for 5 sh -c "grep -q 'admitted from' '$T/hbf.log'" || fail "hbfake did not read its allow-file"
EP="tcp://127.0.0.1:$port#$K/a.pub"
hb() { "$BIN/tap" --json --count 1 --timeout 5 hb.hbf 2>/dev/null | tail -n 1; }
member() { /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['curve']['$1'])"; }

# admitted: b's key is in the allow-file
"$BIN/tap" --sub "$EP" --curve-key "$K/b.key" --count 2 --timeout 8 hb.hbf >"$T/b.out" 2>"$T/b.err" \
    || fail "an admitted key got nothing: $(cat "$T/b.err")"
# a key not in the allow-file: nothing, refused_key counted, its key named in the log
"$BIN/tap" --sub "$EP" --curve-key "$K/c.key" --count 1 --timeout 3 hb.hbf >"$T/c.out" 2>"$T/c.err" \
    && fail "a key not in the allow-file was served"
[ -s "$T/c.out" ] && fail "a refused peer printed data"
grep -q "is not in that publisher's --curve-allow" "$T/c.err" || fail "the refused side was not told why"
grep -qF "its key $(sed -n 's/.*public-key = "\(.*\)".*/\1/p' "$K/c.pub") is not in --curve-allow" "$T/hbf.log" \
    || fail "the publisher did not name the refused key"
# a peer without CURVE, and a peer with the wrong server key
"$BIN/tap" --insecure --sub "tcp://127.0.0.1:$port" --count 1 --timeout 2 hb.hbf >"$T/plain.out" 2>&1 \
    && fail "a peer without CURVE was served"
"$BIN/tap" --sub "tcp://127.0.0.1:$port#$K/b.pub" --curve-key "$K/b.key" --count 1 --timeout 2 hb.hbf \
    >"$T/wrongsrv.out" 2>&1 && fail "a peer with the wrong server key was served"
h=$(hb)
[ -n "$h" ] || fail "no hb.hbf on the local ipc bus"
[ "$(echo "$h" | member refused_key)" -ge 1 ] || fail "refused_key not counted: $h"
[ "$(echo "$h" | member refused_protocol)" -ge 2 ] || fail "refused_protocol not counted: $h"
[ "$(echo "$h" | member peers)" -ge 1 ] || fail "the admitted peer not counted: $h"
# tickbus status says it too
"$BIN/tickbus" status --expect hbf --wait 2 --prefix none >"$T/status.out" 2>&1
grep -q "^hbf (tcp, CURVE): [1-9][0-9]* handshakes admitted, [1-9][0-9]* refused for a key not in the allow-file (its log names the key), [1-9][0-9]* for no CURVE" "$T/status.out" \
    || fail "tickbus status: $(cat "$T/status.out")"
# the allow-file is re-read when it changes: c admitted without a restart
grep public-key "$K/c.pub" >> "$T/allow"
"$BIN/tap" --sub "$EP" --curve-key "$K/c.key" --count 1 --timeout 8 hb.hbf >"$T/c2.out" 2>"$T/c2.err" \
    || fail "c not admitted after the allow-file changed: $(tail -n 3 "$T/hbf.log")"

# refused at start: a key file others may read; a tcp publisher without an allow-file
cp "$K/a.key" "$T/open.key" && chmod 644 "$T/open.key"
"$BIN/hbfake" --name hbf2 --expose "tcp://127.0.0.1:$(free_port)" --curve-key "$T/open.key" \
    --curve-allow "$T/allow" >"$T/open.out" 2>&1 && fail "a world-readable key was used"
grep -q "chmod 600" "$T/open.out" || fail "the mode refusal: $(cat "$T/open.out")"
"$BIN/hbfake" --name hbf3 --expose "tcp://127.0.0.1:$(free_port)" --curve-key "$K/a.key" \
    >"$T/noallow.out" 2>&1 && fail "a tcp publisher without an allow-file started"
grep -q -- "--curve-allow" "$T/noallow.out" || fail "the allow-file refusal: $(cat "$T/noallow.out")"

# no secret key in any log or output
for h in a b c; do
    sec=$(sed -n 's/.*secret-key = "\(.*\)".*/\1/p' "$K/$h.key")
    grep -rlF -- "$sec" "$T"/*.log "$T"/*.out "$T"/*.err 2>/dev/null && fail "$h's secret key is in a log"
done
echo ok
