#!/usr/bin/env bash
# Tombstone in one command: installs the packages (deploy/install-deps.sh), builds the Release
# binary (deploy/build.sh), starts a throwaway PostgreSQL 15 with an example schema
# (deploy/example-schema.sql) and Tombstone in front of it, then prints what to try.
#
# usage: sudo bash deploy/quickstart.sh [start]   set everything up and start (default)
#        sudo bash deploy/quickstart.sh stop      stop both and delete the state directory
#        sudo bash deploy/quickstart.sh status
# env:   TOMBSTONE_QUICKSTART_DIR  state directory (default /tmp/tombstone-quickstart)
#        PG_PORT (default 5433, or a free port), TOMBSTONE_PORT (6432), METRICS_PORT (9187)
#        TOMBSTONE_SKIP_DEPS=1     do not run install-deps.sh
#        TOMBSTONE_BIN             use this binary instead of building one
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=${TOMBSTONE_QUICKSTART_DIR:-/tmp/tombstone-quickstart}
pg_bin=/usr/lib/postgresql/15/bin
marker="$state/.tombstone-quickstart"  # only a directory with this file is ever deleted

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
as_postgres() { runuser -u postgres -- "$@"; }

free_port_from() {
  local p=$1
  while port_busy "$p"; do p=$((p + 1)); done
  echo "$p"
}

wait_for_port() {  # port, seconds, pid to watch
  local deadline=$((SECONDS + $2))
  while ! port_busy "$1"; do
    if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then return 1; fi
    (( SECONDS < deadline )) || return 1
    sleep 0.1
  done
}

tombstone_pid() {
  [[ -f $state/tombstone.pid ]] || return 1
  local pid
  pid=$(<"$state/tombstone.pid")
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

cmd_status() {
  if [[ ! -f $marker ]]; then echo "not running (no $state)"; return 1; fi
  # shellcheck disable=SC1091
  source "$state/ports"
  local pid
  if pid=$(tombstone_pid); then
    echo "tombstone: running, pid $pid, port $TOMBSTONE_PORT, metrics port $METRICS_PORT"
  else
    echo "tombstone: not running (log: $state/tombstone.log)"
  fi
  if as_postgres "$pg_bin/pg_ctl" -D "$state/pg/data" status >/dev/null 2>&1; then
    echo "postgresql: running, port $PG_PORT"
  else
    echo "postgresql: not running"
  fi
}

cmd_stop() {
  [[ -f $marker ]] || { echo "nothing to stop ($state is not a quickstart directory)"; return 0; }
  local pid
  if pid=$(tombstone_pid); then
    say "Stopping Tombstone (pid $pid; SIGTERM drains open sessions)"
    kill -TERM "$pid"
    for _ in $(seq 1 400); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [[ -d $state/pg/data ]]; then
    say "Stopping PostgreSQL"
    as_postgres "$pg_bin/pg_ctl" -D "$state/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$state"
  say "Stopped; removed $state"
}

cmd_start() {
  [[ $(id -u) -eq 0 ]] || die "run as root: sudo bash deploy/quickstart.sh (initdb runs as the postgres user)"
  if [[ -f $marker ]] && tombstone_pid >/dev/null; then
    echo "already running:"; cmd_status; print_next_steps; return 0
  fi
  [[ ! -f $marker ]] || cmd_stop  # a half-started earlier run

  if [[ ${TOMBSTONE_SKIP_DEPS:-0} != 1 ]]; then
    say "Installing packages (deploy/install-deps.sh)"
    bash "$repo/deploy/install-deps.sh"
  fi
  local binary
  if [[ -n ${TOMBSTONE_BIN:-} ]]; then
    binary=$TOMBSTONE_BIN
  else
    say "Building Tombstone (Release)"
    binary=$(bash "$repo/deploy/build.sh" --no-deps | tail -n 1)
  fi
  [[ -x $binary ]] || die "no binary at $binary"

  PG_PORT=${PG_PORT:-$(free_port_from 5433)}
  TOMBSTONE_PORT=${TOMBSTONE_PORT:-6432}
  METRICS_PORT=${METRICS_PORT:-9187}
  for p in "$PG_PORT" "$TOMBSTONE_PORT" "$METRICS_PORT"; do
    ! port_busy "$p" || die "port $p is in use (set PG_PORT, TOMBSTONE_PORT or METRICS_PORT)"
  done

  say "Starting PostgreSQL 15 on 127.0.0.1:$PG_PORT (data in $state/pg)"
  mkdir -p "$state/pg"
  chmod 0755 "$state"
  touch "$marker"
  printf 'PG_PORT=%s\nTOMBSTONE_PORT=%s\nMETRICS_PORT=%s\nTOMBSTONE_BINARY=%q\n' \
    "$PG_PORT" "$TOMBSTONE_PORT" "$METRICS_PORT" "$binary" >"$state/ports"
  chown postgres:postgres "$state/pg"
  as_postgres "$pg_bin/initdb" -D "$state/pg/data" -U postgres --auth=trust -E UTF8 \
    --locale=C.UTF-8 >"$state/pg/initdb.log" 2>&1 || die "initdb failed: see $state/pg/initdb.log"
  as_postgres "$pg_bin/pg_ctl" -D "$state/pg/data" -l "$state/pg/postgresql.log" -w start \
    -o "-p $PG_PORT -k $state/pg -c listen_addresses=127.0.0.1" >/dev/null \
    || die "PostgreSQL did not start: see $state/pg/postgresql.log"

  say "Creating database 'app' with the example schema (deploy/example-schema.sql)"
  local psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres)
  "${psql[@]}" -d postgres -c "CREATE DATABASE app"
  "${psql[@]}" -d app -f "$repo/deploy/example-schema.sql" >/dev/null

  cat >"$state/tombstone.yaml" <<EOF
# Written by deploy/quickstart.sh. Reference: README "Configuration".
listen: "127.0.0.1:$TOMBSTONE_PORT"
upstream: "127.0.0.1:$PG_PORT"
tls:
  client: {mode: disable}
  upstream: {mode: disable}
admin_roles: [tombstone_admin]
metrics: "127.0.0.1:$METRICS_PORT"
log: {level: info, format: text}
tables:
  public.users:  {strategy: soft, column: deleted_at, deleted_by: deleted_by, reason: deleted_reason, retention: 90d}
  public.orders: {strategy: archive, archive: public.orders_archive}
EOF
  chmod 0644 "$state/tombstone.yaml"

  # The adoption path of the README: migrate (here: just tombstone.deletion_log), then check.
  local dsn="host=127.0.0.1 port=$PG_PORT dbname=app user=postgres"
  say "Preparing the schema (tombstone migrate --apply)"
  "$binary" migrate --config "$state/tombstone.yaml" --dsn "$dsn" --apply
  say "Checking the schema against the config (tombstone check)"
  if ! "$binary" check --config "$state/tombstone.yaml" --dsn "$dsn"; then
    echo "(tombstone check reported findings; continuing — the demo still works)"
  fi

  say "Starting Tombstone on 127.0.0.1:$TOMBSTONE_PORT (log: $state/tombstone.log)"
  TOMBSTONE_BIN=$binary nohup bash "$repo/deploy/run.sh" --config "$state/tombstone.yaml" \
    >"$state/tombstone.log" 2>&1 </dev/null &
  echo $! >"$state/tombstone.pid"  # run.sh execs, so this is Tombstone's own pid
  if ! wait_for_port "$TOMBSTONE_PORT" 15 "$!"; then
    tail -n 20 "$state/tombstone.log" >&2 || true
    die "Tombstone did not start (log above); clean up with: sudo bash deploy/quickstart.sh stop"
  fi
  wait_for_port "$METRICS_PORT" 5 || true
  print_next_steps
}

