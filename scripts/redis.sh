#!/usr/bin/env bash
# A throw-away Redis server (the task queue of distributed batches) for tests and trials.
#   scripts/redis.sh start [DIR]   start a server whose files live in DIR, print its URL
#   scripts/redis.sh url [DIR]     print the URL of the running server of DIR
#   scripts/redis.sh stop [DIR]    stop it (rm -rf DIR to drop its files)
# DIR defaults to $DIGITIZER_REDIS_DIR, else ${TMPDIR:-/tmp}/digitizer-redis. The server
# listens on 127.0.0.1 only, on a port free when it starts, with no unix socket and no
# persistence (nothing written to disk): it is for tests, never for an office's queue (the
# README's province set-up uses Debian's redis-server service). Every command is
# idempotent. redis-server is installed with apt-get when missing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

cmd=${1:-}
dir=${2:-${DIGITIZER_REDIS_DIR:-${TMPDIR:-/tmp}/digitizer-redis}}
case "$cmd" in start|stop|url) ;; *)
  echo "usage: $0 start|stop|url [DIR]" >&2; exit 2 ;;
esac

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
  [ "$cmd" = start ] || { echo "redis.sh: redis-server is not installed" >&2; exit 1; }
  apt_install redis.sh redis-server
fi

running() {
  [ -f "$dir/port" ] && redis-cli -h 127.0.0.1 -p "$(cat "$dir/port")" ping 2>/dev/null \
    | grep -q PONG
}

url() {
  echo "redis://127.0.0.1:$(cat "$dir/port")/0"
}

case "$cmd" in
  url)
    running || { echo "redis.sh: no server running in $dir" >&2; exit 1; }
    url
    ;;
  stop)
    if running; then
      redis-cli -h 127.0.0.1 -p "$(cat "$dir/port")" shutdown nosave >/dev/null 2>&1 || true
    fi
    ;;
  start)
    if running; then
      url
      exit 0
    fi
    mkdir -p "$dir"
    port=$(free_port)
    echo "$port" >"$dir/port"
    redis-server --bind 127.0.0.1 --port "$port" --unixsocket "" --save "" --appendonly no \
      --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
      >/dev/null
    for _ in $(seq 1 100); do
      running && { url; exit 0; }
      sleep 0.1
    done
    tail -n 20 "$dir/redis.log" >&2 || true
    echo "redis.sh: the server did not start" >&2
    exit 1
    ;;
esac
