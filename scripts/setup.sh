#!/usr/bin/env bash
# Install everything digitizer needs on a fresh Debian machine: system packages,
# a virtualenv in .venv and the package itself (editable).
#   scripts/setup.sh          runtime only (Tesseract, poppler, fonts)
#   scripts/setup.sh --test   also the independent checkers used by the tests
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

runtime_pkgs=(tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd poppler-utils
              qpdf fonts-dejavu-core fonts-noto-core fonts-freefont-ttf fonts-texgyre
              libtiff6 python3-venv)
# postgresql: the store's tests run on PostgreSQL too (scripts/postgres.sh);
# chromium: headless, renders the HTML report in its test;
# softhsm2: a real PKCS#11 token for the signing tests;
# redis-server: the task queue of the distributed-batch tests (scripts/redis.sh)
test_pkgs=(libpdfbox2-java libjaxb-api-java libactivation-java default-jre-headless
           postgresql chromium softhsm2 redis-server)

pkgs=("${runtime_pkgs[@]}")
[ "$want_test" = 1 ] && pkgs+=("${test_pkgs[@]}")

# one dpkg-query for all of them: the usual run (everything there) stays quick
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null \
            | awk '$NF == "installed" && $(NF-1) == "ok" {print $1}' | sed 's/:.*//' || true)
missing=()
for p in "${pkgs[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install setup "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-$want_test
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  if [ "$want_test" = 1 ]; then
    .venv/bin/python -m pip install -q -e '.[test]'
  else
    .venv/bin/python -m pip install -q -e .
  fi
  rm -f .venv/.installed-*
  touch "$stamp"
fi
