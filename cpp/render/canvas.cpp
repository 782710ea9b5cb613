#include "render/canvas.h"

#include <algorithm>
#include <cmath>

#include "media/convert.h"

namespace autocut {

namespace {

// The blurred background is computed at 1/kBlurScale of the canvas size, then scaled up.
constexpr double kBlurScale = 16.0;
constexpr int kBlurLumaRadius = 2, kBlurChromaRadius = 1, kBlurPasses = 2;

int evenAtLeast2(double v) { return std::max(2, 2 * static_cast<int>(std::lround(v / 2.0))); }

void ensureSize(UniqueAVFrame& f, int width, int height) {
  if (!f || f->width != width || f->height != height) f = Compositor::allocate(width, height);
}

// Copies the three planes of the YUV420P frame `src`, turned by `rotation`, into the
// YUV420P frame `dst` with the upright top-left corner at (x, y) (even).
void placeRotated(const AVFrame* src, int rotation, AVFrame* dst, int x, int y) {
  for (int p = 0; p < 3; ++p) {
    const int shift = p == 0 ? 0 : 1;
    copyRotated(src->data[p], src->linesize[p], AV_CEIL_RSHIFT(src->width, shift),
                AV_CEIL_RSHIFT(src->height, shift), rotation,
                dst->data[p] + (y >> shift) * dst->linesize[p] + (x >> shift), dst->linesize[p]);
  }
}

}  // namespace

Compositor::Compositor(int width, int height, FitMode fit, Yuv background)
    : width_(width), height_(height), fit_(fit), background_(background) {
  if (width <= 0 || height <= 0 || width % 2 != 0 || height % 2 != 0) {
    throw Error(ErrorKind::InvalidArgument, "canvas", "",
                "canvas size must be positive and even, got " + std::to_string(width) + "x" +
                    std::to_string(height));
  }
}

UniqueAVFrame Compositor::allocate(int width, int height) {
  return makeVideoFrame(AV_PIX_FMT_YUV420P, width, height, ErrorKind::Encode,
                        "allocate canvas frame");
}

SwsContext* Compositor::scaler(Scaler& s, const std::array<int, 8>& key, int flags,
                               const int* srcMatrix, int srcRange) {
  if (s.ctx && s.key == key) return s.ctx.get();
  const auto srcFormat = static_cast<AVPixelFormat>(key[2]);
  s.ctx.reset(sws_getContext(key[0], key[1], srcFormat, key[5], key[6], AV_PIX_FMT_YUV420P, flags,
                             nullptr, nullptr, nullptr));
  if (!s.ctx) {
    const char* name = av_get_pix_fmt_name(srcFormat);
    throw Error(ErrorKind::Encode, "create scaler", "",
                std::string("cannot scale ") + (name ? name : "unknown format") + " " +
                    std::to_string(key[0]) + "x" + std::to_string(key[1]) + " to yuv420p " +
                    std::to_string(key[5]) + "x" + std::to_string(key[6]));
  }
  if (srcMatrix) {
    // To BT.709 limited range, the output's tags. Different matrices make swscale go
    // through RGB; sources already in BT.709 take the direct path.
    sws_setColorspaceDetails(s.ctx.get(), srcMatrix, srcRange, sws_getCoefficients(SWS_CS_ITU709),
                             0, 0, 1 << 16, 1 << 16);
  }
  s.key = key;
  return s.ctx.get();
}

void Compositor::draw(const AVFrame* src, int rotation, AVFrame* canvas) {
  rotation = ((rotation % 360) + 360) % 360;
  const bool swap = rotation == 90 || rotation == 270;
  const int uprightW = swap ? src->height : src->width;
  const int uprightH = swap ? src->width : src->height;
  const FitLayout layout = fitLayout(uprightW, uprightH, width_, height_, fit_);
  const Rect stored = uprightToStored(layout.source, rotation, src->width, src->height);

  const AVFrame* input = src;
  if (stored != Rect{0, 0, src->width, src->height}) {
    if (!cropped_) cropped_ = makeFrame();
    av_frame_unref(cropped_.get());
    check(av_frame_ref(cropped_.get(), src), ErrorKind::Encode, "reference frame", "");
    cropped_->crop_left = static_cast<size_t>(stored.x);
    cropped_->crop_top = static_cast<size_t>(stored.y);
    cropped_->crop_right = static_cast<size_t>(src->width - stored.x - stored.width);
    cropped_->crop_bottom = static_cast<size_t>(src->height - stored.y - stored.height);
    check(av_frame_apply_cropping(cropped_.get(), AV_FRAME_CROP_UNALIGNED), ErrorKind::Encode,
          "crop frame", "");
    input = cropped_.get();
  }

  const int scaledW = swap ? layout.target.height : layout.target.width;
  const int scaledH = swap ? layout.target.width : layout.target.height;
  const bool fills = layout.target == Rect{0, 0, width_, height_};
  const bool direct = fills && rotation == 0;  // straight into the canvas, aligned
  const int range = isFullRange(src) ? 1 : 0;
  const int space = swsColorspace(src->colorspace, src->height);
  // A matrix change goes through RGB, where swscale's default rounding darkens shadows
  // by up to 4 levels; accurate rounding with full chroma keeps them exact.
  const int flags = space == SWS_CS_ITU709 ? SWS_BICUBIC
                                           : SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT;
  SwsContext* sws = scaler(main_,
                           {input->width, input->height, input->format, range, space, scaledW,
                            scaledH, 0},
                           flags, sws_getCoefficients(space), range);
  if (!direct) ensureSize(fg_, scaledW, scaledH);
  AVFrame* dst = direct ? canvas : fg_.get();
  sws_scale(sws, input->data, input->linesize, 0, input->height, dst->data, dst->linesize);
  if (cropped_) av_frame_unref(cropped_.get());  // hand the decoder's buffer back promptly
  if (direct) return;

  if (!fills) {
    if (fit_ == FitMode::Blur) {
      drawBlurredBackground(fg_.get(), rotation, layout.target.width, layout.target.height,
                            canvas);
    } else {
      fillPlane(canvas->data[0], canvas->linesize[0], width_, height_, background_.y);
      fillPlane(canvas->data[1], canvas->linesize[1], width_ / 2, height_ / 2, background_.u);
      fillPlane(canvas->data[2], canvas->linesize[2], width_ / 2, height_ / 2, background_.v);
    }
  }
  placeRotated(fg_.get(), rotation, canvas, layout.target.x, layout.target.y);
}

void Compositor::drawBlurredBackground(const AVFrame* fg, int rotation, int uprightW,
                                       int uprightH, AVFrame* canvas) {
  const bool swap = rotation == 90 || rotation == 270;
  // The part of the (upright) foreground that fills the canvas, in fg's stored layout.
  const Rect crop = fitLayout(uprightW, uprightH, width_, height_, FitMode::Crop).source;
  const Rect st = uprightToStored(crop, rotation, fg->width, fg->height);
  const int tinyW = evenAtLeast2(width_ / kBlurScale), tinyH = evenAtLeast2(height_ / kBlurScale);
  ensureSize(tiny_, swap ? tinyH : tinyW, swap ? tinyW : tinyH);

  const uint8_t* const src[4] = {
      fg->data[0] + st.y * fg->linesize[0] + st.x,
      fg->data[1] + (st.y / 2) * fg->linesize[1] + st.x / 2,
      fg->data[2] + (st.y / 2) * fg->linesize[2] + st.x / 2, nullptr};
  SwsContext* down = scaler(down_,
                            {st.width, st.height, AV_PIX_FMT_YUV420P, 0, 0, tiny_->width,
                             tiny_->height, 0},
                            SWS_AREA, nullptr, 0);
  sws_scale(down, src, fg->linesize, 0, st.height, tiny_->data, tiny_->linesize);

  AVFrame* upright = tiny_.get();
  if (rotation != 0) {
    ensureSize(tinyUpright_, tinyW, tinyH);
    placeRotated(tiny_.get(), rotation, tinyUpright_.get(), 0, 0);
    upright = tinyUpright_.get();
  }
  boxBlur(upright->data[0], upright->linesize[0], tinyW, tinyH, kBlurLumaRadius, kBlurPasses);
  for (int p = 1; p < 3; ++p) {
    boxBlur(upright->data[p], upright->linesize[p], tinyW / 2, tinyH / 2, kBlurChromaRadius,
            kBlurPasses);
  }
  SwsContext* up = scaler(up_, {tinyW, tinyH, AV_PIX_FMT_YUV420P, 0, 0, width_, height_, 0},
                          SWS_BILINEAR, nullptr, 0);
  sws_scale(up, upright->data, upright->linesize, 0, tinyH, canvas->data, canvas->linesize);
}

}  // namespace autocut
