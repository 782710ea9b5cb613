// Pure canvas geometry and pixel helpers of the renderer: where a source lands on the
// canvas for each fit mode, how a rectangle of the upright picture maps onto the stored
// (unrotated) frame, the background colour in the output's YUV, and the cheap blur of
// the "blur" fit. No FFmpeg types: unit-tested alone (tests/cpp/test_render.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace autocut {

// ---- Fit ---------------------------------------------------------------------------

// crop: scale to fill the canvas, cutting the overflow evenly from both sides.
// pad:  scale to fit inside the canvas, bars in the background colour.
// blur: like pad, with the bars filled by a blurred copy of the picture scaled to fill.
enum class FitMode { Crop, Pad, Blur };
FitMode parseFit(const std::string& name);  // "crop" | "pad" | "blur"; InvalidArgument otherwise
const char* fitName(FitMode mode) noexcept;

struct Rect {
  int x = 0, y = 0, width = 0, height = 0;
  bool operator==(const Rect&) const = default;
};

struct FitLayout {
  Rect source;  // the region of the upright source picture that is shown
  Rect target;  // where that region lands on the canvas, scaled to target's size
};

// Layout of an upright source of srcWidth x srcHeight on the canvas. For Blur this is the
// foreground (as Pad); the background is fitLayout(foreground size, canvas, Crop).
// Canvas sizes must be even. Every cropped offset is even (4:2:0 chroma alignment), every
// target coordinate and size is even, and the target lies inside the canvas. A source
// that is not cropped keeps its full (possibly odd) size.
FitLayout fitLayout(int srcWidth, int srcHeight, int canvasWidth, int canvasHeight, FitMode mode);

// ---- Rotation ----------------------------------------------------------------------

// The rectangle of the stored frame (storedWidth x storedHeight, before rotation) that
// shows as `upright` once the frame is turned clockwise by `rotation` (0/90/180/270).
Rect uprightToStored(const Rect& upright, int rotation, int storedWidth, int storedHeight);

// Copies a plane of 8-bit samples turned clockwise by `rotation` degrees: `dst` receives
// a (rotated) plane of width x height = srcHeight x srcWidth for 90/270, the same size
// otherwise. Same convention as rotateView in media/convert.h.
void copyRotated(const uint8_t* src, ptrdiff_t srcStride, int srcWidth, int srcHeight,
                 int rotation, uint8_t* dst, ptrdiff_t dstStride);

// ---- Colour ------------------------------------------------------------------------

struct Yuv {
  uint8_t y = 16, u = 128, v = 128;
  bool operator==(const Yuv&) const = default;
};

// An sRGB-coded colour (0..255 each) in BT.709 limited-range YCbCr, the output's space.
Yuv rgbToYuv709(uint8_t r, uint8_t g, uint8_t b) noexcept;

// Fills a width x height plane of 8-bit samples with `value`.
void fillPlane(uint8_t* data, ptrdiff_t stride, int width, int height, uint8_t value) noexcept;

// ---- Blur --------------------------------------------------------------------------

// In-place separable box blur (horizontal then vertical, edges clamped) of a plane of
// 8-bit samples with a (2 radius + 1)-tap mean, repeated `passes` times (3 passes are
// close to a Gaussian of sigma ~ radius). Meant for small images: the blur fit blurs a
// copy downscaled ~16x, then scales it back up.
void boxBlur(uint8_t* data, ptrdiff_t stride, int width, int height, int radius, int passes);

}  // namespace autocut
