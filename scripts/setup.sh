#!/usr/bin/env bash
# One-stop set-up on a fresh Debian/Ubuntu or macOS machine; safe to run again.
# Installs FFmpeg's development libraries and CLI, GoogleTest, pkg-config and a
# compiler when missing, creates .venv and installs autocut_native into it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[setup] %s\n' "$*"; }

install_debian() {
  local wanted=(pkg-config g++ make ffmpeg libavformat-dev libavcodec-dev libavutil-dev
                libswscale-dev libswresample-dev libavfilter-dev libgtest-dev python3-venv python3-dev)
  # A Python that is not Debian's own (pyenv, conda) brings venv and headers itself.
  if [ "$(command -v python3)" != "/usr/bin/python3" ]; then
    local keep=() p
    for p in "${wanted[@]}"; do
      case "$p" in python3-venv|python3-dev) ;; *) keep+=("$p") ;; esac
    done
    wanted=("${keep[@]}")
  fi
  . scripts/debian_packages.sh
  debian_install_missing "${wanted[@]}"
}

install_macos() {
  command -v brew >/dev/null || { echo "Homebrew is required on macOS: https://brew.sh" >&2; exit 1; }
  local p
  for p in pkg-config ffmpeg googletest; do
    brew list --versions "$p" >/dev/null 2>&1 || brew install "$p"
  done
}

case "$(uname -s)" in
  Linux)
    if command -v dpkg-query >/dev/null; then install_debian
    else log "not Debian/Ubuntu: make sure FFmpeg >= 5.1 dev packages, GoogleTest and pkg-config are installed"
    fi ;;
  Darwin) install_macos ;;
  *) log "unsupported OS $(uname -s): install FFmpeg >= 5.1, GoogleTest and pkg-config yourself" ;;
esac

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
VPY="$ROOT/.venv/bin/python"
# Python build, runtime and test dependencies; reinstalled whenever this list changes.
DEPS=("scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.21" ninja
      "numpy>=1.23" "psutil>=5.9" "pytest>=7" "pytest-benchmark>=4" "av>=11" "matplotlib>=3.5"
      "dask[distributed]>=2023.1")
stamp=.venv/.deps-installed
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${DEPS[*]}" ]; then
  log "installing Python build and test dependencies"
  "$VPY" -m pip install -q --upgrade pip
  "$VPY" -m pip install -q "${DEPS[@]}"
  printf '%s' "${DEPS[*]}" > "$stamp"
fi
log "building and installing autocut_native into .venv"
"$VPY" -m pip install -q --no-build-isolation --no-deps "$ROOT"
"$VPY" -c "import autocut_native as a; print('[setup] autocut_native', a.__version__, 'with FFmpeg', a.ffmpeg_versions()['ffmpeg'])"
