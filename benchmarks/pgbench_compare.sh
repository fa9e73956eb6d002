#!/usr/bin/env bash
# Tombstone against a direct connection and PgBouncer, in one run on one machine (DESIGN §8).
#
# Starts a throwaway PostgreSQL 15, `pgbench -i -s SCALE`, soft-deletes ~10% of pgbench_accounts
# (deleted_at + a partial index on live rows), then starts PgBouncer (session mode) and two
# Tombstones: one with no managed tables, one managing pgbench_accounts (soft) and
# pgbench_history (archive). Targets run interleaved — direct, pgbouncer, tombstone-plain,
# tombstone-managed, direct, … — for ROUNDS rounds of DURATION seconds per pgbench mode, so
# that the machine's noise hits every target alike. Prints medians of TPS and of p50/p99
# latency (from pgbench's per-transaction logs) and the Tombstone/direct and Tombstone/PgBouncer
# ratios.
#
# usage: sudo bash benchmarks/pgbench_compare.sh
# env: DURATION=10 ROUNDS=3 CLIENTS=8 THREADS=2 SCALE=10 MODES="simple extended prepared"
#      CUSTOM_MODES="simple prepared" (the join + DELETE/INSERT script; empty to skip)
#      TARGETS="direct pgbouncer tombstone-plain tombstone-managed" (a subset to compare fewer)
#      TOMBSTONE_BIN (default: build/bin/tombstone, built if missing) OUT (results directory)
# Not part of the test suite: it measures, it asserts nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-8}
THREADS=${THREADS:-2}
SCALE=${SCALE:-10}
MODES=${MODES:-simple extended prepared}
CUSTOM_MODES=${CUSTOM_MODES-simple prepared}
read -r -a targets <<<"${TARGETS:-direct pgbouncer tombstone-plain tombstone-managed}"
wants() { [[ " ${targets[*]} " == *" $1 "* ]]; }
pg_bin=/usr/lib/postgresql/15/bin
python=/usr/bin/python3

[[ $(id -u) -eq 0 ]] || { echo "run as root (PostgreSQL and PgBouncer run as postgres)" >&2; exit 1; }
binary=${TOMBSTONE_BIN:-$repo/build/bin/tombstone}
if wants tombstone-plain || wants tombstone-managed; then
  [[ -x $binary ]] || binary=$(bash "$repo/deploy/build.sh" | tail -n 1)
fi