print_next_steps() {
  # shellcheck disable=SC1091
  source "$state/ports"
  cat <<EOF

Tombstone is running in front of PostgreSQL. Connect as the application:

  psql "host=127.0.0.1 port=$TOMBSTONE_PORT dbname=app user=app"

and try:

  SELECT id, email FROM users;            -- 4 rows: user 4 was deleted before you came
  DELETE FROM users WHERE id = 2;         -- DELETE 1 ... but it is really a soft delete
  SELECT id, email FROM users;            -- user 2 is gone for every ordinary session
  SET tombstone.actor = 'user:42';
  DELETE FROM orders WHERE user_id = 3 RETURNING id, total;  -- moved to orders_archive
  SELECT u.email, count(*) FROM users u JOIN orders o ON o.user_id = u.id GROUP BY 1;
                                          -- joins, subqueries, CTEs: all filtered

As an admin (member of tombstone_admin) you see everything, including who deleted what:

  psql "host=127.0.0.1 port=$TOMBSTONE_PORT dbname=app user=admin" \\
       -c "SELECT id, email, deleted_at, deleted_by FROM users ORDER BY id"

Undo, metrics, and the raw database (bypassing Tombstone):

  $TOMBSTONE_BINARY restore --config $state/tombstone.yaml \\
      --dsn "host=127.0.0.1 port=$PG_PORT dbname=app user=postgres" --table users --where "id = 2"
  curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep '^tombstone_'
  psql "host=127.0.0.1 port=$PG_PORT dbname=app user=postgres"

Stop and remove everything:  sudo bash deploy/quickstart.sh stop
EOF
}

case "${1:-start}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  -h|--help|help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$1' (start, stop or status)" ;;
esac
