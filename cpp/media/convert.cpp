#include "media/convert.h"

#include <algorithm>
#include <cstring>

namespace autocut {

OutputFormat parseOutputFormat(const std::string& name) {
  if (name == "luma") return OutputFormat::Luma;
  if (name == "yuv") return OutputFormat::Yuv;
  if (name == "gray8" || name == "gray") return OutputFormat::Gray8;
  if (name == "rgb24" || name == "rgb") return OutputFormat::Rgb24;
  if (name == "bgr24" || name == "bgr") return OutputFormat::Bgr24;
  throw Error(ErrorKind::InvalidArgument, "format", "",
              "unknown format '" + name + "' (use luma, yuv, gray8, rgb24 or bgr24)");
}

ImageView rotateView(const ImageView& v, int rotation) {
  ImageView r = v;
  switch (((rotation % 360) + 360) % 360) {
    case 90:  // out(y, x) = in(H-1-x, y)
      r.data = v.data + (v.height - 1) * v.rowStride;
      r.rowStride = v.colStride;
      r.colStride = -v.rowStride;
      std::swap(r.width, r.height);
      break;
    case 180:
      r.data = v.data + (v.height - 1) * v.rowStride + (v.width - 1) * v.colStride;
      r.rowStride = -v.rowStride;
      r.colStride = -v.colStride;
      break;
    case 270:  // out(y, x) = in(x, W-1-y)
      r.data = v.data + (v.width - 1) * v.colStride;
      r.rowStride = -v.colStride;
      r.colStride = v.rowStride;
      std::swap(r.width, r.height);
      break;
    default:
      break;
  }
  return r;
}

FrameConverter::FrameConverter(OutputFormat format, int width, int height, int rotation)
    : format_(format), width_(width), height_(height), rotation_(((rotation % 360) + 360) % 360) {
  if (width < 0 || height < 0 || (width == 0) != (height == 0)) {
    throw Error(ErrorKind::InvalidArgument, "size", "", "size must be (width, height) > 0");
  }
}

static ImageView planeView(const AVFrame* f, int plane, int w, int h, int channels, int bytes) {
  ImageView v;
  v.data = f->data[plane];
  v.width = w;
  v.height = h;
  v.channels = channels;
  v.bytesPerSample = bytes;
  v.rowStride = f->linesize[plane];
  v.colStride = static_cast<ptrdiff_t>(channels) * bytes;
  v.channelStride = bytes;
  return v;
}

Image FrameConverter::planesOf(const std::shared_ptr<AVFrame>& frame, bool lumaOnly) {
  const AVFrame* f = frame.get();
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  if (!desc || (desc->flags & AV_PIX_FMT_FLAG_RGB) || (desc->flags & AV_PIX_FMT_FLAG_PAL)) {
    throw Error(ErrorKind::InvalidArgument, "convert", "",
                std::string("planes of pixel format ") +
                    (desc ? desc->name : "unknown") + " are not YUV; use rgb24/bgr24 or gray8");
  }
  Image img;
  img.owner = frame;
  const int bytes = desc->comp[0].step > 1 && !(desc->flags & AV_PIX_FMT_FLAG_PLANAR) ? 1
                    : desc->comp[0].depth > 8                                        ? 2
                                                                                     : 1;
  // Packed luma (YUYV) cannot be a plane view; the planar formats decoders produce can.
  if (!(desc->flags & AV_PIX_FMT_FLAG_PLANAR) && desc->nb_components > 1) {
    throw Error(ErrorKind::InvalidArgument, "convert", "",
                std::string("packed pixel format ") + desc->name + " has no luma plane view");
  }
  img.planes.push_back(planeView(f, 0, f->width, f->height, 1, bytes));
  if (!lumaOnly && desc->nb_components >= 3) {
    const int cw = AV_CEIL_RSHIFT(f->width, desc->log2_chroma_w);
    const int ch = AV_CEIL_RSHIFT(f->height, desc->log2_chroma_h);
    if (desc->comp[1].plane == desc->comp[2].plane) {  // NV12/P010: interleaved UV
      img.planes.push_back(planeView(f, 1, cw, ch, 2, bytes));
    } else {
      img.planes.push_back(planeView(f, 1, cw, ch, 1, bytes));
      img.planes.push_back(planeView(f, 2, cw, ch, 1, bytes));
    }
  }
  return img;
}

Image FrameConverter::planarCopy(const AVFrame* src) {
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(src->format));
  const int depth = desc->comp[0].depth;
  const int cw = AV_CEIL_RSHIFT(src->width, desc->log2_chroma_w);
  const int ch = AV_CEIL_RSHIFT(src->height, desc->log2_chroma_h);
  const char* sub = desc->log2_chroma_w == 0 ? "444" : desc->log2_chroma_h == 0 ? "422" : "420";
  const std::string name = std::string("yuv") + sub + "p" + (depth > 8 ? std::to_string(depth) + "le" : "");
  const AVPixelFormat planar = av_get_pix_fmt(name.c_str());
  if (planar == AV_PIX_FMT_NONE) {
    throw Error(ErrorKind::InvalidArgument, "convert", "",
                std::string("no planar layout for pixel format ") + desc->name);
  }
  UniqueAVFrame out = makeVideoFrame(planar, src->width, src->height, ErrorKind::Decode);
  const int bytes = depth > 8 ? 2 : 1;
  // Sample c (0 = Y, 1 = U, 2 = V) of row y, column x, moved to the low bits.
  auto copyComponent = [&](int c, int w, int h) {
    const AVComponentDescriptor& d = desc->comp[c];
    for (int y = 0; y < h; ++y) {
      const uint8_t* in = src->data[d.plane] + y * src->linesize[d.plane] + d.offset;
      uint8_t* o = out->data[c] + y * out->linesize[c];
      for (int x = 0; x < w; ++x, in += d.step) {
        if (bytes == 1) {
          o[x] = static_cast<uint8_t>(*in >> d.shift);
        } else {
          uint16_t v;
          std::memcpy(&v, in, 2);
          v = static_cast<uint16_t>(v >> d.shift);
          std::memcpy(o + 2 * x, &v, 2);
        }
      }
    }
  };
  copyComponent(0, src->width, src->height);
  copyComponent(1, cw, ch);
  copyComponent(2, cw, ch);
  av_frame_copy_props(out.get(), src);
  Image img;
  img.planes.push_back(planeView(out.get(), 0, src->width, src->height, 1, bytes));
  img.planes.push_back(planeView(out.get(), 1, cw, ch, 1, bytes));
  img.planes.push_back(planeView(out.get(), 2, cw, ch, 1, bytes));
  img.owner = shareFrame(std::move(out));
  return img;
}

