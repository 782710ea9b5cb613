#!/usr/bin/env bash
# Builds a lean, LGPL-only FFmpeg (shared libraries) from a source tarball, for a wheel
# that bundles only what autocut_native uses:
#   scripts/build_ffmpeg_lgpl.sh "$(scripts/fetch_ffmpeg_source.sh)" build/ffmpeg-lgpl/install \
#     --with-openh264 --with-dav1d
#   scripts/build_wheel.sh --ffmpeg-prefix build/ffmpeg-lgpl/install
# (scripts/build_wheel.sh --lgpl does all of it.)
#
# What it builds: libavformat, libavcodec, libavutil, libswscale, libswresample and
# libavfilter (no programs, avdevice, postproc, network or X11) with
#   demuxers  mov/mp4, matroska/webm, avi, mpegts, mpegps, raw h264/hevc, and the music
#             formats mp3, aac, wav, flac, ogg, aiff, caf, w64, ac3
#   decoders  h264, hevc, vp8, vp9, av1 (libdav1d with --with-dav1d; FFmpeg's own "av1" is
#             only for hardware decoding), mpeg4, mpeg2, mjpeg, prores; aac, mp3, flac,
#             vorbis, opus, alac, ac3/eac3, pcm
#   encoders  aac (FFmpeg's own), the platform's hardware H.264/HEVC encoders
#             (VideoToolbox on macOS; NVENC with nv-codec-headers and VAAPI with libva on
#             Linux, when their headers are installed), and with --with-openh264 the
#             OpenH264 software encoder (BSD) as the H.264 fallback
#   muxers    mp4, mov, matroska
#   filters   format, scale, null (buffersink is always there), and what synthesize_video()
#             and the demo use: sources color, testsrc, testsrc2, smptebars, smptehdbars,
#             mandelbrot, life, gradients; filters crop, pad, rotate, hflip, vflip,
#             transpose, hue, lutyuv, colorlevels, gblur, noise, setpts, fps, trim (no
#             GPL-only ones such as eq or boxblur); for render()'s device path scale_cuda
#             (with a clang that targets NVPTX), scale_vaapi, scale_vt (FFmpeg >= 7.0)
#   hwaccels  NVDEC, VAAPI or VideoToolbox decoding of the video decoders above
# Never --enable-gpl / --enable-nonfree, so no libx264, libx265 or libpostproc: the result
# (and a wheel bundling it) is LGPL-2.1-or-later; the script fails if FFmpeg's configure
# reports any other licence. Without --with-openh264 a machine with no hardware encoder
# cannot render H.264 (render() raises EncodeError naming the missing encoder). There is
# no LGPL software HEVC encoder: HEVC output needs a hardware encoder.
#
# Usage: scripts/build_ffmpeg_lgpl.sh TARBALL PREFIX [options]
#   --with-openh264      link libopenh264 (pkg-config openh264) as the software H.264 encoder
#   --with-dav1d         link libdav1d (BSD) as the software AV1 decoder
#   --no-vaapi           leave VAAPI out even when libva is installed
#   --no-nvenc           leave NVENC/NVDEC out even when nv-codec-headers are installed
#   --sha256 HEX         refuse a tarball whose SHA-256 differs
#   --jobs N             parallel make jobs (default: all cores)
#   --configure-arg ARG  pass ARG to FFmpeg's configure as well (repeatable)
# Works in build/ffmpeg-lgpl/work/ and installs into PREFIX (the FFmpeg libraries, headers
# and .pc files a previous run put there are removed first); running it again with the
# same tarball and options does nothing. Needs a C compiler, make, pkg-config, and nasm on
# x86 (without it the SIMD code is left out: several times slower decoding). The build
# takes about 3 minutes on 2 cores (README "Distribution (wheels)").
#
# No network is used: the tarball is an input (scripts/fetch_ffmpeg_source.sh gets one).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[build_ffmpeg_lgpl] %s\n' "$*"; }
die() { printf '[build_ffmpeg_lgpl] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,48p' "$0" | sed 's/^# \{0,1\}//'; }

[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && { usage; exit 0; }
[ $# -ge 2 ] || { usage >&2; exit 2; }
TARBALL=$1 PREFIX=$2; shift 2
OPENH264=0 DAV1D=0 VAAPI=1 NVENC=1 SHA256="" JOBS="" EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --with-openh264) OPENH264=1; shift ;;
    --with-dav1d) DAV1D=1; shift ;;
    --no-vaapi) VAAPI=0; shift ;;
    --no-nvenc) NVENC=0; shift ;;
    --sha256) SHA256=${2:?--sha256 needs a hash}; shift 2 ;;
    --jobs) JOBS=${2:?--jobs needs a number}; shift 2 ;;
    --configure-arg) EXTRA+=("${2:?--configure-arg needs an argument}"); shift 2 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done
[ -f "$TARBALL" ] || die "no tarball at '$TARBALL'"
TARBALL=$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)
JOBS=${JOBS:-$(getconf _NPROCESSORS_ONLN 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)}

sha() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
actual=$(sha "$TARBALL")
if [ -n "$SHA256" ] && [ "$actual" != "$SHA256" ]; then
  die "$TARBALL has SHA-256 $actual, expected $SHA256"
