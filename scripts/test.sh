#!/usr/bin/env bash
# Runs every test: C++ unit tests (ctest), the same under ASan+UBSan, then pytest.
# Installs what it needs first (scripts/setup.sh). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
bash scripts/setup.sh
export PATH="$ROOT/.venv/bin:$PATH"
JOBS=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)

cpp_tests() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DAUTOCUT_BUILD_TESTS=ON -DAUTOCUT_BUILD_PYTHON=OFF \
    -DAUTOCUT_WERROR=ON "$@" >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log"; exit 1; }
  cmake --build "$dir" -j "$JOBS"
  (cd "$dir" && ctest --output-on-failure -j "$JOBS" --timeout 300)
}

mkdir -p build
echo "== C++ unit tests (Release)"
cpp_tests build/cpp-tests -DCMAKE_BUILD_TYPE=Release

echo "== C++ unit tests (ASan + UBSan)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cpp_tests build/cpp-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOCUT_SANITIZE=ON
unset ASAN_OPTIONS UBSAN_OPTIONS

echo "== Python tests"
python -m pytest -q -p no:cacheprovider "$@"
