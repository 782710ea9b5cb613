#!/usr/bin/env bash
# Builds the _core extension with CMake into BUILD (not through pip) and stages it with
# the Python sources as the wheel lays them out, in BUILD/stage, for PYTHONPATH: used by
# asan_python.sh (sanitized build) and check_ffmpeg_version.sh (another FFmpeg).
#
#   scripts/stage_core.sh PYTHON BUILD [cmake args...]
#
# The configure log is BUILD.configure.log (printed on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:?usage: scripts/stage_core.sh PYTHON BUILD [cmake args...]}
BUILD=${2:?usage: scripts/stage_core.sh PYTHON BUILD [cmake args...]}
shift 2

mkdir -p "$BUILD"
cmake -S . -B "$BUILD" -G Ninja -DAUTOCUT_BUILD_PYTHON=ON -DAUTOCUT_WERROR=ON "$@" \
  -DPython_EXECUTABLE="$PY" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" \
  -DSKBUILD_PROJECT_VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -1)" \
  >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; exit 1; }
cmake --build "$BUILD" --target _core -j "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"

STAGE=$BUILD/stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
cp -R python/autocut_native "$STAGE/"
find "$STAGE" \( -name __pycache__ -o -name '*.so' \) -prune -exec rm -rf {} +
cp "$BUILD"/_core*.so "$STAGE/autocut_native/"
