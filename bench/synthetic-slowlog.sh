#!/usr/bin/env bash
# Usage: bench/synthetic-slowlog.sh COUNT
# The README's demo-endpoint measure: a fresh redis-server (no persistence, SLOWLOG from 10 ms)
# and one server on free ports, one POST /api/me/followers/synthetic of COUNT, /healthz polled
# every 10 ms meanwhile; prints the call's time, the slowest commands, /healthz max and p50,
# and Redis memory. Stops what it started.
set -eu
cd "$(dirname "$0")/.."
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
RP=$(free_port); HP=$(free_port); D=$(mktemp -d)
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --dir "$D" --slowlog-log-slower-than 10000 --daemonize yes --pidfile "$D/r.pid" >/dev/null
trap 'kill $SP 2>/dev/null || true; redis-cli -p $RP shutdown nosave >/dev/null 2>&1 || true; rm -rf "$D"' EXIT
sleep 0.3
PORT=$HP REDIS_URL=redis://127.0.0.1:$RP RIPPLE_TOKEN_SECRET=measure-only-secret RATE_LIMIT_SYNTHETIC_PER_MIN=100 node --import tsx server/src/main.ts > "$D/server.log" 2>&1 &
SP=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$HP/healthz" && break; sleep 0.2; done
TOKEN=$(curl -s -XPOST -H 'content-type: application/json' -d '{"handle":"measure","password":"measure-pass"}' "http://127.0.0.1:$HP/api/users" | python3 -c 'import sys,json; print(json.load(sys.stdin)["token"])')
redis-cli -p "$RP" slowlog reset > /dev/null
( for _ in $(seq 400); do curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$HP/healthz"; sleep 0.01; done ) > "$D/health.txt" &
HPID=$!
sleep 0.2
curl -s -o /dev/null -w "synthetic %{http_code} in %{time_total} s\n" -XPOST -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" -d "{\"count\":$1}" "http://127.0.0.1:$HP/api/me/followers/synthetic"
sleep 0.3; kill $HPID 2>/dev/null || true
echo "commands of 10 ms or more: $(redis-cli -p "$RP" slowlog len)"
echo "slowest (µs, command):"; redis-cli -p "$RP" --json slowlog get 128 | python3 -c 'import sys,json; [print(e[2], e[3][0]) for e in sorted(json.load(sys.stdin), key=lambda e: -e[2])[:5]]'
echo "healthz: max $(sort -n "$D/health.txt" | tail -1) s, p50 $(sort -n "$D/health.txt" | awk '{a[NR]=$1} END{print a[int(NR/2)]}') s"
redis-cli -p "$RP" info memory | grep used_memory_human
