#!/usr/bin/env bash
# Starts a private PostgreSQL for the tests: its own data directory under a
# temp dir, listening on 127.0.0.1 only, trust authentication for the role
# "sendguard". Prints the lines to eval:
#   eval "$(.ci/postgres.sh start)"   # exports SENDGUARD_TEST_POSTGRES and SENDGUARD_PG_DIR
#   .ci/postgres.sh stop              # stops the one SENDGUARD_PG_DIR names
# As root (CI) the server runs as the "postgres" user: initdb refuses root.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2
  exit 1
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
start)
  port=${SENDGUARD_PG_PORT:-}
  if [ -z "$port" ]; then
    # The first free port from 55433 (another PostgreSQL may hold one).
    for p in $(seq 55433 55533); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then port=$p; break; fi
    done
    [ -n "$port" ] || { echo "postgres.sh: no free port in 55433-55533" >&2; exit 1; }
  fi
  dir=$(mktemp -d /tmp/sendguard-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bindir/initdb" -D "$dir/data" -A trust -U sendguard --no-instructions >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # fsync stays on: the tests measure and rely on durable commits.
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $dir -c max_connections=200" start >/dev/null ||
    { cat "$dir/server.log" >&2; exit 1; }
  for _ in $(seq 1 60); do
    "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" && break
    sleep 0.5
  done
  echo "export SENDGUARD_PG_DIR=$dir"
  echo "export SENDGUARD_TEST_POSTGRES=postgres://sendguard@127.0.0.1:$port/postgres?sslmode=disable"
  ;;
stop)
  dir=${SENDGUARD_PG_DIR:-}
  [ -n "$dir" ] || exit 0
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 64
  ;;
esac
