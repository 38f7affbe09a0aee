# sink-postgres never waits for the database in its loop (libpq's asynchronous calls): against
# a server that accepts the TCP connection and then says nothing, its heartbeat keeps coming
# once a second and every connect attempt is given up after 3 s (connect_failures in hb). With
# the old blocking connect the loop stood still up to 3 s per attempt (no hb meanwhile).
. tests/integration/lib.sh
port=$(free_port)
/usr/bin/python3 - "$port" >"$T/silent.log" 2>&1 <<'EOF2' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16)
held = []
while True:
    c, _ = s.accept(); held.append(c)  # accept and say nothing
EOF2
PIDS="$PIDS $!"
wait_for 5 sh -c "ss -ltn | grep -q ':$port '" || fail "silent server did not listen"
bg pgsink "$BIN/sink-postgres" --dsn "host=127.0.0.1 port=$port dbname=x user=x" --backoff-max 0.2
"$BIN/tap" --json --timeout 9 hb.sink-postgres >"$T/hb.jsonl" 2>"$T/tap.log"
/usr/bin/python3 - "$T/hb.jsonl" <<'EOF2' || fail "the loop stood still"
import json, sys
hb = [json.loads(l) for l in open(sys.argv[1])]
t = [h["ts_pub"] / 1e9 for h in hb]
gaps = [b - a for a, b in zip(t, t[1:])]
fails = hb[-1].get("connect_failures", 0) if hb else 0
print(f"hb={len(hb)} max_gap_s={max(gaps):.2f} connect_failures={fails} connected={hb[-1].get('connected')}")
assert len(hb) >= 6, "too few heartbeats"
assert max(gaps) < 1.6, "a heartbeat came late: the loop was held"
assert fails >= 2, "connect attempts were not given up"
EOF2
echo ok
