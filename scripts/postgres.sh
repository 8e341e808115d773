#!/usr/bin/env bash
# A throw-away PostgreSQL server for tests and trials of the store on PostgreSQL.
#   scripts/postgres.sh start [DIR]   make (first time) and start a cluster in DIR, print its URL
#   scripts/postgres.sh url [DIR]     print the URL of the running cluster in DIR
#   scripts/postgres.sh stop [DIR]    stop it (the files stay; rm -rf DIR to drop them)
# DIR defaults to $DIGITIZER_PG_DIR, else ${TMPDIR:-/tmp}/digitizer-pg. The server listens
# on 127.0.0.1 only, on a port free when it starts, with no unix socket (so it never clashes
# with a system cluster), trusts local connections, and keeps nothing durable (fsync off):
# it is for tests, never for an office's data. Every command is idempotent.
# PostgreSQL is installed with apt-get when missing. It refuses to run as root, so as root
# the cluster belongs to the 'postgres' system user (runuser); DIR must be reachable by it.
# The URL is a SQLAlchemy URL: postgresql+psycopg://digitizer@127.0.0.1:PORT/digitizer
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cmd=${1:-}
dir=${2:-${DIGITIZER_PG_DIR:-${TMPDIR:-/tmp}/digitizer-pg}}
case "$cmd" in start|stop|url) ;; *)
  echo "usage: $0 start|stop|url [DIR]" >&2; exit 2 ;;
esac
data="$dir/data"
user=digitizer

pg_bin() {
  # The newest installed server's own binaries (/usr/local/bin/pg_ctl etc. may be links to
  # them, but PATH order must not decide which server version runs).
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] && [ -x "$found/postgres" ] && echo "$found"
}

bin=$(pg_bin || true)
if [ -z "$bin" ]; then
  [ "$cmd" = start ] || { echo "postgres.sh: PostgreSQL is not installed" >&2; exit 1; }
  apt_install postgres.sh postgresql
  bin=$(pg_bin) || { echo "postgres.sh: no server binaries after installing" >&2; exit 1; }
fi

as_owner() {
  # Run a server program as the cluster's owner, from a directory it can read.
  if [ "$(id -u)" = 0 ]; then
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

running() {
  [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

url() {
  echo "postgresql+psycopg://$user@127.0.0.1:$(cat "$dir/port")/$user"
}

case "$cmd" in
  url)
    running || { echo "postgres.sh: no server running in $dir" >&2; exit 1; }
    url
    ;;
  stop)
    if running; then
      as_owner "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
  start)
    if running; then
      url
      exit 0
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$data/PG_VERSION" ]; then
      rm -rf "$data"
      as_owner "$bin/initdb" -D "$data" -U "$user" -A trust -E UTF8 --locale=C --no-sync \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port=$(free_port)
    echo "$port" >"$dir/port"
    opts="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=''"
    opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    opts+=" -c max_connections=200"
    if ! as_owner "$bin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "$opts" -w -t 60 start \
        >/dev/null; then
      tail -n 20 "$dir/postgres.log" >&2
      exit 1
    fi
    # the database of the URL (tests make one more database per test beside it)
    if ! as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = '$user'" | grep -q 1; then
      as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$user" "$user"
    fi
    url
    ;;
esac