work=$(mktemp -d /tmp/tombstone-bench.XXXXXX)
OUT=${OUT:-$work/results}
mkdir -p "$OUT" "$work/log"
chown postgres:postgres "$work"
cleanup() {
  # Tombstones and PgBouncer leave pid files in $work (they start inside $(...) subshells).
  local f
  for f in "$work"/*.pid; do
    if [[ -f $f ]]; then kill "$(cat "$f")" 2>/dev/null || true; fi
  done
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
  # Keep the results, drop the cluster and the raw logs.
  rm -rf "$work/pg" "$work/log"
}
trap cleanup EXIT

free_port() { $python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "nothing listens on port $1" >&2; return 1
}
say() { printf '==> %s\n' "$*" >&2; }

pg_port=$(free_port)
say "PostgreSQL 15 on port $pg_port (scale $SCALE)"
runuser -u postgres -- "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 \
  --locale=C.UTF-8 >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/postgresql.log" -w start -o \
  "-p $pg_port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off \
   -c synchronous_commit=off -c shared_buffers=256MB" >/dev/null
psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres)
"${psql[@]}" -d postgres -c "CREATE DATABASE bench"
"$pg_bin/pgbench" -i -q -s "$SCALE" -h 127.0.0.1 -p "$pg_port" -U postgres bench 2>"$work/init.log"
"${psql[@]}" -d bench <<SQL
ALTER TABLE pgbench_accounts ADD COLUMN deleted_at timestamptz;
UPDATE pgbench_accounts SET deleted_at = now() - interval '1 day' WHERE aid % 10 = 0;
CREATE INDEX pgbench_accounts_live ON pgbench_accounts (aid) WHERE deleted_at IS NULL;
CREATE TABLE pgbench_history_archive (LIKE pgbench_history, archived_at timestamptz NOT NULL DEFAULT now(), archived_by text);
CREATE INDEX ON pgbench_history (aid);
CREATE SEQUENCE bench_aid_seq START $((100000 * SCALE + 1));
VACUUM ANALYZE;
SQL

bouncer_port=$(free_port)
say "PgBouncer $(pgbouncer --version | head -n1 | awk '{print $2}') (session mode) on port $bouncer_port"
cat >"$work/pgbouncer.ini" <<EOF
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 40
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
EOF
echo '"postgres" ""' >"$work/userlist.txt"
chown postgres:postgres "$work/pgbouncer.ini" "$work/userlist.txt"
runuser -u postgres -- pgbouncer -d -q "$work/pgbouncer.ini"
wait_port "$bouncer_port"

start_tombstone() {  # name, tables yaml
  local port metrics
  port=$(free_port); metrics=$(free_port)
  cat >"$work/$1.yaml" <<EOF
listen: "127.0.0.1:$port"
upstream: "127.0.0.1:$pg_port"
tls: {client: {mode: disable}, upstream: {mode: disable}}
metrics: "127.0.0.1:$metrics"
log: {level: warn}
$2
EOF
  say "Tombstone $("$binary" --version | awk '{print $2}') ($1) on port $port"
  "$binary" serve --config "$work/$1.yaml" >"$work/$1.log" 2>&1 &
  echo $! >"$work/$1.pid"
  echo "$metrics" >"$work/$1.metrics-port"
  wait_port "$port"
  echo "$port"
}
declare -A port=([direct]=$pg_port [pgbouncer]=$bouncer_port)
if wants tombstone-plain; then port[tombstone-plain]=$(start_tombstone tombstone-plain ""); fi
if wants tombstone-managed; then
  port[tombstone-managed]=$(start_tombstone tombstone-managed "tables:
  public.pgbench_accounts: {strategy: soft}
  public.pgbench_history: {strategy: archive}")
fi

# The managed Tombstone really filters (90% of the rows), the plain one really does not.
if wants tombstone-managed; then
  seen=$("${psql[@]}" -At -p "${port[tombstone-managed]}" -d bench -c "SELECT count(*) FROM pgbench_accounts")
  [[ $seen == $((90000 * SCALE)) ]] || { echo "tombstone-managed shows $seen rows" >&2; exit 1; }
fi
if wants tombstone-plain; then
  seen=$("${psql[@]}" -At -p "${port[tombstone-plain]}" -d bench -c "SELECT count(*) FROM pgbench_accounts")
  [[ $seen == $((100000 * SCALE)) ]] || { echo "tombstone-plain shows $seen rows" >&2; exit 1; }
fi

# One pgbench run: appends "workload mode target round tps p50_ms p99_ms" to raw.txt.
run_one() {  # workload mode target round
  local workload=$1 mode=$2 target=$3 round=$4 prefix script_args=(-S) out tps
  prefix="$work/log/$workload.$mode.$target.$round"
  [[ $workload == select ]] || script_args=(-f "$repo/benchmarks/pgbench_join_delete.sql")
  out=$("$pg_bin/pgbench" "${script_args[@]}" -n -c "$CLIENTS" -j "$THREADS" -T "$DURATION" \
        -M "$mode" -l --log-prefix="$prefix" -h 127.0.0.1 -p "${port[$target]}" -U postgres \
        bench 2>&1) || { echo "$out" >&2; return 1; }
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out" | tail -n 1)
  # A proxy that answered with errors would look fast: every run must be error-free.
  if grep -qE 'aborted|^number of failed transactions: [1-9]' <<<"$out" || [[ -z $tps ]]; then
    echo "$out" >&2
    echo "pgbench reported errors against $target; see the output above" >&2
    return 1
  fi
  # Per-transaction log: client_id transaction_no latency_us script_no epoch_s epoch_us.
  $python - "$prefix" "$workload $mode $target $round $tps" >>"$OUT/raw.txt" <<'PY'
import glob, sys
lat = []
for name in glob.glob(sys.argv[1] + ".*"):
    with open(name) as f:
        lat.extend(int(line.split()[2]) for line in f if line.strip())
lat.sort()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0 if lat else float("nan")
print(f"{sys.argv[2]} {pick(0.50):.3f} {pick(0.99):.3f}")
PY
  rm -f "$prefix".*
  tail -n 1 "$OUT/raw.txt" >&2
}

: >"$OUT/raw.txt"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
workloads=(select)
[[ -z $CUSTOM_MODES ]] || workloads+=(join_delete)
for workload in "${workloads[@]}"; do
  modes=$MODES
  [[ $workload == select ]] || modes=$CUSTOM_MODES
  for round in $(seq 1 "$ROUNDS"); do
    for mode in $modes; do
      for target in "${targets[@]}"; do
        say "$workload -M $mode, round $round/$ROUNDS: $target"
        run_one "$workload" "$mode" "$target" "$round"
      done
    done
  done
done

{
  echo "Machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)," \
       "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  # Other work on the machine skews every ratio (it steals CPU from whichever target has fewer
  # processes): report it so a noisy run is recognizable.
  echo "Load average (1/5/15 min) before: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), PgBouncer" \
       "$(pgbouncer --version | head -n1 | awk '{print $2}') (session), Tombstone" \
       "$("$binary" --version 2>/dev/null | awk '{print $2}'); pgbench -c $CLIENTS -j $THREADS, scale $SCALE," \
       "$ROUNDS rounds x ${DURATION}s interleaved; medians"
  echo
  $python - "$OUT/raw.txt" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    workload, mode, target, _round, tps, p50, p99 = line.split()
    runs[(workload, mode, target)].append((float(tps), float(p50), float(p99)))
targets = ["direct", "pgbouncer", "tombstone-plain", "tombstone-managed"]
med = lambda xs: statistics.median(xs)
print("| workload | mode | target | TPS | p50 ms | p99 ms |")
print("|---|---|---|---:|---:|---:|")
keys = sorted({(w, m) for w, m, _ in runs}, key=lambda k: (k[0] != "select", k[1]))
for w, m in keys:
    for t in targets:
        r = runs.get((w, m, t))
        if r:
            print(f"| {w} | {m} | {t} | {med([x[0] for x in r]):.0f} | "
                  f"{med([x[1] for x in r]):.3f} | {med([x[2] for x in r]):.3f} |")
print()
print("| workload | mode | managed/direct | managed/pgbouncer | plain/pgbouncer |")
print("|---|---|---:|---:|---:|")
for w, m in keys:
    tps = {t: med([x[0] for x in runs[(w, m, t)]]) for t in targets if (w, m, t) in runs}
    ratio = lambda a, b: f"{tps[a] / tps[b]:.2f}" if tps.get(a) and tps.get(b) else "n/a"
    print(f"| {w} | {m} | {ratio('tombstone-managed', 'direct')} | "
          f"{ratio('tombstone-managed', 'pgbouncer')} | {ratio('tombstone-plain', 'pgbouncer')} |")
PY
  # Where the managed Tombstone's time went: its own counters (README "Metrics").
  for t in tombstone-plain tombstone-managed; do
    [[ -f $work/$t.metrics-port ]] || continue
    $python - "$t" "$(cat "$work/$t.metrics-port")" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[2]}/metrics", timeout=10).read().decode()
v = {}
for line in text.splitlines():
    if line and not line.startswith("#"):
        key, value = line.rsplit(" ", 1)
        v[key] = float(value)
hits, misses = v["tombstone_rewrite_cache_hits_total"], v["tombstone_rewrite_cache_misses_total"]
n, total = v["tombstone_rewrite_duration_seconds_count"], v["tombstone_rewrite_duration_seconds_sum"]
print(f"\n{sys.argv[1]}: rewrite cache {hits:.0f} hits / {misses:.0f} misses, "
      f"{v['tombstone_statements_rewritten_total']:.0f} statements rewritten, "
      f"mean time per statement looked at {total / n * 1e6 if n else 0:.1f} µs over {n:.0f}")
PY
  done
} | tee "$OUT/summary.md"
echo "results: $OUT (raw.txt, summary.md); logs of the servers in $work" >&2