Image FrameConverter::shiftedLuma(const AVFrame* src, int shift, int depth, bool toEightBit) {
  UniqueAVFrame out = makeVideoFrame(toEightBit ? AV_PIX_FMT_GRAY8 : AV_PIX_FMT_GRAY16LE,
                                     src->width, src->height, ErrorKind::Decode);
  const int down = shift + (toEightBit ? depth - 8 : 0);
  for (int y = 0; y < src->height; ++y) {
    const auto* in = reinterpret_cast<const uint16_t*>(src->data[0] + y * src->linesize[0]);
    if (toEightBit) {
      uint8_t* o = out->data[0] + y * out->linesize[0];
      for (int x = 0; x < src->width; ++x) o[x] = static_cast<uint8_t>(in[x] >> down);
    } else {
      auto* o = reinterpret_cast<uint16_t*>(out->data[0] + y * out->linesize[0]);
      for (int x = 0; x < src->width; ++x) o[x] = static_cast<uint16_t>(in[x] >> down);
    }
  }
  Image img;
  img.planes.push_back(
      planeView(out.get(), 0, src->width, src->height, 1, toEightBit ? 1 : 2));
  img.owner = shareFrame(std::move(out));
  return img;
}

int swsColorspace(AVColorSpace space, int height) {
  switch (space) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_BT470BG:
    case AVCOL_SPC_SMPTE170M: return SWS_CS_ITU601;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_BT2020_NCL:
    case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601;  // untagged: by size
  }
}

bool isFullRange(const AVFrame* f) {
  switch (f->format) {
    case AV_PIX_FMT_YUVJ420P:
    case AV_PIX_FMT_YUVJ422P:
    case AV_PIX_FMT_YUVJ444P:
    case AV_PIX_FMT_YUVJ440P: return true;
    default: return f->color_range == AVCOL_RANGE_JPEG;
  }
}

static AVPixelFormat grayFormatForDepth(int depth) {
  switch (depth) {
    case 8: return AV_PIX_FMT_GRAY8;
    case 9: return AV_PIX_FMT_GRAY9LE;
    case 10: return AV_PIX_FMT_GRAY10LE;
    case 12: return AV_PIX_FMT_GRAY12LE;
    case 14: return AV_PIX_FMT_GRAY14LE;
    default: return AV_PIX_FMT_GRAY16LE;
  }
}

