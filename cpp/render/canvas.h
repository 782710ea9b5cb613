// Compositor: draws decoded frames onto the output canvas, 8-bit YUV 4:2:0 in BT.709
// limited range, the format every encoder of the renderer is fed.
//
// One swscale pass per frame does crop, scale, bit depth (10 -> 8 bit, dithered),
// range and matrix (sources tagged or assumed BT.601/2020 are converted to BT.709; see
// swsColorspace in media/convert.h). Rotated sources are scaled in their stored
// orientation, then turned upright by a plane copy at canvas size. Scalers are cached and
// rebuilt only when the source geometry or format changes (once per segment at most).
#pragma once

#include <array>

#include "ffmpeg/ffmpeg.h"
#include "render/layout.h"

namespace autocut {

class Compositor {
 public:
  // width/height: canvas size, even. background: bar colour of FitMode::Pad.
  Compositor(int width, int height, FitMode fit, Yuv background);

  // Draws `src` (a software frame of any pixel format, stored orientation) turned
  // clockwise by `rotation` onto `canvas`, a writable YUV420P frame of the canvas size.
  void draw(const AVFrame* src, int rotation, AVFrame* canvas);

  // A newly allocated YUV420P frame of width x height (throws on allocation failure).
  static UniqueAVFrame allocate(int width, int height);

 private:
  // A swscale context reused while its key (sizes, formats, colour) stays the same.
  struct Scaler {
    UniqueSwsContext ctx;
    std::array<int, 8> key{};
  };
  SwsContext* scaler(Scaler& s, const std::array<int, 8>& key, int flags, const int* srcMatrix,
                     int srcRange);
  void drawBlurredBackground(const AVFrame* fg, int rotation, int uprightW, int uprightH,
                             AVFrame* canvas);

  int width_, height_;
  FitMode fit_;
  Yuv background_;
  Scaler main_, down_, up_;
  UniqueAVFrame cropped_;                // a reference to the source with cropping applied
  UniqueAVFrame fg_, tiny_, tinyUpright_;  // scratch planes, reallocated on size change
};

}  // namespace autocut
