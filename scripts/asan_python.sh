#!/usr/bin/env bash
# The Python smoke set (tests marked `sanitize`, mostly tests/python/test_smoke.py) against
# an ASan+UBSan build of the _core extension.
#
#   scripts/asan_python.sh [pytest args...]
#
# _core is built with -DAUTOCUT_SANITIZE=ON into build/py-asan and staged with the Python
# sources in build/py-asan/stage (never installed into a venv); pytest imports it from
# there through PYTHONPATH. CPython is not instrumented, so the ASan runtime is preloaded;
# leak checking is off because CPython keeps its heap at exit (the C++ tests run under
# LeakSanitizer instead). Linux with gcc's libasan only: skipped elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=build/py-asan
log() { printf '[asan-python] %s\n' "$*"; }

if [ "$(uname -s)" != Linux ]; then
  log "skipped: needs Linux (LD_PRELOAD of gcc's libasan)"
  exit 0
fi
LIBASAN=$(gcc -print-file-name=libasan.so)
if [ ! -e "$LIBASAN" ]; then
  log "skipped: gcc's libasan.so not found"
  exit 0
fi
PY=$(command -v python)

# The package as the wheel lays it out, with the sanitized extension inside.
CC=gcc CXX=g++ bash scripts/stage_core.sh "$PY" "$BUILD" -DAUTOCUT_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g"
STAGE=$BUILD/stage

# libstdc++ too: ASan resolves the real __cxa_throw when it starts, and python is C.
export LD_PRELOAD="$LIBASAN $(gcc -print-file-name=libstdc++.so)"
# Reports go to files (pytest captures stderr, and a crashing child's is lost): printed below.
LOGS=$ROOT/$BUILD/logs
rm -rf "$LOGS"
mkdir -p "$LOGS"
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_init_order=1:log_path=$LOGS/asan
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$LOGS/ubsan
export PYTHONPATH=$ROOT/$STAGE
# Software decoding: GPU drivers are not built for ASan (and CUDA needs its shadow gap).
export AUTOCUT_NATIVE_HWACCEL=none
"$PY" -c "import autocut_native._core as c, sys; \
assert c.__file__.startswith('$ROOT/$STAGE'), c.__file__; print('[asan-python] using', c.__file__)"
status=0
"$PY" -m pytest -q -p no:cacheprovider -m sanitize tests/python "$@" || status=$?
if compgen -G "$LOGS/*" >/dev/null; then
  for f in "$LOGS"/*; do log "sanitizer report $f:"; head -120 "$f"; done
  status=1
fi
exit "$status"
