#!/usr/bin/env bash
# Tombstone's memory (DESIGN §8: <= 64 KiB per idle client+server connection pair, 2,000
# sessions; a 200 MB COPY adds < 16 MB): starts a throwaway PostgreSQL 15 (max_connections
# SESSIONS+100) and Tombstone managing one soft table; streams a ~200 MB `COPY … TO STDOUT`
# through it, to a fast reader and to a slow one, sampling RSS every 20 ms; then opens SESSIONS
# idle sessions through it with psycopg2 and reports Tombstone's RSS per session.
#
# usage: sudo bash benchmarks/memory.sh
# env: SESSIONS=2000  COPY_MB=200  TOMBSTONE_BIN (default: build/bin/tombstone, built if missing)
# Not part of the test suite: it measures, it asserts nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SESSIONS=${SESSIONS:-2000}
COPY_MB=${COPY_MB:-200}
pg_bin=/usr/lib/postgresql/15/bin
python=/usr/bin/python3

[[ $(id -u) -eq 0 ]] || { echo "run as root (PostgreSQL runs as postgres)" >&2; exit 1; }
binary=${TOMBSTONE_BIN:-$repo/build/bin/tombstone}
[[ -x $binary ]] || binary=$(bash "$repo/deploy/build.sh" | tail -n 1)
# Each session is a client socket and a server socket in Tombstone, and one socket here.
ulimit -n $((SESSIONS * 2 + 1024))

work=$(mktemp -d /tmp/tombstone-mem.XXXXXX)
chown postgres:postgres "$work"
cleanup() {
  if [[ -f $work/tombstone.pid ]]; then kill "$(cat "$work/tombstone.pid")" 2>/dev/null || true; fi
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { $python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2; return 1
}
say() { printf '==> %s\n' "$*" >&2; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

pg_port=$(free_port)
say "PostgreSQL 15 on port $pg_port, max_connections $((SESSIONS + 100))"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >/dev/null
runuser -u postgres -- bash -c "ulimit -n $((SESSIONS + 1024)); '$pg_bin/pg_ctl' -D '$work/pg' \
  -l '$work/postgresql.log' -w start -o '-p $pg_port -k $work -c listen_addresses=127.0.0.1 \
  -c max_connections=$((SESSIONS + 100)) -c shared_buffers=128MB -c fsync=off'" >/dev/null
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres)
rows=$((COPY_MB * 1024 * 1024 / 208))  # ~208 bytes per COPY text line
"${psql[@]}" <<SQL
CREATE TABLE users (id bigserial PRIMARY KEY, email text, deleted_at timestamptz);
INSERT INTO users (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, 1000) g;
CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS payload FROM generate_series(1, $rows) g;
SQL

ts_port=$(free_port)
cat >"$work/tombstone.yaml" <<EOF
listen: "127.0.0.1:$ts_port"
upstream: "127.0.0.1:$pg_port"
tls: {client: {mode: disable}, upstream: {mode: disable}}
log: {level: warn}
tables:
  public.users: {strategy: soft}
EOF
"$binary" serve --config "$work/tombstone.yaml" >"$work/tombstone.log" 2>&1 &
ts_pid=$!
echo "$ts_pid" >"$work/tombstone.pid"
wait_port "$ts_port"
dsn="host=127.0.0.1 port=$ts_port dbname=postgres user=postgres"
"${psql[@]}" -p "$ts_port" -c "SELECT count(*) FROM users" >/dev/null  # warm: one full session

# COPY first, in a process that has not yet grown for 2,000 sessions (freed session memory
# would otherwise absorb, and hide, what a COPY allocates).
copy_run() {  # label, reader command: prints "label baseline_kib peak_kib seconds"
  local before peak start sampler
  before=$(rss_kib "$ts_pid")
  echo "$before" >"$work/peak"
  ( peak=0
    while kill -0 "$ts_pid" 2>/dev/null; do
      r=$(rss_kib "$ts_pid"); (( r > peak )) && peak=$r; echo "$peak" >"$work/peak"; sleep 0.02
    done ) &
  sampler=$!
  start=$EPOCHREALTIME
  "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$ts_port" -U postgres -d postgres \
    -c "COPY big TO STDOUT" | eval "$2"
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
  peak=$(cat "$work/peak")
  echo "$1 $before $peak $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}')"
}
say "COPY of ~${COPY_MB} MB through Tombstone"
fast=$(copy_run fast "cat >/dev/null")
# A reader at ~50 MB/s: Tombstone must apply backpressure, not buffer what the client lags.
slow=$(copy_run slow "$python -c 'import sys, time
while sys.stdin.buffer.read(1 << 20): time.sleep(0.02)'")

rss_idle=$(rss_kib "$ts_pid")
say "Opening $SESSIONS idle sessions through Tombstone"
# The client holds every session open (each ran one statement) until the stop file appears.
$python - "$dsn" "$SESSIONS" "$work/stop" >"$work/sessions.out" <<'PY' &
import os, sys, time, psycopg2
conns = []
for _ in range(int(sys.argv[2])):
    c = psycopg2.connect(sys.argv[1])
    c.autocommit = True
    with c.cursor() as cur:
        cur.execute("SELECT count(*) FROM users")
    conns.append(c)
print("open", len(conns), flush=True)
while not os.path.exists(sys.argv[3]):
    time.sleep(0.1)
PY
client=$!
for _ in $(seq 1 1200); do grep -q '^open' "$work/sessions.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^open' "$work/sessions.out" || { echo "sessions did not open" >&2; exit 1; }
sleep 1
rss_sessions=$(rss_kib "$ts_pid")
touch "$work/stop"
wait "$client"
sleep 1
rss_after=$(rss_kib "$ts_pid")

$python - "$SESSIONS" "$rss_idle" "$rss_sessions" "$rss_after" "$fast" "$slow" <<'PY'
import sys
n, idle, full, after = (int(x) for x in sys.argv[1:5])
print(f"Tombstone RSS: {idle} KiB warm and idle, {full} KiB with {n} idle sessions, "
      f"{after} KiB after they closed")
print(f"RSS per idle session (client+server connection pair): {(full - idle) / n:.1f} KiB")
print()
print("| COPY reader | RSS before (KiB) | peak RSS (KiB) | added (MiB) | seconds |")
print("|---|---:|---:|---:|---:|")
for run in sys.argv[5:7]:
    label, before, peak, secs = run.split()
    print(f"| {label} | {before} | {peak} | {(int(peak) - int(before)) / 1024:.1f} | "
          f"{float(secs):.1f} |")
PY