fi

# ---- configure arguments --------------------------------------------------------------
join() { local IFS=,; echo "$*"; }
demuxers=(mov matroska avi mpegts mpegps h264 hevc m4v mp3 aac wav flac ogg aiff caf w64 ac3)
decoders=(h264 hevc vp8 vp9 av1 mpeg4 mpeg2video mjpeg prores
          aac aac_latm mp3 mp3float flac vorbis opus alac ac3 eac3
          pcm_s16le pcm_s16be pcm_s24le pcm_s24be pcm_s32le pcm_f32le pcm_f32be pcm_u8
          pcm_alaw pcm_mulaw)
parsers=(h264 hevc vp8 vp9 av1 mpeg4video mpegvideo mjpeg aac aac_latm mpegaudio flac vorbis
         opus ac3)
encoders=(aac)
muxers=(mp4 mov matroska)
# synthesize_video(): a chain from a source into buffersink (always built), converted by
# format (+ the scale filter libavfilter inserts for the conversion).
filters=(format scale null
         color testsrc testsrc2 smptebars smptehdbars mandelbrot life gradients
         crop pad rotate hflip vflip transpose hue lutyuv colorlevels gblur noise setpts fps trim)
# render()'s device path scales decoded frames on the device (cpp/render/device_scale.cpp)
# when this FFmpeg has the filter; it falls back to the CPU path otherwise, so these are
# asked for where their API is built in, and only reported when configure leaves one out
# (scale_vt exists from FFmpeg 7.0; scale_cuda needs clang with the NVPTX target).
device_filters=()
args=(
  --prefix="$PREFIX"
  --enable-shared --disable-static --enable-pic
  --disable-programs --disable-doc --disable-debug
  --disable-avdevice --disable-postproc
  --disable-network
  # Only what is asked for below: no X11, SDL, iconv, lzma, bzlib, ... picked up because
  # they happen to be installed.
  --disable-autodetect --enable-pthreads --enable-zlib
  --disable-everything
  --enable-protocol=file,pipe
  --enable-demuxer="$(join "${demuxers[@]}")"
  --enable-parser="$(join "${parsers[@]}")"
  # No --enable-bsfs / --enable-hwaccels: the muxers select the bitstream filters they
  # need, and "all hwaccels" would pull in decoders (vc1, mpeg1, ...) for them.
)
# Hardware decoding for the decoders above, on the APIs built in below (names this FFmpeg
# lacks are ignored by configure).
hwaccel_codecs=(h264 hevc vp8 vp9 av1 mpeg2 mpeg4 prores)
hwaccels=()
hwapi() { local c; for c in "${hwaccel_codecs[@]}"; do hwaccels+=("${c}_$1"); done; }
case "$(uname -s)" in
  Darwin)
    args+=(--enable-videotoolbox)
    hwapi videotoolbox
    device_filters+=(scale_vt)
    encoders+=(h264_videotoolbox hevc_videotoolbox) ;;
  Linux)
    if [ "$NVENC" -eq 0 ]; then
      log "--no-nvenc: building without NVENC/NVDEC"
    elif pkg-config --exists ffnvcodec 2>/dev/null; then
      # nv-codec-headers only: the CUDA driver libraries are dlopen()ed at run time.
      args+=(--enable-ffnvcodec --enable-cuda --enable-nvenc --enable-nvdec)
      hwapi nvdec
      # scale_cuda's kernels are compiled to PTX by clang (cuda_llvm; nvcc would make the
      # build non-free).
      nvptx=""
      for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
        if command -v "$c" >/dev/null && "$c" -print-targets 2>/dev/null | grep -q nvptx64; then
          nvptx=$c
          break
        fi
      done
      if [ -n "$nvptx" ]; then
        args+=(--enable-cuda-llvm --nvcc="$nvptx")
        device_filters+=(scale_cuda)
      else
        log "no clang with the NVPTX target: building without scale_cuda (render's CUDA device path)"
      fi
      encoders+=(h264_nvenc hevc_nvenc)
    else
      log "no nv-codec-headers (pkg-config ffnvcodec): building without NVENC/NVDEC"
    fi
    if [ "$VAAPI" -eq 0 ]; then
      log "--no-vaapi: building without VAAPI"
    elif pkg-config --exists libva libva-drm 2>/dev/null; then
      args+=(--enable-vaapi)
      hwapi vaapi
      device_filters+=(scale_vaapi)
      encoders+=(h264_vaapi hevc_vaapi)
    else
      log "no libva (pkg-config libva libva-drm): building without VAAPI"
    fi ;;
esac
if [ "$OPENH264" -eq 1 ]; then
  pkg-config --exists openh264 || die "--with-openh264: pkg-config finds no openh264"
  args+=(--enable-libopenh264)
  encoders+=(libopenh264)
fi
if [ "$DAV1D" -eq 1 ]; then
  pkg-config --exists dav1d || die "--with-dav1d: pkg-config finds no dav1d"
  args+=(--enable-libdav1d)
  decoders+=(libdav1d)
