#!/usr/bin/env bash
# Coverage-guided fuzzing of the core's readers (tests/fuzz/fuzz_media.cpp, libFuzzer).
#
#   scripts/fuzz.sh [seconds]     default 60; FUZZ_SECONDS works too; 0 replays only
#
# 1. Builds build/fuzz with clang (-fsanitize=fuzzer,address,undefined; the core with
#    fuzzer-no-link coverage). On Debian/Ubuntu, clang-14 and libclang-rt-14-dev are
#    installed when missing; elsewhere (macOS) fuzzing is skipped when no clang with
#    libFuzzer is found (Apple's clang has none; Homebrew's llvm has).
# 2. Makes the seed corpus once: tiny valid files of every container the core reads
#    (ffmpeg CLI, a few KB each) in build/fuzz/seeds; new inputs go to build/fuzz/corpus.
# 3. Replays every committed regression input (tests/fuzz/regressions/), then fuzzes for
#    the given time. Any crash, sanitizer report, leak or timeout fails the script; the
#    input is saved as build/fuzz/artifacts/crash-* (commit it to regressions/ once fixed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SECONDS_TO_RUN=${1:-${FUZZ_SECONDS:-60}}
BUILD=build/fuzz
log() { printf '[fuzz] %s\n' "$*"; }

# ---- A clang with libFuzzer ---------------------------------------------------------
if [ "$(uname -s)" = Linux ] && command -v dpkg-query >/dev/null && [ -z "${FUZZ_CXX:-}" ]; then
  . scripts/debian_packages.sh
  # libFuzzer's runtime is in libclang-rt. Not fatal: a release without clang-14 may
  # still have another clang with libFuzzer.
  debian_install_missing clang-14 libclang-rt-14-dev ||
    log "could not install clang-14 / libclang-rt-14-dev; looking for another clang"
fi
CXX_FUZZ=""
for c in "${FUZZ_CXX:-}" clang++-14 clang++ "$(brew --prefix llvm 2>/dev/null)/bin/clang++"; do
  [ -n "$c" ] && command -v "$c" >/dev/null || continue
  # libFuzzer is a separate runtime: check that it links.
  if echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
      "$c" -x c++ -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
    CXX_FUZZ=$(command -v "$c")
    break
  fi
done
if [ -z "$CXX_FUZZ" ]; then
  log "no clang with libFuzzer found: fuzzing skipped (set FUZZ_CXX to a clang++ that has it)"
  exit 0
fi
CC_FUZZ=${CXX_FUZZ/clang++/clang}

# ---- Build ---------------------------------------------------------------------------
mkdir -p "$BUILD"
CC=$CC_FUZZ CXX=$CXX_FUZZ cmake -S . -B "$BUILD" -G Ninja -DAUTOCUT_BUILD_FUZZERS=ON \
  -DAUTOCUT_BUILD_PYTHON=OFF -DAUTOCUT_BUILD_TESTS=OFF -DAUTOCUT_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" \
  >"$BUILD.configure.log" 2>&1 || { cat "$BUILD.configure.log"; exit 1; }
cmake --build "$BUILD" --target fuzz_media -j "$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)"
FUZZER=$BUILD/fuzz_media

# ---- Seed corpus ------------------------------------------------------------------------
seed() {  # name, ffmpeg args before the output
  local out=$BUILD/seeds/$1; shift
  [ -s "$out" ] && return
  ffmpeg -hide_banner -loglevel error -nostdin -y "$@" "$out.tmp.${out##*.}"
  mv "$out.tmp.${out##*.}" "$out"
}
mkdir -p "$BUILD/seeds" "$BUILD/corpus" "$BUILD/artifacts"
V=(-f lavfi -i "testsrc2=size=48x32:rate=10:duration=0.5")
A=(-f lavfi -i "sine=frequency=440:sample_rate=8000:duration=0.5")
seed h264_aac.mp4 "${V[@]}" "${A[@]}" -c:v libx264 -preset ultrafast -g 3 -bf 1 \
  -pix_fmt yuv420p -c:a aac -b:a 16k -shortest
seed h264_fast.mov "${V[@]}" -c:v libx264 -preset ultrafast -g 2 -pix_fmt yuv444p \
  -movflags +faststart
seed vp9_opus.webm "${V[@]}" -f lavfi -i "sine=sample_rate=48000:duration=0.5" -c:v libvpx-vp9 \
  -deadline realtime -cpu-used 8 -b:v 50k -c:a libopus -b:a 16k -shortest
seed mpeg4.avi "${V[@]}" -c:v mpeg4 -q:v 8 -g 3
seed mjpeg_pcm.mkv "${V[@]}" "${A[@]}" -c:v mjpeg -q:v 20 -c:a pcm_s16le -shortest
# x265 needs at least a 64-wide picture (smaller ones crash it).
seed hevc10.mkv -f lavfi -i "testsrc2=size=64x48:rate=10:duration=0.5" -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le \
  -x265-params log-level=error:keyint=3
seed tone.mp3 "${A[@]}" -c:a libmp3lame -b:a 16k
seed tone.wav -f lavfi -i "sine=frequency=440:sample_rate=8000:duration=0.2" -c:a pcm_s16le
seed tone.m4a "${A[@]}" -ac 2 -c:a aac -b:a 16k

# Sanitizer reports end the run with a non-zero status and leave the input behind. Fast
# unwinding (unlike the ctest step): the target never probes hardware, whose driver leaks
# the suppressions match, and full unwinding on every malloc would cost 3x the executions.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
FLAGS=(-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$BUILD/artifacts/")

# ---- Regressions: every committed input, once each ------------------------------------------
regressions=()
while IFS= read -r f; do regressions+=("$f"); done < <(find tests/fuzz/regressions -type f ! -name '*.md' 2>/dev/null | sort)
if [ "${#regressions[@]}" -gt 0 ]; then
  log "replaying ${#regressions[@]} regression inputs"
  "$FUZZER" "${FLAGS[@]}" "${regressions[@]}" >"$BUILD/regressions.log" 2>&1 ||
    { tail -60 "$BUILD/regressions.log"; log "a regression input fails again"; exit 1; }
fi

# ---- Fuzz ---------------------------------------------------------------------------------------
if [ "$SECONDS_TO_RUN" -gt 0 ]; then
  log "fuzzing for ${SECONDS_TO_RUN} s (log: $BUILD/fuzz.log)"
  if ! "$FUZZER" "${FLAGS[@]}" -max_total_time="$SECONDS_TO_RUN" -max_len=65536 \
      -print_final_stats=1 "$BUILD/corpus" "$BUILD/seeds" tests/fuzz/regressions \
      >"$BUILD/fuzz.log" 2>&1; then
    tail -80 "$BUILD/fuzz.log"
    log "the fuzzer found a crash: input saved in $BUILD/artifacts/"
    exit 1
  fi
  grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb' "$BUILD/fuzz.log" |
    sed 's/^/[fuzz] /' || true
fi
