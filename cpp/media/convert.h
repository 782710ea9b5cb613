// Turns decoded frames into the images callers ask for: the decoded planes as they are
// (zero copy), 8-bit gray, or RGB/BGR through swscale honouring colour range and
// matrix, optionally scaled and turned upright. Rotation is a strided view, not a copy.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ffmpeg/ffmpeg.h"
#include "media/decoder.h"

namespace autocut {

enum class OutputFormat { Luma, Yuv, Gray8, Rgb24, Bgr24 };
OutputFormat parseOutputFormat(const std::string& name);

// A strided view into memory owned by `Image::owner`. Strides are in bytes and may be
// negative (rotated views). channels > 1 means interleaved samples (RGB, NV12's UV).
struct ImageView {
  const uint8_t* data = nullptr;
  int height = 0, width = 0, channels = 1;
  ptrdiff_t rowStride = 0, colStride = 0, channelStride = 0;
  int bytesPerSample = 1;
};

struct Image {
  std::shared_ptr<AVFrame> owner;  // keeps every plane alive
  std::vector<ImageView> planes;   // one for luma/gray/rgb; Y, U, V for yuv
  int width = 0, height = 0;       // of the first plane, after rotation and scaling
};

// Returns `view` turned clockwise by 0/90/180/270 degrees, without copying.
ImageView rotateView(const ImageView& view, int rotation);

// ---- Colour of decoded frames (shared with the renderer) ----------------------------
// The swscale matrix (SWS_CS_*) of a colour space; untagged frames count as BT.709 from
// 720 lines up and BT.601 below.
int swsColorspace(AVColorSpace space, int height);
// Full ("JPEG") range: yuvj formats or color_range == AVCOL_RANGE_JPEG.
bool isFullRange(const AVFrame* frame);

class FrameConverter {
 public:
  // width/height 0 keeps the decoded size; `rotation` is applied after scaling, so the
  // requested size is the upright output size. Scaling applies to gray8/rgb24/bgr24.
  FrameConverter(OutputFormat format, int width, int height, int rotation);

  Image convert(const DecodedFrame& frame);

 private:
  Image planesOf(const std::shared_ptr<AVFrame>& frame, bool lumaOnly);
  Image scaled(const AVFrame* src, AVPixelFormat dstFormat, bool lumaOnly);
  Image shiftedLuma(const AVFrame* src, int shift, int depth, bool toEightBit);
  // Y, U, V planes of a semi-planar (NV12, P010) or high-bit-aligned frame, copied into
  // the planar format of the same depth with samples in the low bits.
  Image planarCopy(const AVFrame* src);

  OutputFormat format_;
  int width_, height_, rotation_;
  UniqueSwsContext sws_;
  // The source geometry sws_ was made for.
  int swsW_ = 0, swsH_ = 0, swsFmt_ = -1, swsRange_ = -1, swsSpace_ = -1;
};

}  // namespace autocut