fi
case "$(uname -m)" in
  x86_64|i?86|amd64)
    command -v nasm >/dev/null || {
      log "WARNING: no nasm: building without x86 SIMD (install nasm for fast decoding)"
      args+=(--disable-x86asm)
    } ;;
esac
if [ "${#hwaccels[@]}" -gt 0 ]; then args+=(--enable-hwaccel="$(join "${hwaccels[@]}")"); fi
args+=(
  --enable-decoder="$(join "${decoders[@]}")"
  --enable-encoder="$(join "${encoders[@]}")"
  --enable-muxer="$(join "${muxers[@]}")"
  --enable-filter="$(join "${filters[@]}" "${device_filters[@]+"${device_filters[@]}"}")"
  "${EXTRA[@]+"${EXTRA[@]}"}"
)

# ---- build (skipped when this tarball and these arguments are installed already) ------
WORK=$ROOT/build/ffmpeg-lgpl/work
case "$PREFIX/" in "$WORK"/*) die "PREFIX must not be inside $WORK (it is rebuilt from scratch)" ;; esac
STAMP=$PREFIX/.autocut-ffmpeg-lgpl
want=$(printf '%s\n' "$actual" "${args[@]}")
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -f "$PREFIX/lib/pkgconfig/libavcodec.pc" ]; then
  log "up to date: $PREFIX"
  exit 0
fi
rm -rf "$WORK"
mkdir -p "$WORK"
log "unpacking $(basename "$TARBALL")"
tar -xf "$TARBALL" -C "$WORK"
SRC=$(find "$WORK" -mindepth 2 -maxdepth 2 -name configure -print -quit)
[ -n "$SRC" ] || die "no configure script in $TARBALL"
SRC=$(dirname "$SRC")

log "configure ${args[*]}"
start=$(date +%s)
(cd "$SRC" && ./configure "${args[@]}") >"$WORK/configure.log" 2>&1 \
  || { tail -40 "$WORK/configure.log"; tail -40 "$SRC/ffbuild/config.log" 2>/dev/null; die "configure failed"; }
# The licence FFmpeg itself reports (avutil_license()); anything but LGPL is a mistake here.
grep -q '#define FFMPEG_LICENSE "LGPL version 2.1 or later"' "$SRC/config.h" \
  || die "configured licence is not LGPL: $(grep FFMPEG_LICENSE "$SRC/config.h")"
# Every component asked for must be there: configure drops those whose dependencies are
# missing without failing.
# Components are in config_components.h since FFmpeg 5.1, in config.h before.
components=$(cat "$SRC/config.h" "$SRC/config_components.h" 2>/dev/null || true)
missing=()
check_enabled() {  # KIND NAME...: CONFIG_<NAME>_<KIND> must be 1 in config.h
  local kind=$1 n; shift
  for n in "$@"; do
    grep -q "^#define CONFIG_$(printf '%s' "$n" | tr 'a-z' 'A-Z')_$kind 1\$" <<<"$components" \
      || missing+=("$n ($kind)")
  done
}
check_enabled DEMUXER "${demuxers[@]}"
check_enabled DECODER "${decoders[@]}"
check_enabled ENCODER "${encoders[@]}"
check_enabled MUXER "${muxers[@]}"
check_enabled FILTER "${filters[@]}"
[ "${#missing[@]}" -eq 0 ] || die "configure left out: ${missing[*]} (see $WORK/configure.log)"
if [ "${#device_filters[@]}" -gt 0 ]; then
  check_enabled FILTER "${device_filters[@]}"
  [ "${#missing[@]}" -eq 0 ] || log "left out by configure (optional): ${missing[*]}"
fi

log "make -j$JOBS"
make -C "$SRC" -j "$JOBS" >"$WORK/make.log" 2>&1 || { tail -40 "$WORK/make.log"; die "make failed"; }
# Only FFmpeg's own files are removed from PREFIX (it may be shared, e.g. /usr/local).
ffnames="avcodec avformat avutil avfilter avdevice swscale swresample postproc"
for n in $ffnames; do
  rm -rf "$PREFIX/include/lib$n" "$PREFIX/lib/pkgconfig/lib$n.pc"
  rm -f "$PREFIX/lib/lib$n".* "$PREFIX/lib/lib$n"-*
done
rm -rf "$PREFIX/share/ffmpeg"
make -C "$SRC" install >"$WORK/install.log" 2>&1 || { tail -40 "$WORK/install.log"; die "make install failed"; }
printf '%s\n' "$want" >"$STAMP"

log "built in $(( $(date +%s) - start )) s with $JOBS jobs"
log "installed FFmpeg $(cat "$SRC/RELEASE" 2>/dev/null || echo '?') into $PREFIX, LGPL-2.1-or-later"
log "components: $(grep -E '^#define CONFIG_[A-Z0-9_]+_(DECODER|ENCODER|DEMUXER|MUXER|FILTER|HWACCEL) 1$' <<<"$components" \
  | sed 's/^#define CONFIG_//; s/ 1$//' | tr 'A-Z\n' 'a-z ')"
log "next: scripts/build_wheel.sh --ffmpeg-prefix $PREFIX"
