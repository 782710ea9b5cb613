// Plain views over image planes: what every metric kernel takes. No FFmpeg types here,
// so kernels are tested alone on synthetic arrays and reused on hardware-mapped planes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace autocut {

// One plane of samples. 8-bit planes hold uint8_t; 9..16-bit planes hold uint16_t
// (little-endian native, value range [0, 2^bitDepth)). `stride` is in bytes and may
// exceed width * bytesPerSample (decoder padding).
struct PlaneView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  ptrdiff_t stride = 0;
  int bitDepth = 8;

  int bytesPerSample() const noexcept { return bitDepth > 8 ? 2 : 1; }
  const uint8_t* row(int y) const noexcept { return data + static_cast<ptrdiff_t>(y) * stride; }
};

}  // namespace autocut
