// The only file that includes pybind11: converts arguments, releases the GIL around
// the core, and wraps results. No logic of its own beyond that.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cmath>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "audio/beats.h"
#include "ffmpeg/ffmpeg.h"
#include "analysis/analyzer.h"
#include "hw/device.h"
#include "media/convert.h"
#include "media/decoder.h"
#include "media/probe.h"
#include "metrics/frame_metrics.h"
#include "metrics/image.h"
#include "metrics/temporal.h"
#include "metrics/translation.h"
#include "render/compare.h"
#include "render/render.h"
#include "render/synth.h"

namespace py = pybind11;
using namespace autocut;

namespace {

// ---- Arguments ---------------------------------------------------------------

// str, bytes or os.PathLike -> UTF-8 path.
std::string toPath(const py::object& obj) {
  py::object fs = py::module_::import("os").attr("fsdecode")(obj);
  return fs.cast<std::string>();
}

// A media source from Python: a path (str, os.PathLike, or bytes naming a file),
// bytes-like data in memory (bytes, bytearray, memoryview: copied once), or a binary
// file-like object
// with read() (and seek()/tell() when seekable), read with the GIL taken per call.
InputSource toSource(const py::object& obj) {
  if (py::isinstance<py::str>(obj) || py::hasattr(obj, "__fspath__")) return InputSource(toPath(obj));
  if (py::isinstance<py::bytes>(obj)) {
    // bytes naming an existing file are a path (os.fsencode'd), as open() reads them.
    const std::string raw = obj.cast<std::string>();
    if (raw.size() < 4096 && raw.find('\0') == std::string::npos &&
        py::module_::import("os.path").attr("exists")(obj).cast<bool>()) {
      return InputSource(toPath(obj));
    }
  }
  if (py::isinstance<py::bytes>(obj) || py::isinstance<py::bytearray>(obj) ||
      py::isinstance<py::memoryview>(obj)) {
    py::buffer_info info = py::buffer(obj).request();
    auto data = std::make_shared<const std::string>(static_cast<const char*>(info.ptr),
                                                    static_cast<size_t>(info.size * info.itemsize));
    return memorySource(std::move(data), "<bytes>");
  }
  if (!py::hasattr(obj, "read")) {
    throw py::type_error("expected a path, bytes, or a binary file-like object with read()");
  }
  // Dropped from whatever thread frees the decoder: take the GIL to release it.
  std::shared_ptr<py::object> file(new py::object(obj), [](py::object* o) {
    py::gil_scoped_acquire gil;
    delete o;
  });
  std::string name = "<file-like>";
  if (py::hasattr(obj, "name")) name = py::str(obj.attr("name")).cast<std::string>();
  InputSource src(std::move(name));
  src.read = [file](uint8_t* buf, int size) {
    py::gil_scoped_acquire gil;
    py::bytes chunk = (*file).attr("read")(size);
    const std::string_view v = chunk;
    const int n = static_cast<int>(std::min<size_t>(v.size(), static_cast<size_t>(size)));
    std::memcpy(buf, v.data(), static_cast<size_t>(n));
    return n;
  };
  const bool seekable = py::hasattr(obj, "seek") &&
                        (!py::hasattr(obj, "seekable") || obj.attr("seekable")().cast<bool>());
  if (seekable) {
    src.seek = [file](int64_t offset, int whence) -> int64_t {
      py::gil_scoped_acquire gil;
      py::object f = *file;
      if (whence & AVSEEK_SIZE) {
        const auto here = f.attr("tell")().cast<int64_t>();
        const auto end = f.attr("seek")(0, 2).cast<int64_t>();
        f.attr("seek")(here, 0);
        return end;
      }
      return f.attr("seek")(offset, whence & ~AVSEEK_FORCE).cast<int64_t>();
    };
  }
  return src;
}

// ---- Errors --------------------------------------------------------------------

// Raises the autocut_native.errors class matching the core error's kind, with the
// operation, path and AVERROR code attached as attributes.
void raiseCoreError(const Error& e) {
  if (e.kind() == ErrorKind::InvalidArgument) {
    PyErr_SetString(PyExc_ValueError, e.what());
    return;
  }
  py::object cls = py::module_::import("autocut_native.errors").attr(errorKindName(e.kind()));
  py::object exc = cls(py::str(e.what()));
  exc.attr("operation") = e.operation();
  exc.attr("path") = e.path().empty() ? py::object(py::none()) : py::object(py::str(e.path()));
  exc.attr("averror") = e.averror();
  exc.attr("detail") = e.detail();
  PyErr_SetObject(cls.ptr(), exc.ptr());
}

// ---- Interruption ----------------------------------------------------------------

// Called from the core every ~100 ms while the GIL is released: Ctrl-C raises
// KeyboardInterrupt through the core (which unwinds with RAII) back into Python.
void checkSignals() {
  py::gil_scoped_acquire gil;
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

// ---- Numpy views -------------------------------------------------------------------

// A read-only numpy view of `v` whose base keeps the frame alive: decoder buffers may be
// reference frames, so they must never be written through.
py::array viewOf(const ImageView& v, const std::shared_ptr<AVFrame>& owner) {
  auto* holder = new std::shared_ptr<AVFrame>(owner);
  py::capsule base(holder, [](void* p) { delete static_cast<std::shared_ptr<AVFrame>*>(p); });
  const py::dtype dtype = v.bytesPerSample == 1 ? py::dtype::of<uint8_t>() : py::dtype::of<uint16_t>();
  std::vector<py::ssize_t> shape{v.height, v.width};
  std::vector<py::ssize_t> strides{v.rowStride, v.colStride};
  if (v.channels > 1) {
    shape.push_back(v.channels);
    strides.push_back(v.channelStride);
  }
  py::array arr(dtype, shape, strides, v.data, base);
  py::detail::array_proxy(arr.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return arr;
}

// ---- VideoReader -------------------------------------------------------------------

struct PyFrame {
  double pts = 0.0;
  int64_t index = 0;
  bool keyFrame = false;
  int width = 0, height = 0;
  py::object array;
};

class PyVideoReader {
 public:
  PyVideoReader(const py::object& path, const std::string& format, const std::string& hwaccel,
                int threads, const std::string& skip, std::optional<std::pair<int, int>> size,
                bool applyRotation)
      : format_(parseOutputFormat(format)) {
    DecoderOptions opts;
    opts.hwaccel = hwaccel;
    opts.threads = threads;
    opts.skip = parseSkip(skip);
    opts.interruptCheck = checkSignals;
    if (size && (size->first <= 0 || size->second <= 0)) {
      throw py::value_error("size must be (width, height) with both > 0");
    }
    const InputSource src = toSource(path);
    {
      py::gil_scoped_release release;
      decoder_ = std::make_unique<VideoDecoder>(src, std::move(opts));
    }
    const int rotation = applyRotation ? decoder_->info().rotation : 0;
    converter_ = std::make_unique<FrameConverter>(format_, size ? size->first : 0,
                                                  size ? size->second : 0, rotation);
  }

  // The next frame, or nothing at the end of the stream.
  std::optional<PyFrame> next() {
    Busy busy(*this);
    DecodedFrame f;
    std::optional<Image> img;
    {
      py::gil_scoped_release release;
      if (!decoder_->next(f)) return std::nullopt;
      img = converter_->convert(f);
    }
    return wrap(f, *img);
  }

  void seek(double t) {
    Busy busy(*this);
    py::gil_scoped_release release;
    decoder_->seek(t);
  }

  PyFrame frameAt(double t) {
    seek(t);
    std::optional<PyFrame> f = next();
    if (!f) throw py::index_error("no frame at " + std::to_string(t) + " s");
    return std::move(*f);
  }

  py::list framesAt(const std::vector<double>& times) {
    for (size_t i = 1; i < times.size(); ++i) {
      if (times[i] < times[i - 1]) throw py::value_error("times must be sorted ascending");
    }
    py::list out;
    for (double t : times) out.append(py::cast(frameAt(t)));
    return out;
  }

  void close() {
    Busy busy(*this);
    decoder_.reset();
    converter_.reset();
  }

  VideoDecoder& decoder() const {
    if (!decoder_) throw py::value_error("I/O operation on a closed VideoReader");
    return *decoder_;
  }

 private:
  // One thread at a time: a second thread gets an error instead of corrupting state.
  struct Busy {
    explicit Busy(PyVideoReader& r) : r_(r) {
      if (r_.busy_.exchange(true)) throw std::runtime_error("VideoReader is in use by another thread");
      if (!r_.decoder_) {
        r_.busy_ = false;
        throw py::value_error("I/O operation on a closed VideoReader");
      }
    }
    ~Busy() { r_.busy_ = false; }
    PyVideoReader& r_;
  };

  PyFrame wrap(const DecodedFrame& f, const Image& img) {
    PyFrame out;
    out.pts = f.pts;
    out.index = f.index;
    out.keyFrame = f.keyFrame;
    out.width = img.width;
    out.height = img.height;
    if (format_ == OutputFormat::Yuv) {
      py::tuple planes(img.planes.size());
      for (size_t i = 0; i < img.planes.size(); ++i) planes[i] = viewOf(img.planes[i], img.owner);
      out.array = planes;
    } else {
      out.array = viewOf(img.planes[0], img.owner);
    }
    return out;
  }

  OutputFormat format_;
  std::unique_ptr<VideoDecoder> decoder_;
  std::unique_ptr<FrameConverter> converter_;
  std::atomic<bool> busy_{false};
};

// ---- Progress ----------------------------------------------------------------------

// Wraps an optional Python callable progress(done, total) for the core, which calls it
// on the calling thread with the GIL released.
std::function<void(int64_t, int64_t)> progressCallback(const py::object& progress) {
  if (progress.is_none()) return {};
  auto fn = std::make_shared<py::object>(progress);
  return [fn](int64_t done, int64_t total) {
    py::gil_scoped_acquire gil;
    (*fn)(done, total);
  };
}

// ---- Analysis ------------------------------------------------------------------------

template <typename T>
py::array_t<T> toNumpy(const std::vector<T>& v) {
  py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(a.mutable_data(), v.data(), v.size() * sizeof(T));
  return a;
}

py::dict analysisDict(const ClipAnalysis& a) {
  py::dict d;
  d["path"] = a.path;
  d["info"] = a.info;
  d["times"] = toNumpy(a.times);
  d["sharpness"] = toNumpy(a.sharpness);
  d["brightness"] = toNumpy(a.brightness);
  d["contrast"] = toNumpy(a.contrast);
  d["underexposed"] = toNumpy(a.underexposed);
  d["overexposed"] = toNumpy(a.overexposed);
  d["noise"] = toNumpy(a.noise);
  d["colorfulness"] = toNumpy(a.colorfulness);
  d["motion"] = toNumpy(a.motion);
  d["motion_x"] = toNumpy(a.motionX);
  d["motion_y"] = toNumpy(a.motionY);
  d["shake"] = toNumpy(a.shake);
  d["scene_score"] = toNumpy(a.sceneScore);
  d["quality"] = toNumpy(a.quality);
  d["scene_cuts"] = toNumpy(a.sceneCuts);
  d["frames_decoded"] = a.framesDecoded;
  d["frames_analyzed"] = a.framesAnalyzed;
  d["decode_errors"] = a.decodeErrors;
  d["hwaccel_used"] = a.hwaccelUsed;
  d["elapsed_s"] = a.elapsedS;
  py::dict params;
  params["sample_fps"] = a.sampleFps > 0 ? py::object(py::float_(a.sampleFps)) : py::object(py::none());
  params["skip"] = a.skipUsed;
  params["analysis_size"] = a.analysisSize;
  params["grid"] = py::make_tuple(a.gridWidth, a.gridHeight);
  params["threads"] = a.threads;
  params["packets_read"] = a.packetsRead;
  params["packets_skipped"] = a.packetsSkipped;
  params["gop_decoders"] = a.gopDecoders;
  params["decode_s"] = a.decodeS;
  params["metrics_s"] = a.metricsS;
  params["analyzer_version"] = kAnalyzerVersion;
  d["params"] = params;
  return d;
}

// ---- MediaInfo -------------------------------------------------------------------

// Empty strings become None in Python for optional fields.
py::object optStr(const std::string& s) {
  return s.empty() ? py::object(py::none()) : py::object(py::str(s));
}

py::dict mediaInfoDict(const MediaInfo& m) {
  py::dict d;
  d["path"] = m.path;
  d["container"] = m.container;
  d["duration"] = m.duration;
  d["size_bytes"] = m.sizeBytes;
  d["bitrate"] = m.bitrate;
  d["has_video"] = m.hasVideo;
  d["width"] = m.width;
  d["height"] = m.height;
  d["rotation"] = m.rotation;
  d["display_width"] = m.displayWidth;
  d["display_height"] = m.displayHeight;
  d["fps"] = m.fps;
  d["frame_count"] = m.frameCount;
  d["frame_count_exact"] = m.frameCountExact;
  d["vfr"] = m.vfr;
  d["codec"] = optStr(m.codec);
  d["profile"] = optStr(m.profile);
  d["pix_fmt"] = optStr(m.pixFmt);
  d["bit_depth"] = m.bitDepth;
  d["color_range"] = m.colorRange;
  d["color_space"] = m.colorSpace;
  d["color_primaries"] = m.colorPrimaries;
  d["color_transfer"] = m.colorTransfer;
  d["has_audio"] = m.hasAudio;
  d["audio_codec"] = optStr(m.audioCodec);
  d["sample_rate"] = m.sampleRate;
  d["channels"] = m.channels;
  d["creation_time"] = optStr(m.creationTime);
  return d;
}

MediaInfo mediaInfoFromDict(const py::dict& d) {
  auto str = [&](const char* k) {
    return d[k].is_none() ? std::string() : d[k].cast<std::string>();
  };
  MediaInfo m;
  m.path = str("path");
  m.container = str("container");
  m.duration = d["duration"].cast<double>();
  m.sizeBytes = d["size_bytes"].cast<int64_t>();
  m.bitrate = d["bitrate"].cast<int64_t>();
  m.hasVideo = d["has_video"].cast<bool>();
  m.width = d["width"].cast<int>();
  m.height = d["height"].cast<int>();
  m.rotation = d["rotation"].cast<int>();
  m.displayWidth = d["display_width"].cast<int>();
  m.displayHeight = d["display_height"].cast<int>();
  m.fps = d["fps"].cast<double>();
  m.frameCount = d["frame_count"].cast<int64_t>();
  m.frameCountExact = d["frame_count_exact"].cast<bool>();
  m.vfr = d["vfr"].cast<bool>();
  m.codec = str("codec");
  m.profile = str("profile");
  m.pixFmt = str("pix_fmt");
  m.bitDepth = d["bit_depth"].cast<int>();
  m.colorRange = str("color_range");
  m.colorSpace = str("color_space");
  m.colorPrimaries = str("color_primaries");
  m.colorTransfer = str("color_transfer");
  m.hasAudio = d["has_audio"].cast<bool>();
  m.audioCodec = str("audio_codec");
  m.sampleRate = d["sample_rate"].cast<int>();
  m.channels = d["channels"].cast<int>();
  m.creationTime = str("creation_time");
  return m;
}

std::string mediaInfoRepr(const MediaInfo& m) {
  std::string s = "MediaInfo(path=" + py::repr(py::str(m.path)).cast<std::string>();
  s += ", container='" + m.container + "'";
  s += ", duration=" + py::repr(py::float_(m.duration)).cast<std::string>();
  if (m.hasVideo) {
    s += ", video=" + m.codec + " " + std::to_string(m.width) + "x" + std::to_string(m.height);
    if (m.rotation) s += " rot" + std::to_string(m.rotation);
    s += " " + m.pixFmt + " @" + py::repr(py::float_(m.fps)).cast<std::string>() + "fps";
    if (m.vfr) s += " vfr";
  }
  if (m.hasAudio) {
    s += ", audio=" + m.audioCodec + " " + std::to_string(m.sampleRate) + "Hz " +
         std::to_string(m.channels) + "ch";
  }
  return s + ")";
}

// ---- Beats -------------------------------------------------------------------------

// A read-only 1-D numpy view of a vector held by the Python object `owner`.
template <typename T>
py::array_t<T> readOnlyView(const std::vector<T>& v, const py::handle& owner) {
  py::array_t<T> arr({static_cast<py::ssize_t>(v.size())},
                     {static_cast<py::ssize_t>(sizeof(T))}, v.data(), owner);
  py::detail::array_proxy(arr.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return arr;
}

py::dict beatTrackDict(const BeatTrack& t) {
  py::dict d;
  d["tempo"] = t.tempo;
  d["beats"] = py::cast(t.beats);
  d["downbeats"] = py::cast(t.downbeats);
  d["onset_envelope"] = py::cast(t.onsetEnvelope);
  d["onset_rate"] = t.onsetRate;
  d["onset_start"] = t.onsetStart;
  d["confidence"] = t.confidence;
  return d;
}

BeatTrack beatTrackFromDict(const py::dict& d) {
  BeatTrack t;
  t.tempo = d["tempo"].cast<double>();
  t.beats = d["beats"].cast<std::vector<double>>();
  t.downbeats = d["downbeats"].cast<std::vector<double>>();
  t.onsetEnvelope = d["onset_envelope"].cast<std::vector<float>>();
  t.onsetRate = d["onset_rate"].cast<double>();
  t.onsetStart = d.contains("onset_start") ? d["onset_start"].cast<double>() : 0.0;
  t.confidence = d["confidence"].cast<double>();
  return t;
}

std::string beatTrackRepr(const BeatTrack& t) {
  auto num = [](double v) { return py::repr(py::float_(v)).cast<std::string>(); };
  return "BeatTrack(tempo=" + num(std::round(t.tempo * 100.0) / 100.0) +
         ", beats=" + std::to_string(t.beats.size()) +
         ", downbeats=" + std::to_string(t.downbeats.size()) +
         ", confidence=" + num(std::round(t.confidence * 1000.0) / 1000.0) + ")";
}

// ---- Kernels -------------------------------------------------------------------------
// autocut_native._core.kernels: the pure metric kernels of cpp/metrics, one to one, for
// tests against numpy references and for experiments.

// A 2-D uint8/uint16 array as a PlaneView; `keep` owns the samples while it is used.
// Row strides pass through (padded rows and row steps cost no copy); other layouts
// (column steps, reversed rows) are first copied contiguous.
struct PlaneArg {
  py::array keep;
  PlaneView view;
};

PlaneArg planeArg(const py::array& a, std::optional<int> bitDepth, const char* name) {
  if (a.ndim() != 2) throw py::value_error(std::string(name) + " must be a 2-D array");
  const bool is8 = py::isinstance<py::array_t<uint8_t>>(a);
  const bool is16 = py::isinstance<py::array_t<uint16_t>>(a);
  if (!is8 && !is16) throw py::type_error(std::string(name) + " must be a uint8 or uint16 array");
  const int depth = bitDepth.value_or(is8 ? 8 : 16);
  if (is8 ? depth != 8 : (depth < 9 || depth > 16))
    throw py::value_error(std::string(name) + ": bit_depth " + std::to_string(depth) +
                          (is8 ? " needs uint16 samples" : " outside 9..16 for uint16 samples"));
  PlaneArg p;
  p.keep = a;
  const py::ssize_t item = a.itemsize();
  if (a.strides(1) != item || a.strides(0) < a.shape(1) * item)
    p.keep = py::module_::import("numpy").attr("ascontiguousarray")(a);
  p.view = {static_cast<const uint8_t*>(p.keep.data()), static_cast<int>(p.keep.shape(1)),
            static_cast<int>(p.keep.shape(0)), static_cast<ptrdiff_t>(p.keep.strides(0)), depth};
  return p;
}

// A 2-D float array (any float dtype, converted to float32 when needed) as a GrayView.
struct GrayArg {
  py::array_t<float> keep;
  GrayView view;
};

GrayArg grayArg(const py::object& obj, const char* name) {
  GrayArg g;
  g.keep = py::array_t<float, py::array::forcecast>::ensure(obj);
  if (!g.keep || g.keep.ndim() != 2)
    throw py::value_error(std::string(name) + " must be a 2-D float array");
  const py::ssize_t item = sizeof(float);
  if (g.keep.strides(1) != item || g.keep.strides(0) % item != 0 ||
      g.keep.strides(0) < g.keep.shape(1) * item)
    g.keep = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(g.keep);
  g.view = {g.keep.data(), static_cast<int>(g.keep.shape(1)), static_cast<int>(g.keep.shape(0)),
            static_cast<ptrdiff_t>(g.keep.strides(0) / item)};
  return g;
}

template <typename T>
py::array_t<T, py::array::c_style | py::array::forcecast> series(const py::object& obj,
                                                                 const char* name) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
  if (!a || a.ndim() != 1) throw py::value_error(std::string(name) + " must be a 1-D array");
  return a;
}

template <typename T, typename A>
std::span<const T> spanOf(const A& a) {
  return {a.data(), static_cast<size_t>(a.size())};
}

py::array_t<float> floatArray(std::vector<float>&& v) {
  py::array_t<float> out(static_cast<ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

void bindKernels(py::module_ k) {
  k.def(
      "analysis_grid",
      [](int width, int height, int analysisSize) {
        const GridSize g = analysisGrid(width, height, analysisSize);
        return py::make_tuple(g.width, g.height);
      },
      py::arg("width"), py::arg("height"), py::arg("analysis_size") = kDefaultAnalysisSize,
      "(width, height) of the analysis grid: short side analysis_size, never upscaled.");

  k.def(
      "downscale",
      [](const py::array& plane, std::optional<int> bitDepth, bool limitedRange,
         int analysisSize, std::optional<std::pair<int, int>> size) {
        const PlaneArg p = planeArg(plane, bitDepth, "plane");
        GridSize g = analysisGrid(p.view.width, p.view.height, analysisSize);
        if (size) g = {size->first, size->second};
        GrayImage out;
        {
          py::gil_scoped_release release;
          AreaDownscaler().run(p.view, g.width, g.height, limitedRange, out);
        }
        py::array_t<float> a({out.height, out.width});
        std::copy(out.px.begin(), out.px.end(), a.mutable_data());
        return a;
      },
      py::arg("plane"), py::kw_only(), py::arg("bit_depth") = py::none(),
      py::arg("limited_range") = false, py::arg("analysis_size") = kDefaultAnalysisSize,
      py::arg("size") = py::none(),
      "Area-average a luma plane (2-D uint8/uint16) to the analysis grid, or to\n"
      "size=(width, height), on the 8-bit full-range scale (float32).");

  auto chroma = [](const py::array& u, const py::array& v, std::optional<int> bitDepth,
                   bool limitedRange, int step) {
    const PlaneArg pu = planeArg(u, bitDepth, "u");
    const PlaneArg pv = planeArg(v, bitDepth, "v");
    py::gil_scoped_release release;
    return chromaStats(pu.view, pv.view, limitedRange, step);
  };
  k.def(
      "chroma_stats",
      [chroma](const py::array& u, const py::array& v, std::optional<int> bitDepth,
               bool limitedRange, int step) {
        const ChromaStats c = chroma(u, v, bitDepth, limitedRange, step);
        return py::make_tuple(c.meanU, c.meanV, c.varU, c.varV);
      },
      py::arg("u"), py::arg("v"), py::kw_only(), py::arg("bit_depth") = py::none(),
      py::arg("limited_range") = false, py::arg("step") = 1,
      "(mean_u, mean_v, var_u, var_v) on the 8-bit scale centred at 128.");
  k.def(
      "colorfulness",
      [chroma](const py::array& u, const py::array& v, std::optional<int> bitDepth,
               bool limitedRange, int step) {
        return colorfulness(chroma(u, v, bitDepth, limitedRange, step));
      },
      py::arg("u"), py::arg("v"), py::kw_only(), py::arg("bit_depth") = py::none(),
      py::arg("limited_range") = false, py::arg("step") = 1,
      "sqrt(var_u + var_v) + 0.3 * sqrt((mean_u - 128)^2 + (mean_v - 128)^2).");

  k.def(
      "sharpness",
      [](const py::object& image) {
        const GrayArg g = grayArg(image, "image");
        py::gil_scoped_release release;
        return sharpness(g.view);
      },
      py::arg("image"), "Variance of the 4-neighbour Laplacian over interior pixels.");
  k.def(
      "exposure",
      [](const py::object& image) {
        const GrayArg g = grayArg(image, "image");
        Exposure e;
        {
          py::gil_scoped_release release;
          e = exposure(g.view);
        }
        return py::make_tuple(e.brightness, e.contrast, e.underexposed, e.overexposed);
      },
      py::arg("image"),
      "(brightness, contrast, underexposed, overexposed): mean, std, fraction <= 16, "
      "fraction >= 240.");
  k.def(
      "noise",
      [](const py::object& image) {
        const GrayArg g = grayArg(image, "image");
        py::gil_scoped_release release;
        return noiseSigma(g.view);
      },
      py::arg("image"), "Noise sigma: Immerkaer's estimator over the flattest 20% of pixels.");
  k.def(
      "mean_abs_diff",
      [](const py::object& a, const py::object& b) {
        const GrayArg ga = grayArg(a, "a");
        const GrayArg gb = grayArg(b, "b");
        py::gil_scoped_release release;
        return meanAbsDiff(ga.view, gb.view);
      },
      py::arg("a"), py::arg("b"), "Mean absolute difference of two same-size images.");
  k.def(
      "luma_histogram",
      [](const py::object& image) {
        const GrayArg g = grayArg(image, "image");
        LumaHistogram h;
        {
          py::gil_scoped_release release;
          h = lumaHistogram(g.view);
        }
        py::array_t<float> out(kSceneBins);
        std::copy(h.begin(), h.end(), out.mutable_data());
        return out;
      },
      py::arg("image"), "32-bin luma histogram (fractions) over even x and y.");
  k.def(
      "translation",
      [](const py::object& prev, const py::object& cur) {
        const GrayArg a = grayArg(prev, "prev");
        const GrayArg b = grayArg(cur, "cur");
        Translation t;
        {
          py::gil_scoped_release release;
          t = estimateTranslation(a.view, b.view);
        }
        return py::make_tuple(t.dx, t.dy, t.confidence);
      },
      py::arg("prev"), py::arg("cur"),
      "(dx, dy, confidence): content displacement from prev to cur in pixels,\n"
      "cur(x, y) ~= prev(x - dx, y - dy); dx > 0 when the content moved right.");
  k.def(
      "motion_compensated_mad",
      [](const py::object& prev, const py::object& cur, double dx, double dy) {
        const GrayArg a = grayArg(prev, "prev");
        const GrayArg b = grayArg(cur, "cur");
        py::gil_scoped_release release;
        return motionCompensatedMad(a.view, b.view, Translation{dx, dy, 0.0});
      },
      py::arg("prev"), py::arg("cur"), py::arg("dx"), py::arg("dy"),
      "Mean |cur(x) - prev(x - d)| over the overlap, prev sampled bilinearly.");
  k.def(
      "scene_score",
      [](const py::object& prev, const py::object& cur, double dx, double dy) {
        const GrayArg a = grayArg(prev, "prev");
        const GrayArg b = grayArg(cur, "cur");
        py::gil_scoped_release release;
        return sceneScore(a.view, b.view, Translation{dx, dy, 0.0});
      },
      py::arg("prev"), py::arg("cur"), py::arg("dx") = 0.0, py::arg("dy") = 0.0,
      "Scene-change score in [0, 1] of two images displaced by (dx, dy).");

  k.def(
      "shake",
      [](const py::object& times, const py::object& motionX, const py::object& motionY,
         const std::vector<int>& cuts, double window) {
        const auto t = series<double>(times, "times");
        const auto x = series<float>(motionX, "motion_x");
        const auto y = series<float>(motionY, "motion_y");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = shake(spanOf<double>(t), spanOf<float>(x), spanOf<float>(y), cuts, window);
        }
        return floatArray(std::move(out));
      },
      py::arg("times"), py::arg("motion_x"), py::arg("motion_y"),
      py::arg("cuts") = std::vector<int>{}, py::arg("window") = kShakeWindow,
      "Per-frame shake (analysis px): RMS residual of the motion path around its local\n"
      "line over `window` seconds, shots split at `cuts` (frame indices).");
  k.def(
      "scene_cuts",
      [](const py::object& times, const py::object& scores, double floorScore, double kk,
         double minSpread, double window, double minSpacing) {
        const auto t = series<double>(times, "times");
        const auto s = series<float>(scores, "scores");
        SceneCutParams p;
        p.floor = floorScore;
        p.k = kk;
        p.minSpread = minSpread;
        p.window = window;
        p.minSpacing = minSpacing;
        py::gil_scoped_release release;
        return sceneCuts(spanOf<double>(t), spanOf<float>(s), p);
      },
      py::arg("times"), py::arg("scores"), py::kw_only(), py::arg("floor") = SceneCutParams{}.floor,
      py::arg("k") = SceneCutParams{}.k, py::arg("min_spread") = SceneCutParams{}.minSpread,
      py::arg("window") = SceneCutParams{}.window,
      py::arg("min_spacing") = SceneCutParams{}.minSpacing,
      "Indices of frames starting a new shot (adaptive threshold, local maxima, spacing).");
  k.def(
      "quality",
      [](const py::object& sharp, const py::object& bright, const py::object& under,
         const py::object& over, const py::object& noise, const py::object& shakeArg) {
        const auto a = series<float>(sharp, "sharpness");
        const auto b = series<float>(bright, "brightness");
        const auto u = series<float>(under, "underexposed");
        const auto o = series<float>(over, "overexposed");
        const auto n = series<float>(noise, "noise");
        const auto s = series<float>(shakeArg, "shake");
        std::vector<float> out;
        {
          py::gil_scoped_release release;
          out = quality(spanOf<float>(a), spanOf<float>(b), spanOf<float>(u), spanOf<float>(o),
                        spanOf<float>(n), spanOf<float>(s));
        }
        return floatArray(std::move(out));
      },
      py::arg("sharpness"), py::arg("brightness"), py::arg("underexposed"),
      py::arg("overexposed"), py::arg("noise"), py::arg("shake"),
      "Composite quality in [0, 1] per frame (1-D arrays of one length).");
}

// ---- Render --------------------------------------------------------------------------

// The core's timeline from Timeline.to_dict() (the JSON shape of python/.../timeline.py).
RenderTimeline renderTimelineFromDict(const py::dict& d) {
  RenderTimeline t;
  const auto canvas = d["canvas"].cast<std::pair<int, int>>();
  t.width = canvas.first;
  t.height = canvas.second;
  t.fps = d["fps"].cast<double>();
  t.fit = parseFit(d.contains("fit") ? d["fit"].cast<std::string>() : "crop");
  if (d.contains("background") && !d["background"].is_none()) {
    const auto rgb = d["background"].cast<std::vector<int>>();
    if (rgb.size() != 3) throw py::value_error("background must be (r, g, b)");
    for (size_t i = 0; i < 3; ++i) {
      if (rgb[i] < 0 || rgb[i] > 255) throw py::value_error("background values must be 0..255");
      t.background[i] = static_cast<uint8_t>(rgb[i]);
    }
  }
  if (d.contains("audio") && !d["audio"].is_none()) t.audio = toPath(d["audio"]);
  if (d.contains("audio_start")) t.audioStart = d["audio_start"].cast<double>();
  if (d.contains("audio_fade_out")) t.audioFadeOut = d["audio_fade_out"].cast<double>();
  for (const py::handle& item : d["segments"].cast<py::list>()) {
    const py::dict seg = item.cast<py::dict>();
    t.segments.push_back(
        {toPath(seg["path"]), seg["start"].cast<double>(), seg["end"].cast<double>()});
  }
  return t;
}

std::string renderResultRepr(const RenderResult& r) {
  auto num = [](double v) { return py::repr(py::float_(v)).cast<std::string>(); };
  return "RenderResult(output=" + py::repr(py::str(r.output)).cast<std::string>() +
         ", encoder_used='" + r.encoderUsed + "', hwaccel_used='" + r.hwaccelUsed +
         "', frames=" + std::to_string(r.frames) +
         ", device_frames=" + std::to_string(r.deviceFrames) + ", duration=" + num(r.duration) +
         ", elapsed_s=" + num(std::round(r.elapsed * 1000.0) / 1000.0) + ")";
}

std::string qualityReportRepr(const QualityReport& q) {
  auto num = [](double v) { return py::repr(py::float_(std::round(v * 10000.0) / 10000.0)).cast<std::string>(); };
  return "QualityReport(frames=" + std::to_string(q.frames) + ", mean_psnr=" + num(q.meanPsnr) +
         ", mean_ssim=" + num(q.meanSsim) + ")";
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "autocut_native native core (FFmpeg streaming decode, analysis, beats, render)";
#ifdef AUTOCUT_VERSION
  m.attr("__version__") = AUTOCUT_VERSION;
#endif

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raiseCoreError(e);
    }
  });

  // ---- Probe ---------------------------------------------------------------------
  py::class_<MediaInfo>(m, "MediaInfo", "What a media file holds (read-only).")
      .def_readonly("path", &MediaInfo::path)
      .def_readonly("container", &MediaInfo::container)
      .def_readonly("duration", &MediaInfo::duration)
      .def_readonly("size_bytes", &MediaInfo::sizeBytes)
      .def_readonly("bitrate", &MediaInfo::bitrate)
      .def_readonly("has_video", &MediaInfo::hasVideo)
      .def_readonly("width", &MediaInfo::width)
      .def_readonly("height", &MediaInfo::height)
      .def_readonly("rotation", &MediaInfo::rotation)
      .def_readonly("display_width", &MediaInfo::displayWidth)
      .def_readonly("display_height", &MediaInfo::displayHeight)
      .def_readonly("fps", &MediaInfo::fps)
      .def_readonly("frame_count", &MediaInfo::frameCount)
      .def_readonly("frame_count_exact", &MediaInfo::frameCountExact)
      .def_readonly("vfr", &MediaInfo::vfr)
      .def_property_readonly("codec", [](const MediaInfo& i) { return optStr(i.codec); })
      .def_property_readonly("profile", [](const MediaInfo& i) { return optStr(i.profile); })
      .def_property_readonly("pix_fmt", [](const MediaInfo& i) { return optStr(i.pixFmt); })
      .def_readonly("bit_depth", &MediaInfo::bitDepth)
      .def_readonly("color_range", &MediaInfo::colorRange)
      .def_readonly("color_space", &MediaInfo::colorSpace)
      .def_readonly("color_primaries", &MediaInfo::colorPrimaries)
      .def_readonly("color_transfer", &MediaInfo::colorTransfer)
      .def_readonly("has_audio", &MediaInfo::hasAudio)
      .def_property_readonly("audio_codec",
                             [](const MediaInfo& i) { return optStr(i.audioCodec); })
      .def_readonly("sample_rate", &MediaInfo::sampleRate)
      .def_readonly("channels", &MediaInfo::channels)
      .def_property_readonly("creation_time",
                             [](const MediaInfo& i) { return optStr(i.creationTime); })
      .def("to_dict", &mediaInfoDict, "All fields as a JSON-safe dict.")
      .def_static("from_dict", &mediaInfoFromDict, py::arg("d"))
      .def("__repr__", &mediaInfoRepr)
      .def("__eq__", [](const MediaInfo& a, const MediaInfo& b) {
        return mediaInfoDict(a).equal(mediaInfoDict(b));
      })
      .def(py::pickle([](const MediaInfo& i) { return mediaInfoDict(i); },
                      [](const py::dict& d) { return mediaInfoFromDict(d); }));

  m.def(
      "probe",
      [](const py::object& source) {
        const InputSource src = toSource(source);
        py::gil_scoped_release release;
        return probe(src);
      },
      py::arg("path"),
      "Read a media file's headers (and at most a few packets) and describe it.");

  // ---- VideoReader -----------------------------------------------------------------
  py::class_<PyFrame>(m, "Frame", "One decoded frame: timing plus its pixels as numpy views.")
      .def_readonly("pts", &PyFrame::pts, "Seconds from the stream's start (real timestamps).")
      .def_readonly("index", &PyFrame::index, "Frame number in presentation order.")
      .def_readonly("key_frame", &PyFrame::keyFrame)
      .def_readonly("width", &PyFrame::width)
      .def_readonly("height", &PyFrame::height)
      .def_readonly("array", &PyFrame::array,
                    "ndarray (read-only view; its base keeps the frame alive) or, for "
                    "format='yuv', a tuple of plane views.")
      .def("__repr__", [](const PyFrame& f) {
        return "Frame(index=" + std::to_string(f.index) + ", pts=" +
               py::repr(py::float_(f.pts)).cast<std::string>() + ", " + std::to_string(f.width) +
               "x" + std::to_string(f.height) + (f.keyFrame ? ", key" : "") + ")";
      });

  py::class_<PyVideoReader>(m, "VideoReader",
                            "Streaming decoder of a file's video stream; iterate for Frames.")
      .def(py::init<const py::object&, const std::string&, const std::string&, int,
                    const std::string&, std::optional<std::pair<int, int>>, bool>(),
           py::arg("path"), py::kw_only(), py::arg("format") = "luma",
           py::arg("hwaccel") = "auto", py::arg("threads") = 0, py::arg("skip") = "none",
           py::arg("size") = py::none(), py::arg("apply_rotation") = false)
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](PyVideoReader& r) {
             std::optional<PyFrame> f = r.next();
             if (!f) throw py::stop_iteration();
             return std::move(*f);
           })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyVideoReader& r, py::args) { r.close(); })
      .def("close", &PyVideoReader::close)
      .def("seek", &PyVideoReader::seek, py::arg("t"),
           "Position so the next frame is the one displayed at t seconds (last pts <= t).")
      .def("frame_at", &PyVideoReader::frameAt, py::arg("t"), "The frame displayed at t seconds.")
      .def("frames_at", &PyVideoReader::framesAt, py::arg("times"),
           "Frames displayed at each of the sorted times, in one pass.")
      .def_property_readonly("info", [](const PyVideoReader& r) { return r.decoder().info(); })
      .def_property_readonly("hwaccel_used",
                             [](const PyVideoReader& r) { return r.decoder().hwaccelUsed(); })
      .def_property_readonly("decode_errors",
                             [](const PyVideoReader& r) { return r.decoder().decodeErrors(); })
      .def_property_readonly("frames_decoded",
                             [](const PyVideoReader& r) { return r.decoder().framesDecoded(); });

  // ---- Analysis --------------------------------------------------------------------
  m.attr("ANALYZER_VERSION") = kAnalyzerVersion;
  m.def(
      "analyze",
      [](const py::object& path, std::optional<double> sampleFps, const std::string& skip,
         const std::string& hwaccel, int threads, int analysisSize, const py::object& progress) {
        AnalyzeOptions o;
        o.sampleFps = sampleFps.value_or(0.0);
        if (sampleFps && *sampleFps <= 0) throw py::value_error("sample_fps must be > 0");
        o.skip = skip;
        o.hwaccel = hwaccel;
        o.threads = threads;
        o.analysisSize = analysisSize;
        o.progress = progressCallback(progress);
        o.interruptCheck = checkSignals;
        const InputSource src = toSource(path);
        ClipAnalysis a;
        {
          py::gil_scoped_release release;
          a = analyzeClip(src, o);
        }
        return analysisDict(a);
      },
      py::arg("path"), py::kw_only(), py::arg("sample_fps") = py::none(),
      py::arg("skip") = "auto", py::arg("hwaccel") = "auto", py::arg("threads") = 0,
      py::arg("analysis_size") = 360, py::arg("progress") = py::none(),
      "One streaming pass: per-frame metrics as a dict of numpy arrays (see ClipAnalysis).");

  // ---- Environment -----------------------------------------------------------------
  m.def("ffmpeg_versions", [] {
    py::dict d;
    d["libavformat"] = libraryVersionString(avformat_version());
    d["libavcodec"] = libraryVersionString(avcodec_version());
    d["libavutil"] = libraryVersionString(avutil_version());
    d["libswscale"] = libraryVersionString(swscale_version());
    d["libswresample"] = libraryVersionString(swresample_version());
    d["ffmpeg"] = std::string(av_version_info());
    return d;
  });

  m.def("hardware", [] {
    HardwareReport r;
    {
      py::gil_scoped_release release;
      r = hardwareReport();
    }
    py::dict d;
    d["device_types"] = r.deviceTypes;
    d["available"] = r.available;
    d["encoders"] = r.encoders;
    return d;
  });

  // ---- Beats -------------------------------------------------------------------------
  py::class_<BeatTrack>(m, "BeatTrack",
                        "Tempo, beats and downbeats of a music track (read-only). Times are "
                        "seconds from the start of the file.")
      .def_readonly("tempo", &BeatTrack::tempo, "Beats per minute; 0 when no beat was found.")
      .def_property_readonly(
          "beats", [](py::object self) { return readOnlyView(self.cast<const BeatTrack&>().beats, self); },
          "Beat times (float64 seconds, absolute in the file).")
      .def_property_readonly(
          "downbeats",
          [](py::object self) { return readOnlyView(self.cast<const BeatTrack&>().downbeats, self); },
          "Estimated bar starts (4/4 assumed): every 4th beat, a subset of beats.")
      .def_property_readonly(
          "onset_envelope",
          [](py::object self) {
            return readOnlyView(self.cast<const BeatTrack&>().onsetEnvelope, self);
          },
          "Onset strength per analysis frame (float32); frame i is at onset_start + i / onset_rate.")
      .def_readonly("onset_rate", &BeatTrack::onsetRate, "Onset envelope frames per second.")
      .def_readonly("onset_start", &BeatTrack::onsetStart,
                    "File time of the envelope's first frame, seconds.")
      .def_readonly("confidence", &BeatTrack::confidence, "0..1; 0 for silence.")
      .def(
          "every",
          [](const BeatTrack& t, py::ssize_t n, py::ssize_t offset) {
            if (n < 1) throw py::value_error("n must be >= 1");
            if (offset < 0) throw py::value_error("offset must be >= 0");
            std::vector<double> out;
            for (auto i = static_cast<size_t>(offset); i < t.beats.size(); i += static_cast<size_t>(n)) {
              out.push_back(t.beats[i]);
            }
            return py::array_t<double>(static_cast<py::ssize_t>(out.size()), out.data());
          },
          py::arg("n"), py::arg("offset") = 0,
          "Every n-th beat starting at beat `offset` (beats[offset::n]), e.g. to cut every n beats.")
      .def("to_dict", &beatTrackDict, "All fields as a JSON-safe dict (arrays as lists).")
      .def_static("from_dict", &beatTrackFromDict, py::arg("d"))
      .def("__repr__", &beatTrackRepr)
      .def("__eq__",
           [](const BeatTrack& a, const BeatTrack& b) {
             return beatTrackDict(a).equal(beatTrackDict(b));
           })
      .def(py::pickle([](const BeatTrack& t) { return beatTrackDict(t); },
                      [](const py::dict& d) { return beatTrackFromDict(d); }));

  m.def(
      "detect_beats",
      [](const py::object& path, double start, std::optional<double> duration, double minBpm,
         double maxBpm, std::optional<double> tempoHint, const py::object& progress) {
        BeatOptions options;
        options.start = start;
        if (duration) {
          if (!(*duration > 0.0)) throw py::value_error("duration must be > 0 (or None)");
          options.duration = *duration;
        }
        options.minBpm = minBpm;
        options.maxBpm = maxBpm;
        if (tempoHint) {
          if (!(*tempoHint > 0.0)) throw py::value_error("tempo_hint must be > 0 (or None)");
          options.tempoHint = *tempoHint;
        }
        BeatCallbacks callbacks;
        callbacks.check = checkSignals;
        if (!progress.is_none()) {
          if (!PyCallable_Check(progress.ptr())) throw py::type_error("progress must be callable");
          // Captured by address: the std::function must not copy a py::object without the GIL.
          const py::object* fn = &progress;
          callbacks.progress = [fn](double fraction) {
            py::gil_scoped_acquire gil;
            (*fn)(fraction);
          };
        }
        const InputSource src = toSource(path);
        py::gil_scoped_release release;
        return detectBeats(src, options, callbacks);
      },
      py::arg("path"), py::kw_only(), py::arg("start") = 0.0, py::arg("duration") = py::none(),
      py::arg("min_bpm") = 60.0, py::arg("max_bpm") = 200.0, py::arg("tempo_hint") = py::none(),
      py::arg("progress") = py::none(),
      "Tempo, beats and downbeats of the audio in any audio or video file, natively.\n\n"
      "start/duration (seconds) select a window; beat times stay absolute in the file.\n"
      "Tempo is searched in [min_bpm, max_bpm]; tempo_hint (BPM) pins its octave.\n"
      "progress(fraction) is called about every 0.1 s. Releases the GIL; Ctrl-C interrupts.\n"
      "Silence gives tempo 0, no beats and confidence 0. Raises NoAudioStreamError for a file\n"
      "without audio, MediaNotFoundError, InvalidMediaError.");

  // ---- Kernels -----------------------------------------------------------------------
  bindKernels(m.def_submodule(
      "kernels", "The pure per-frame metric kernels of cpp/metrics, for tests and experiments."));

  // ---- Render ------------------------------------------------------------------------
  py::class_<RenderResult>(m, "RenderResult", "What render() did (read-only).")
      .def_readonly("encoder_used", &RenderResult::encoderUsed,
                    "The encoder that wrote the video, e.g. 'libx264' or 'h264_nvenc'.")
      .def_readonly("hwaccel_used", &RenderResult::hwaccelUsed,
                    "'none' or the hardware device type that decoded any segment.")
      .def_readonly("frames", &RenderResult::frames)
      .def_readonly("device_frames", &RenderResult::deviceFrames,
                    "Output frames decoded and scaled on the hardware device, never copied "
                    "to system memory in full (encoded there too when encoder_used is a "
                    "hardware encoder of that device).")
      .def_readonly("duration", &RenderResult::duration, "frames / fps, seconds.")
      .def_readonly("elapsed_s", &RenderResult::elapsed, "Wall-clock seconds.")
      .def_readonly("output", &RenderResult::output)
      .def("__repr__", &renderResultRepr);

  m.def(
      "render",
      [](const py::dict& timeline, const py::object& output, const std::string& encoder,
         const std::string& codec, const std::string& quality, std::optional<int64_t> bitrate,
         const std::string& hwaccel, int threads, const py::object& progress, bool prefetch) {
        if (bitrate && *bitrate <= 0) throw py::value_error("bitrate must be > 0 (or None)");
        if (threads < 0) throw py::value_error("threads must be >= 0");
        if (!progress.is_none() && !PyCallable_Check(progress.ptr())) {
          throw py::type_error("progress must be callable");
        }
        const RenderTimeline t = renderTimelineFromDict(timeline);
        const std::string out = toPath(output);
        RenderOptions options;
        options.encoder.encoder = encoder;
        options.encoder.codec = codec;
        options.encoder.quality = parseQuality(quality);
        options.encoder.bitrate = bitrate.value_or(0);
        options.hwaccel = hwaccel;
        options.threads = threads;
        options.prefetch = prefetch;
        options.interruptCheck = checkSignals;
        options.progress = progressCallback(progress);
        py::gil_scoped_release release;
        return render(t, out, options);
      },
      py::arg("timeline"), py::arg("output"), py::kw_only(), py::arg("encoder") = "auto",
      py::arg("codec") = "h264", py::arg("quality") = "high", py::arg("bitrate") = py::none(),
      py::arg("hwaccel") = "auto", py::arg("threads") = 0, py::arg("progress") = py::none(),
      py::arg("prefetch") = true,
      "Render a timeline dict (Timeline.to_dict()) to output in one streaming pass; see\n"
      "autocut_native.render, which validates the timeline first. Releases the GIL;\n"
      "progress(frames_done, frames_total) runs on the calling thread; Ctrl-C interrupts.");

  m.def(
      "synthesize_video",
      [](const std::string& source, const py::object& output, double seconds,
         const std::string& encoder, const std::string& quality) {
        EncoderRequest request;
        request.encoder = encoder;
        request.quality = parseQuality(quality);
        const std::string out = toPath(output);
        SynthResult r;
        {
          py::gil_scoped_release release;
          r = synthesizeVideo(source, out, seconds, request, checkSignals);
        }
        py::dict d;
        d["encoder_used"] = r.encoderUsed;
        d["frames"] = r.frames;
        d["width"] = r.width;
        d["height"] = r.height;
        d["fps"] = r.fps;
        return d;
      },
      py::arg("source"), py::arg("output"), py::kw_only(), py::arg("seconds"),
      py::arg("encoder") = "libx264", py::arg("quality") = "high",
      "Encode `seconds` of an FFmpeg generated source (a libavfilter chain such as\n"
      "'testsrc2=size=640x360:rate=30,gblur=sigma=2') to output; no ffmpeg CLI needed.");

  py::class_<QualityReport>(m, "QualityReport",
                            "Per-frame luma PSNR and SSIM of a video against a reference.")
      .def_property_readonly(
          "psnr",
          [](py::object self) { return readOnlyView(self.cast<const QualityReport&>().psnr, self); },
          "dB per frame (float32); inf for identical frames.")
      .def_property_readonly(
          "ssim",
          [](py::object self) { return readOnlyView(self.cast<const QualityReport&>().ssim, self); },
          "SSIM per frame (float32), <= 1.")
      .def_readonly("mean_psnr", &QualityReport::meanPsnr,
                    "PSNR of the mean squared error over all frames (inf only if all identical).")
      .def_readonly("mean_ssim", &QualityReport::meanSsim)
      .def_readonly("frames", &QualityReport::frames, "Frames compared.")
      .def_readonly("reference_frames", &QualityReport::referenceFrames)
      .def_readonly("distorted_frames", &QualityReport::distortedFrames)
      .def_readonly("width", &QualityReport::width)
      .def_readonly("height", &QualityReport::height)
      .def("__repr__", &qualityReportRepr);

  m.def(
      "compare",
      [](const py::object& reference, const py::object& distorted, const std::string& hwaccel,
         int threads) {
        const std::string ref = toPath(reference), dist = toPath(distorted);
        CompareOptions options;
        options.hwaccel = hwaccel;
        options.threads = threads;
        options.interruptCheck = checkSignals;
        py::gil_scoped_release release;
        return compare(ref, dist, options);
      },
      py::arg("reference"), py::arg("distorted"), py::kw_only(), py::arg("hwaccel") = "auto",
      py::arg("threads") = 0,
      "Per-frame PSNR and SSIM on upright 8-bit luma of `distorted` against `reference`,\n"
      "frame i against frame i. The sizes must match (ValueError otherwise).");
}