Image FrameConverter::scaled(const AVFrame* src, AVPixelFormat dstFormat, bool lumaOnly) {
  const bool swap = rotation_ == 90 || rotation_ == 270;
  int outW = width_ ? (swap ? height_ : width_) : src->width;
  int outH = height_ ? (swap ? width_ : height_) : src->height;

  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(src->format));
  // Gray output scales the luma plane alone (no range or matrix change), so it matches
  // the luma values exactly at native size.
  const AVPixelFormat srcFormat =
      lumaOnly ? grayFormatForDepth(desc ? desc->comp[0].depth : 8) : static_cast<AVPixelFormat>(src->format);
  const int range = isFullRange(src) ? 1 : 0;
  const int space = static_cast<int>(src->colorspace);
  if (!sws_ || swsW_ != src->width || swsH_ != src->height || swsFmt_ != srcFormat ||
      swsRange_ != range || swsSpace_ != space) {
    const int flags = (outW < src->width || outH < src->height) ? SWS_AREA : SWS_BICUBIC;
    sws_.reset(sws_getContext(src->width, src->height, srcFormat, outW, outH, dstFormat,
                              flags | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr,
                              nullptr));
    if (!sws_) {
      throw Error(ErrorKind::Decode, "create scaler", "",
                  std::string("cannot convert ") + av_get_pix_fmt_name(srcFormat) + " to " +
                      av_get_pix_fmt_name(dstFormat));
    }
    if (!lumaOnly) {
      const int* coeffs = sws_getCoefficients(swsColorspace(src->colorspace, src->height));
      sws_setColorspaceDetails(sws_.get(), coeffs, range, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                               0, 1 << 16, 1 << 16);
    }
    swsW_ = src->width;
    swsH_ = src->height;
    swsFmt_ = srcFormat;
    swsRange_ = range;
    swsSpace_ = space;
  }
  UniqueAVFrame out = makeVideoFrame(dstFormat, outW, outH, ErrorKind::Decode);
  const uint8_t* const srcData[4] = {src->data[0], lumaOnly ? nullptr : src->data[1],
                                     lumaOnly ? nullptr : src->data[2], nullptr};
  const int srcLines[4] = {src->linesize[0], lumaOnly ? 0 : src->linesize[1],
                           lumaOnly ? 0 : src->linesize[2], 0};
  sws_scale(sws_.get(), srcData, srcLines, 0, src->height, out->data, out->linesize);
  Image img;
  const int channels = dstFormat == AV_PIX_FMT_GRAY8 ? 1 : 3;
  img.planes.push_back(planeView(out.get(), 0, outW, outH, channels, 1));
  img.owner = shareFrame(std::move(out));
  return img;
}

Image FrameConverter::convert(const DecodedFrame& frame) {
  const AVFrame* f = frame.frame.get();
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f->format));
  const int depth = desc ? desc->comp[0].depth : 8;
  const int shift = desc ? desc->comp[0].shift : 0;  // P010 keeps samples in the high bits
  const bool planarYuv = desc && !(desc->flags & AV_PIX_FMT_FLAG_RGB) &&
                         (desc->flags & AV_PIX_FMT_FLAG_PLANAR || desc->nb_components == 1);
  Image img;
  switch (format_) {
    case OutputFormat::Luma:
      img = shift ? shiftedLuma(f, shift, depth, false) : planesOf(frame.frame, true);
      break;
    case OutputFormat::Yuv:
      // Hardware decoders hand out NV12 / P010 (interleaved chroma, samples in the high
      // bits): those become the planar layout a software decoder gives, so "yuv" is
      // always Y, U, V with samples in the low bits whatever decoded the frame.
      img = desc && desc->nb_components >= 3 &&
                    !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BE)) &&
                    (shift || desc->comp[1].plane == desc->comp[2].plane)
                ? planarCopy(f)
                : planesOf(frame.frame, false);
      break;
    case OutputFormat::Gray8:
      if (width_ || !planarYuv) {
        img = planarYuv ? scaled(f, AV_PIX_FMT_GRAY8, true) : scaled(f, AV_PIX_FMT_GRAY8, false);
      } else if (depth > 8 || shift) {
        img = shiftedLuma(f, shift, depth, true);
      } else {
        img = planesOf(frame.frame, true);
      }
      break;
    case OutputFormat::Rgb24:
      img = scaled(f, AV_PIX_FMT_RGB24, false);
      break;
    case OutputFormat::Bgr24:
      img = scaled(f, AV_PIX_FMT_BGR24, false);
      break;
  }
  for (ImageView& v : img.planes) v = rotateView(v, rotation_);
  img.width = img.planes[0].width;
  img.height = img.planes[0].height;
  return img;
}

}  // namespace autocut
