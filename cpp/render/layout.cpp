#include "render/layout.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "ffmpeg/error.h"

namespace autocut {

FitMode parseFit(const std::string& name) {
  if (name == "crop") return FitMode::Crop;
  if (name == "pad") return FitMode::Pad;
  if (name == "blur") return FitMode::Blur;
  throw Error(ErrorKind::InvalidArgument, "fit", "",
              "unknown fit '" + name + "' (use 'crop', 'pad' or 'blur')");
}

const char* fitName(FitMode mode) noexcept {
  switch (mode) {
    case FitMode::Crop: return "crop";
    case FitMode::Pad: return "pad";
    case FitMode::Blur: return "blur";
  }
  return "crop";
}

namespace {

int evenDown(int v) { return v & ~1; }
int evenNearest(double v) { return 2 * static_cast<int>(std::lround(v / 2.0)); }

}  // namespace

FitLayout fitLayout(int srcWidth, int srcHeight, int canvasWidth, int canvasHeight, FitMode mode) {
  if (srcWidth <= 0 || srcHeight <= 0 || canvasWidth <= 0 || canvasHeight <= 0 ||
      canvasWidth % 2 != 0 || canvasHeight % 2 != 0) {
    throw std::invalid_argument("fitLayout: sizes must be positive and the canvas even");
  }
  const int64_t srcAspect = static_cast<int64_t>(srcWidth) * canvasHeight;  // compared to
  const int64_t canvasAspect = static_cast<int64_t>(srcHeight) * canvasWidth;  // this
  FitLayout out;
  out.source = {0, 0, srcWidth, srcHeight};
  if (mode == FitMode::Crop) {
    out.target = {0, 0, canvasWidth, canvasHeight};
    if (srcAspect > canvasAspect) {  // wider than the canvas: cut the sides
      const int w = evenNearest(static_cast<double>(srcHeight) * canvasWidth / canvasHeight);
      if (w >= 2 && w < srcWidth) out.source = {evenDown((srcWidth - w) / 2), 0, w, srcHeight};
    } else if (srcAspect < canvasAspect) {  // taller: cut top and bottom
      const int h = evenNearest(static_cast<double>(srcWidth) * canvasHeight / canvasWidth);
      if (h >= 2 && h < srcHeight) out.source = {0, evenDown((srcHeight - h) / 2), srcWidth, h};
    }
    return out;
  }
  int w = canvasWidth, h = canvasHeight;
  if (srcAspect >= canvasAspect) {  // as wide or wider: full width, bars above and below
    h = std::clamp(evenNearest(static_cast<double>(srcHeight) * canvasWidth / srcWidth), 2,
                   canvasHeight);
  } else {  // taller: full height, bars left and right
    w = std::clamp(evenNearest(static_cast<double>(srcWidth) * canvasHeight / srcHeight), 2,
                   canvasWidth);
  }
  out.target = {evenDown((canvasWidth - w) / 2), evenDown((canvasHeight - h) / 2), w, h};
  return out;
}

Rect uprightToStored(const Rect& r, int rotation, int storedWidth, int storedHeight) {
  switch (((rotation % 360) + 360) % 360) {
    case 90:  // upright(y, x) = stored(H-1-x, y)
      return {r.y, storedHeight - r.x - r.width, r.height, r.width};
    case 180:
      return {storedWidth - r.x - r.width, storedHeight - r.y - r.height, r.width, r.height};
    case 270:  // upright(y, x) = stored(x, W-1-y)
      return {storedWidth - r.y - r.height, r.x, r.height, r.width};
    default:
      return r;
  }
}

void copyRotated(const uint8_t* src, ptrdiff_t srcStride, int srcWidth, int srcHeight,
                 int rotation, uint8_t* dst, ptrdiff_t dstStride) {
  rotation = ((rotation % 360) + 360) % 360;
  if (rotation == 0) {
    for (int y = 0; y < srcHeight; ++y) {
      std::memcpy(dst + y * dstStride, src + y * srcStride, static_cast<size_t>(srcWidth));
    }
    return;
  }
  const bool swap = rotation == 90 || rotation == 270;
  const int outW = swap ? srcHeight : srcWidth;
  const int outH = swap ? srcWidth : srcHeight;
  // Where upright (0, 0) is in the source, and the source steps for +1 column / +1 row.
  const uint8_t* origin = src;
  ptrdiff_t colStep = 1, rowStep = srcStride;
  switch (rotation) {
    case 90:  // out(y, x) = in(H-1-x, y)
      origin = src + (srcHeight - 1) * srcStride;
      colStep = -srcStride;
      rowStep = 1;
      break;
    case 180:
      origin = src + (srcHeight - 1) * srcStride + (srcWidth - 1);
      colStep = -1;
      rowStep = -srcStride;
      break;
    default:  // 270: out(y, x) = in(x, W-1-y)
      origin = src + (srcWidth - 1);
      colStep = srcStride;
      rowStep = -1;
      break;
  }
  // Tiles keep both the reads and the writes within a few cache lines.
  constexpr int kTile = 32;
  for (int ty = 0; ty < outH; ty += kTile) {
    const int yEnd = std::min(outH, ty + kTile);
    for (int tx = 0; tx < outW; tx += kTile) {
      const int xEnd = std::min(outW, tx + kTile);
      for (int y = ty; y < yEnd; ++y) {
        const uint8_t* in = origin + y * rowStep + tx * colStep;
        uint8_t* out = dst + y * dstStride;
        for (int x = tx; x < xEnd; ++x, in += colStep) out[x] = *in;
      }
    }
  }
}

Yuv rgbToYuv709(uint8_t r, uint8_t g, uint8_t b) noexcept {
  const double rn = r / 255.0, gn = g / 255.0, bn = b / 255.0;
  const double y = 0.2126 * rn + 0.7152 * gn + 0.0722 * bn;
  auto clamp8 = [](double v) {
    return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
  };
  return {clamp8(16.0 + 219.0 * y), clamp8(128.0 + 224.0 * (bn - y) / 1.8556),
          clamp8(128.0 + 224.0 * (rn - y) / 1.5748)};
}

void fillPlane(uint8_t* data, ptrdiff_t stride, int width, int height, uint8_t value) noexcept {
  for (int y = 0; y < height; ++y) std::memset(data + y * stride, value, static_cast<size_t>(width));
}

namespace {

// One box pass over `n` samples spaced `step` apart, edges clamped; `tmp` holds n samples.
void boxLine(uint8_t* line, ptrdiff_t step, int n, int radius, std::vector<uint8_t>& tmp) {
  for (int i = 0; i < n; ++i) tmp[i] = line[i * step];
  const int taps = 2 * radius + 1;
  auto at = [&](int i) { return static_cast<int>(tmp[std::clamp(i, 0, n - 1)]); };
  int sum = 0;
  for (int k = -radius; k <= radius; ++k) sum += at(k);
  for (int i = 0; i < n; ++i) {
    line[i * step] = static_cast<uint8_t>((sum + taps / 2) / taps);
    sum += at(i + radius + 1) - at(i - radius);
  }
}

}  // namespace

void boxBlur(uint8_t* data, ptrdiff_t stride, int width, int height, int radius, int passes) {
  if (radius <= 0 || passes <= 0 || width <= 0 || height <= 0) return;
  std::vector<uint8_t> tmp(static_cast<size_t>(std::max(width, height)));
  for (int p = 0; p < passes; ++p) {
    for (int y = 0; y < height; ++y) boxLine(data + y * stride, 1, width, radius, tmp);
    for (int x = 0; x < width; ++x) boxLine(data + x, stride, height, radius, tmp);
  }
}

}  // namespace autocut
