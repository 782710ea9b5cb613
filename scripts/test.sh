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
# Full unwinding on malloc so the suppressions (driver leaks inside FFmpeg's hardware
# probing) can match a frame of ours or FFmpeg's.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cpp_tests build/cpp-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUTOCUT_SANITIZE=ON
unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS

# Fuzzing (issue 11): tests/fuzz/fuzz_media.cpp, built with clang in build/fuzz, replays
# every input in tests/fuzz/regressions/, then fuzzes for 60 s from a seed corpus of tiny
# valid files. Any crash, sanitizer report, leak or timeout fails. clang-14 is installed
# when missing (Debian/Ubuntu); skipped where no clang has libFuzzer (Apple's clang).
echo "== Fuzzing (libFuzzer + ASan + UBSan, 60 s)"
bash scripts/fuzz.sh 60

# The Python smoke set (tests marked `sanitize`) against _core built with ASan+UBSan in
# build/py-asan, staged on PYTHONPATH (never installed), with the ASan runtime preloaded.
echo "== Python smoke set (ASan + UBSan)"
bash scripts/asan_python.sh

echo "== Python tests"
python -m pytest -q -p no:cacheprovider "$@"

# Last, and separately (slow: it builds FFmpeg and the wheel): `scripts/build_wheel.sh
# --lgpl` fetches FFmpeg's source (apt-get source), builds the lean LGPL-only FFmpeg into
# build/ffmpeg-lgpl/ (about 3 minutes on 2 cores, once; later runs reuse it) and the
# repaired wheel against it (auditwheel; build dir build/wheel/ is reused). The wheel is
# installed into a fresh venv and smoke-tested with the system FFmpeg libraries hidden
# (Linux, root and unshare only; skipped otherwise), and checked to bundle no GPL library
# and to stay small. See tests/python/test_wheel.py.
echo "== Wheel (install into a fresh venv, run without system FFmpeg)"
AUTOCUT_TEST_WHEEL=1 python -m pytest -q tests/python/test_wheel.py -p no:cacheprovider

# Benchmark suite smoke run (issue 10): bench/ at the tiny scale with timing disabled, so
# the suite keeps working; peers not installed in .venv (OpenCV, MoviePy, librosa) skip.
# Measuring is `python -m pytest bench --scale seed` (see README "Benchmarks").
echo "== Benchmarks (smoke: --scale tiny --benchmark-disable)"
python -m pytest bench -q --benchmark-disable --scale tiny -p no:cacheprovider
