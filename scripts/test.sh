#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite: ruff, mypy, pytest.
# Extra arguments go to pytest (e.g. scripts/test.sh -k pdfa).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export OMP_THREAD_LIMIT=1
echo "== ruff" && .venv/bin/ruff check digitizer samples tests benchmarks
echo "== mypy" && .venv/bin/mypy
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
