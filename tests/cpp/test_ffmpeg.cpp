// cpp/ffmpeg: owners free what they own (run under ASan in CI), errors carry the
// operation, the file and FFmpeg's text, version shims behave.
#include <gtest/gtest.h>

#include <cstdio>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "ffmpeg/ffmpeg.h"
#include "hw/device.h"
#include "media/convert.h"
#include "media/probe.h"

using namespace autocut;

namespace {

// The planes VideoReader's format "yuv" hands out for a decoded frame.
Image yuvPlanes(UniqueAVFrame frame) {
  DecodedFrame d;
  d.frame = shareFrame(std::move(frame));
  return FrameConverter(OutputFormat::Yuv, 0, 0, 0).convert(d);
}

std::filesystem::path tempFile(const std::string& name, const std::string& bytes) {
  auto dir = std::filesystem::temp_directory_path() / "autocut_cpp_tests";
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

}  // namespace

TEST(Owners, FrameAndPacketBuffersAreFreed) {
  for (int i = 0; i < 50; ++i) {
    UniqueAVFrame frame = makeFrame();
    frame->format = AV_PIX_FMT_YUV420P;
    frame->width = 320;
    frame->height = 240;
    ASSERT_GE(av_frame_get_buffer(frame.get(), 0), 0);
    UniqueAVFrame ref = makeFrame();
    ASSERT_GE(av_frame_ref(ref.get(), frame.get()), 0);
    UniqueAVPacket pkt = makePacket();
    ASSERT_GE(av_new_packet(pkt.get(), 4096), 0);
    PacketUnrefGuard guard(pkt.get());
  }
}

TEST(Owners, PacketGuardUnrefsEachIteration) {
  UniqueAVPacket pkt = makePacket();
  for (int i = 0; i < 10; ++i) {
    ASSERT_GE(av_new_packet(pkt.get(), 1024), 0);
    PacketUnrefGuard guard(pkt.get());
    EXPECT_EQ(pkt->size, 1024);
  }
  EXPECT_EQ(pkt->size, 0);
  EXPECT_EQ(pkt->buf, nullptr);
}

TEST(Owners, CodecScalerResamplerAndBuffersAreFreed) {
  const AVCodec* codec = avcodec_find_decoder(AV_CODEC_ID_H264);
  ASSERT_NE(codec, nullptr);
  UniqueAVCodecContext ctx = makeCodecContext(codec, "test");
  ASSERT_GE(avcodec_open2(ctx.get(), codec, nullptr), 0);

  UniqueSwsContext sws(sws_getContext(64, 48, AV_PIX_FMT_YUV420P, 32, 24, AV_PIX_FMT_GRAY8,
                                      SWS_AREA, nullptr, nullptr, nullptr));
  ASSERT_NE(sws, nullptr);

  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO, mono = AV_CHANNEL_LAYOUT_MONO;
  SwrContext* raw = nullptr;
  ASSERT_GE(swr_alloc_set_opts2(&raw, &mono, AV_SAMPLE_FMT_FLT, 22050, &stereo,
                                AV_SAMPLE_FMT_S16, 44100, 0, nullptr), 0);
  UniqueSwrContext swr(raw);
  ASSERT_GE(swr_init(swr.get()), 0);

  UniqueAVBufferRef buf(av_buffer_alloc(1 << 16));
  ASSERT_NE(buf, nullptr);
  Dictionary opts;
  opts.set("threads", "2");
  EXPECT_NE(av_dict_get(*opts.get(), "threads", nullptr, 0), nullptr);
}

TEST(Errors, CheckCarriesOperationPathAndFfmpegText) {
  try {
    check(AVERROR_INVALIDDATA, ErrorKind::Decode, "send packet", "/some/clip.mp4");
    FAIL() << "check did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Decode);
    EXPECT_EQ(e.averror(), AVERROR_INVALIDDATA);
    EXPECT_EQ(e.operation(), "send packet");
    EXPECT_EQ(e.path(), "/some/clip.mp4");
    const std::string msg = e.what();
    EXPECT_NE(msg.find("send packet"), std::string::npos);
    EXPECT_NE(msg.find("/some/clip.mp4"), std::string::npos);
    EXPECT_NE(msg.find(avErrorText(AVERROR_INVALIDDATA)), std::string::npos);
    EXPECT_NE(msg.find("Invalid data"), std::string::npos);
  }
  EXPECT_EQ(check(5, ErrorKind::Decode, "op", "p"), 5);
}

TEST(Errors, OpenInputClassifiesFailures) {
  try {
    openInput("/definitely/not/here.mp4");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
  }
  try {
    openInput(std::filesystem::temp_directory_path().string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidMedia);
  }
  std::string junk(8192, '\0');
  std::mt19937 rng(7);
  for (auto& c : junk) c = static_cast<char>(rng() & 0xff);
  auto p = tempFile("junk.bin", junk);
  try {
    probe(p.string());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidMedia);
    EXPECT_LT(e.averror(), 0);
    EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos);
  }
  auto empty = tempFile("empty.mp4", "");
  EXPECT_THROW(probe(empty.string()), Error);
}

