#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: ruff, mypy, pytest (with a PostgreSQL
# server and a Redis server of its own, started before pytest and stopped after).
# Extra arguments go to pytest (e.g. scripts/test.sh -k pdfa).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export OMP_THREAD_LIMIT=1
echo "== ruff" && .venv/bin/ruff check digitizer samples tests benchmarks
echo "== mypy" && .venv/bin/mypy
# Throw-away servers for the tests, shared by every pytest worker (tests/conftest.py): one
# PostgreSQL (the store's tests on PostgreSQL) and one Redis (the task queue of distributed
# batches); a URL already given in DIGITIZER_TEST_PG_URL / DIGITIZER_TEST_REDIS_URL is used
# as is. Both are stopped and deleted when this script ends, however it ends.
pg_dir="" redis_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    scripts/postgres.sh stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  if [ -n "$redis_dir" ]; then
    scripts/redis.sh stop "$redis_dir" >/dev/null 2>&1 || true
    rm -rf "$redis_dir"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ -z "${DIGITIZER_TEST_PG_URL:-}" ]; then
  echo "== postgresql"
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/digitizer-pg-XXXXXX")
  echo $$ >"$pg_dir/owner.pid"  # if this script is killed, tests/conftest.py stops it later
  DIGITIZER_TEST_PG_URL=$(scripts/postgres.sh start "$pg_dir")
  export DIGITIZER_TEST_PG_URL
fi
if [ -z "${DIGITIZER_TEST_REDIS_URL:-}" ]; then
  echo "== redis"
  redis_dir=$(mktemp -d "${TMPDIR:-/tmp}/digitizer-redis-XXXXXX")
  DIGITIZER_TEST_REDIS_URL=$(scripts/redis.sh start "$redis_dir")
  export DIGITIZER_TEST_REDIS_URL
fi
echo "== pytest"
set +e
.venv/bin/pytest -n "${PYTEST_WORKERS:-2}" "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  # pytest's "no tests collected": fatal for the full suite, a warning for a filtered run.
  if [ "$#" -eq 0 ]; then
    echo "test.sh: pytest collected no tests: the suite is broken" >&2
    exit 1
  fi
  echo "test.sh: no test matched the given filter" >&2
  exit 0
fi
exit "$rc"
