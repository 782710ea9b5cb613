// libFuzzer target: arbitrary bytes through every reader of the core, from memory.
//
// One input goes through probe(), a VideoDecoder (a bounded number of frames, then a
// seek), analyzeClip() and detectBeats(), all over memorySource(). The only acceptable
// outcomes are a result or an autocut::Error; a crash, a sanitizer report, a leak, an
// exception of another type, or a call that outlives its time budget (a loop that never
// checks for interruption: Ctrl-C would not stop it either) is a finding.
//
// Built by CMake with -DAUTOCUT_BUILD_FUZZERS=ON (clang only); run by scripts/fuzz.sh.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>

#include "analysis/analyzer.h"
#include "audio/beats.h"
#include "ffmpeg/ffmpeg.h"
#include "media/decoder.h"
#include "media/probe.h"

namespace {

using Clock = std::chrono::steady_clock;

// Thrown by the interrupt checks once a call has used its time; caught below like an
// Error. The core must unwind it as it unwinds Ctrl-C.
struct OutOfTime {};

// Each entry point gets this long, measured from its start, before its interrupt check
// throws. Far below libFuzzer's -timeout, so only a loop without checks can hit that.
constexpr auto kBudget = std::chrono::milliseconds(1500);

std::function<void()> deadline() {
  const auto end = Clock::now() + kBudget;
  return [end] {
    if (Clock::now() > end) throw OutOfTime{};
  };
}

// Decoded frames are bounded by size, not count: a tiny input can claim huge dimensions.
constexpr int kMaxFrames = 24;

// FUZZ_VERBOSE=1 prints how each call ended (to triage an input by hand).
const bool kVerbose = std::getenv("FUZZ_VERBOSE") != nullptr;

template <typename F>
void guarded(const char* what, F&& f) {
  const char* outcome = "ok";
  std::string detail;
  try {
    f();
  } catch (const autocut::Error& e) {
    outcome = "Error";
    detail = e.what();
  } catch (const OutOfTime&) {
    outcome = "out of time";
  } catch (const std::bad_alloc&) {  // FFmpeg refused an allocation over the cap below
    outcome = "bad_alloc";
  }
  if (kVerbose) std::fprintf(stderr, "%s: %s %s\n", what, outcome, detail.c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Software decoding only: hardware probing is slow and leaks inside drivers.
  setenv("AUTOCUT_NATIVE_HWACCEL", "none", 1);
  autocut::initLogging();
  av_log_set_level(AV_LOG_QUIET);
  // A few KB can declare a 30000x30000 picture. Cap FFmpeg's allocations so such inputs
  // fail with ENOMEM (which the core must handle) instead of exhausting -rss_limit_mb.
  av_max_alloc(64 << 20);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace autocut;
  const auto bytes = std::make_shared<const std::string>(reinterpret_cast<const char*>(data), size);
  const InputSource source = memorySource(bytes, "<fuzz>");

  guarded("probe", [&] { (void)probe(source); });

  guarded("decode", [&] {
    DecoderOptions options;
    options.hwaccel = "none";
    options.threads = 1;
    options.interruptCheck = deadline();
    VideoDecoder decoder(source, options);
    DecodedFrame frame;
    int n = 0;
    double last = 0.0;
    while (n < kMaxFrames && decoder.next(frame)) {
      last = frame.pts;
      ++n;
    }
    // Backwards (a demuxer seek), then past the end, then far past anything.
    for (double t : {last / 2, decoder.info().duration + 1.0, 1e300}) {
      decoder.seek(t);
      (void)decoder.next(frame);
    }
  });

  // The analyzer decodes the whole stream: keep it to small inputs so each run is fast.
  if (size <= 64 * 1024) {
    guarded("analyze", [&] {
      AnalyzeOptions options;
      options.hwaccel = "none";
      // Sampled analysis on odd sizes: both paths of the tick loop get exercised, the
      // read-ahead, and (on some) the pool of GOP decoders.
      options.threads = (size & 3) == 3 ? 2 : 1;
      options.analysisSize = 32;
      options.sampleFps = (size & 1) ? 7.0 : 0.0;
      options.interruptCheck = deadline();
      (void)analyzeClip(source, options);
    });
  }

  guarded("beats", [&] {
    BeatCallbacks callbacks;
    callbacks.check = deadline();
    (void)detectBeats(source, BeatOptions{}, callbacks);
  });
  return 0;
}
