#!/usr/bin/env bash
# Runs the whole test suite (and the linter) from a fresh clone: installs the Python test
# dependencies into the current Python environment, Debian's chromium for the browser tests
# when it can (root or sudo on Debian/Ubuntu), then ruff and pytest. Extra arguments go to
# pytest, e.g. `bash scripts/run_tests.sh tests/core -x`.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
[ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && python=.venv/bin/python

need_apt=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -d /usr/share/datasets/fashion-mnist ] || need_apt+=(dataset-fashion-mnist)
if [ ${#need_apt[@]} -gt 0 ] && command -v apt-get >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo -n"
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "Installing ${need_apt[*]} with apt-get (browser tests and Fashion-MNIST)"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $sudo apt-get install -y -qq "${need_apt[@]}" >/dev/null || \
      echo "apt-get failed: browser tests will be skipped if chromium is missing"
  fi
fi

"$python" -m pip install -q -r requirements-dev.txt

# The shared data folder beside the checkout (CI, this workplace), unless one is set already.
if [ -z "${CNN_CLASSROOM_DATA:-}" ] && [ -d ../shared/data ]; then
  export CNN_CLASSROOM_DATA="$(cd ../shared/data && pwd)"
fi
if [ -n "${CNN_CLASSROOM_DATA:-}" ]; then
  echo "Tests use the data folder $CNN_CLASSROOM_DATA (CNN_CLASSROOM_DATA)"
else
  echo "Tests use the bundled MNIST subset and generated data (no CNN_CLASSROOM_DATA)"
fi
export TF_CPP_MIN_LOG_LEVEL=3

# One test process by default. CNN_CLASSROOM_TEST_WORKERS=2 runs two (pytest-xdist, whole
# files each, so a file's module-scoped fixtures are built once): about 18 minutes instead of
# 25 on two cores, but then two servers, two browsers and their training workers share the
# cores, and on a 2-core machine a browser test now and then ran past its time limit.
workers=${CNN_CLASSROOM_TEST_WORKERS:-0}
parallel=()
[ "$workers" -gt 0 ] && parallel=(-n "$workers" --dist loadfile)

"$python" -m ruff check .
"$python" -m pytest -q -p no:cacheprovider --durations=15 ${parallel[@]+"${parallel[@]}"} "$@"