// A mono 16-bit PCM WAV file of `samples` samples of a 440 Hz tone, built in memory.
static std::string wavBytes(int rate, int samples) {
  std::string out;
  auto put = [&](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  const uint32_t data = static_cast<uint32_t>(samples) * 2;
  out += "RIFF";
  put(36 + data, 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(static_cast<uint32_t>(rate), 4);
  put(static_cast<uint32_t>(rate) * 2, 4);
  put(2, 2);
  put(16, 2);
  out += "data";
  put(data, 4);
  for (int i = 0; i < samples; ++i) {
    const double v = 8000.0 * std::sin(2.0 * 3.14159265358979 * 440.0 * i / rate);
    put(static_cast<uint16_t>(static_cast<int16_t>(v)), 2);
  }
  return out;
}

TEST(Inputs, OneMemorySourceOpensAgainFromTheStart) {
  // The source's read position is shared by its copies: every open must rewind it, or a
  // second open (probe, then decode) starts where the first stopped reading.
  const auto bytes = std::make_shared<const std::string>(wavBytes(8000, 4000));
  const InputSource source = memorySource(bytes, "<tone>");
  for (int i = 0; i < 3; ++i) {
    const MediaInfo info = probe(source);
    EXPECT_TRUE(info.hasAudio);
    EXPECT_EQ(info.sampleRate, 8000);
    EXPECT_NEAR(info.duration, 0.5, 0.01);
    EXPECT_EQ(info.sizeBytes, static_cast<int64_t>(bytes->size()));
  }
}

TEST(Shims, RotationFromDisplayMatrixIsClockwiseAndNormalised) {
  AVFormatContext* fmt = avformat_alloc_context();
  ASSERT_NE(fmt, nullptr);
  // Owned by an output owner so it is freed with its streams.
  UniqueAVFormatOutput owner(fmt);
  AVStream* st = avformat_new_stream(fmt, nullptr);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(streamRotation(st), 0);
  av_dict_set(&st->metadata, "rotate", "-90", 0);
  EXPECT_EQ(streamRotation(st), 270);
  av_dict_set(&st->metadata, "rotate", "450", 0);
  EXPECT_EQ(streamRotation(st), 90);
}

TEST(Shims, EncoderConfigAndVersions) {
  EXPECT_EQ(libraryVersionString(AV_VERSION_INT(59, 37, 100)), "59.37.100");
  const AVCodec* x = avcodec_find_encoder_by_name("mpeg4");
  ASSERT_NE(x, nullptr);
  EXPECT_FALSE(encoderPixelFormats(x).empty());
  const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
  ASSERT_NE(aac, nullptr);
  EXPECT_FALSE(encoderSampleFormats(aac).empty());
}

TEST(Hardware, ReportAndParse) {
  const HardwareReport& r = hardwareReport();
  for (const auto& a : r.available) {
    EXPECT_NE(std::find(r.deviceTypes.begin(), r.deviceTypes.end(), a), r.deviceTypes.end());
  }
  EXPECT_TRUE(parseHwaccel("none").none);
  EXPECT_TRUE(parseHwaccel("auto").automatic || std::getenv("AUTOCUT_NATIVE_HWACCEL"));
  EXPECT_THROW(parseHwaccel("warpdrive"), Error);
}

TEST(Hardware, HelpersOnSoftwareFramesAndNoDevice) {
  UniqueAVFrame f = makeVideoFrame(AV_PIX_FMT_YUV420P, 8, 4, ErrorKind::Decode);
  EXPECT_FALSE(isHardwareFrame(f.get()));
  EXPECT_EQ(frameDeviceType(f.get()), AV_HWDEVICE_TYPE_NONE);
  EXPECT_EQ(frameSoftwareFormat(f.get()), AV_PIX_FMT_YUV420P);
  EXPECT_EQ(deviceType(nullptr), AV_HWDEVICE_TYPE_NONE);
  EXPECT_EQ(openRequestedDevice("none"), nullptr);
  if (!std::getenv("AUTOCUT_NATIVE_HWACCEL")) {
    EXPECT_THROW(openRequestedDevice("warpdrive"), Error);
  }
}

// RGB frames have no YUV planes to hand out, copied or not.
TEST(Convert, RgbFramesHaveNoYuvPlanes) {
  EXPECT_THROW(yuvPlanes(makeVideoFrame(AV_PIX_FMT_RGB24, 4, 2, ErrorKind::Decode)), Error);
}

// Packed 4:2:2 (YUYV, from capture devices and some codecs) also becomes planar.
TEST(Convert, PackedYuyvBecomesPlanarYuv) {
  UniqueAVFrame f = makeVideoFrame(AV_PIX_FMT_YUYV422, 4, 1, ErrorKind::Decode);
  const uint8_t row[8] = {10, 100, 11, 200, 12, 101, 13, 201};  // Y0 U0 Y1 V0 Y2 U1 Y3 V1
  std::memcpy(f->data[0], row, sizeof row);
  const Image img = yuvPlanes(std::move(f));
  ASSERT_EQ(img.planes.size(), 3u);
  ASSERT_EQ(img.planes[1].width, 2);
  for (int x = 0; x < 4; ++x) EXPECT_EQ(img.planes[0].data[x], 10 + x);
  EXPECT_EQ(img.planes[1].data[0], 100);
  EXPECT_EQ(img.planes[1].data[1], 101);
  EXPECT_EQ(img.planes[2].data[0], 200);
  EXPECT_EQ(img.planes[2].data[1], 201);
}

// What hardware decoders hand out (NV12: interleaved chroma; P010: 10-bit samples in the
// high bits) comes out of format "yuv" as the planar layout software decoders give.
TEST(Convert, SemiPlanarFramesBecomePlanarYuv) {
  for (const bool tenBit : {false, true}) {
    UniqueAVFrame f =
        makeVideoFrame(tenBit ? AV_PIX_FMT_P010LE : AV_PIX_FMT_NV12, 6, 4, ErrorKind::Decode);
    auto put = [&](int plane, int x, int y, int value) {
      if (tenBit) {
        const auto v = static_cast<uint16_t>(value << 6);
        std::memcpy(f->data[plane] + y * f->linesize[plane] + 2 * x, &v, 2);
      } else {
        f->data[plane][y * f->linesize[plane] + x] = static_cast<uint8_t>(value);
      }
    };
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 6; ++x) put(0, x, y, 10 * y + x);
    }
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 3; ++x) {
        put(1, 2 * x, y, 100 + 10 * y + x);      // U
        put(1, 2 * x + 1, y, 200 + 10 * y + x);  // V
      }
    }
    const Image img = yuvPlanes(std::move(f));
    ASSERT_EQ(img.planes.size(), 3u);
    auto at = [&](int p, int x, int y) {
      const ImageView& v = img.planes[static_cast<size_t>(p)];
      const uint8_t* s = v.data + y * v.rowStride + x * v.colStride;
      if (v.bytesPerSample == 1) return static_cast<int>(*s);
      uint16_t u;
      std::memcpy(&u, s, 2);
      return static_cast<int>(u);
    };
    EXPECT_EQ(img.planes[0].bytesPerSample, tenBit ? 2 : 1);
    EXPECT_EQ(img.planes[1].width, 3);
    EXPECT_EQ(img.planes[1].height, 2);
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 6; ++x) EXPECT_EQ(at(0, x, y), 10 * y + x);
    }
    for (int y = 0; y < 2; ++y) {
      for (int x = 0; x < 3; ++x) {
        EXPECT_EQ(at(1, x, y), 100 + 10 * y + x);
        EXPECT_EQ(at(2, x, y), 200 + 10 * y + x);
      }
    }
  }
}
