// Test helpers shared by the C++ suites: synthetic planes with row padding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "metrics/plane.h"

namespace autocut::testing {

// A plane with `pad` bytes of garbage after each row, filled by f(x, y) -> sample.
template <typename T>
struct TestPlane {
  std::vector<uint8_t> bytes;
  PlaneView view;

  template <typename F>
  TestPlane(int w, int h, int bitDepth, int pad, F f) {
    const ptrdiff_t stride = static_cast<ptrdiff_t>(w) * sizeof(T) + pad;
    bytes.assign(static_cast<size_t>(stride) * h, 0xAB);
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const T v = static_cast<T>(f(x, y));
        std::memcpy(bytes.data() + y * stride + x * sizeof(T), &v, sizeof(T));
      }
    view = {bytes.data(), w, h, stride, bitDepth};
  }
};

}  // namespace autocut::testing
