#!/usr/bin/env bash
# Builds and tests autocut_native against another FFmpeg release than the system's: the
# check behind README "Supported FFmpeg" (CI itself runs on Debian 12's FFmpeg 5.1 only).
#   scripts/check_ffmpeg_version.sh ffmpeg_8.1.2.orig.tar.xz
# Builds that FFmpeg (shared, GPL with libx264 and libx265/libdav1d when their dev
# packages are installed; only the decoders, encoders, filters and formats the package
# and its tests use) into build/ffmpeg-check/<version>/prefix, then the C++ tests (ctest)
# and the Python module against it, and runs pytest with that module staged on
# PYTHONPATH (never installed). Extra arguments go to pytest. Safe to run again: a
# finished FFmpeg build is reused.
#
# Tarballs: https://ffmpeg.org/releases/, or Debian's: add a deb-src entry for trixie
# (FFmpeg 7.1) or sid (8.x), `apt-get update`, `apt-get source --download-only
# ffmpeg=7:8.1.2-2`. Needs a C compiler, make, nasm and pkg-config; the Python side uses
# .venv from scripts/setup.sh. About 15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
log() { printf '[check_ffmpeg] %s\n' "$*"; }
die() { printf '[check_ffmpeg] error: %s\n' "$*" >&2; exit 1; }

TARBALL=${1:?usage: scripts/check_ffmpeg_version.sh TARBALL [pytest args...]}
shift
[ -f "$TARBALL" ] || die "no tarball at $TARBALL"
JOBS=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
VERSION=$(basename "$TARBALL" | sed -n 's/^ffmpeg[-_]\([0-9][0-9.]*[0-9]\).*/\1/p')
[ -n "$VERSION" ] || die "cannot read a version from $(basename "$TARBALL")"
WORK=$ROOT/build/ffmpeg-check/$VERSION
PREFIX=$WORK/prefix

if [ ! -f "$PREFIX/lib/pkgconfig/libavcodec.pc" ]; then
  rm -rf "$WORK/src" && mkdir -p "$WORK/src"
  tar -xf "$TARBALL" -C "$WORK/src" --strip-components=1
  extra=()
  pkg-config --exists x265 && extra+=(--enable-libx265) && enc=libx265, || enc=""
  pkg-config --exists dav1d && extra+=(--enable-libdav1d) && dec=libdav1d, || dec=""
  log "configure FFmpeg $VERSION into $PREFIX"
  (cd "$WORK/src" && ./configure --prefix="$PREFIX" --enable-shared --disable-static \
    --disable-doc --disable-programs --enable-gpl --enable-libx264 "${extra[@]}" \
    --disable-autodetect --enable-pthreads --enable-zlib --disable-everything \
    --enable-protocol=file,pipe --enable-demuxers --enable-parsers --enable-bsfs \
    --enable-decoder="${dec}h264,hevc,vp8,vp9,av1,mpeg4,mpeg2video,mpeg1video,mjpeg,prores,png,ffv1,rawvideo,h263,aac,aac_latm,mp3,mp3float,flac,vorbis,opus,alac,pcm_s16le,pcm_s16be,pcm_s24le,pcm_s32le,pcm_f32le,pcm_u8,pcm_alaw,pcm_mulaw" \
    --enable-encoder="${enc}libx264,aac,ffv1,rawvideo,pcm_s16le,png,mjpeg,mpeg4" \
    --enable-muxer=mp4,mov,matroska,webm,wav,adts,null,ipod \
    --enable-filter=buffer,buffersink,abuffer,abuffersink,format,aformat,scale,null,anull,setpts,fps,testsrc2,testsrc,color,mandelbrot,life,gradients,smptebars,smptehdbars,rotate,crop,hue,lutyuv,colorlevels,hflip,vflip,gblur,eq,noise,pad,transpose,trim,sine,aresample,select,split,overlay,boxblur,geq,drawbox,volume,amix,concat \
    >"$WORK/configure.log" 2>&1) || { tail -30 "$WORK/configure.log"; die "configure failed"; }
  log "make -j$JOBS (log: $WORK/make.log)"
  make -C "$WORK/src" -j "$JOBS" >"$WORK/make.log" 2>&1 || { tail -30 "$WORK/make.log"; die "make failed"; }
  make -C "$WORK/src" install >"$WORK/install.log" 2>&1 || die "make install failed"
fi
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig LD_LIBRARY_PATH=$PREFIX/lib
log "FFmpeg $(pkg-config --modversion libavutil) (libavutil) from $PREFIX"

log "C++ tests against it (-Werror)"
cmake -S . -B "$WORK/cpp" -G Ninja -DAUTOCUT_BUILD_TESTS=ON -DAUTOCUT_BUILD_PYTHON=OFF \
  -DAUTOCUT_WERROR=ON -DCMAKE_BUILD_TYPE=Release >"$WORK/cpp.configure.log" 2>&1 \
  || { cat "$WORK/cpp.configure.log"; exit 1; }
cmake --build "$WORK/cpp" -j "$JOBS"
(cd "$WORK/cpp" && ctest --output-on-failure -j "$JOBS" --timeout 300)

log "Python module against it, staged on PYTHONPATH"
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || die "no .venv: run scripts/setup.sh first"
bash scripts/stage_core.sh "$PY" "$WORK/py" -DCMAKE_BUILD_TYPE=Release
STAGE=$WORK/py/stage
PYTHONPATH=$STAGE "$PY" -c "import autocut_native as a; v = a.ffmpeg_versions(); print('[check_ffmpeg] running against FFmpeg', v['ffmpeg'], v['libavcodec'])"
PYTHONPATH=$STAGE "$PY" -m pytest -q -p no:cacheprovider tests/python --deselect tests/python/test_wheel.py "$@"
