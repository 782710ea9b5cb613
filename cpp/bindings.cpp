// The only file that includes pybind11: converts arguments, releases the GIL around
// the core, and wraps results. No logic of its own beyond that.
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "ffmpeg/ffmpeg.h"
#include "hw/device.h"
#include "media/probe.h"

namespace py = pybind11;
using namespace autocut;

namespace {

// ---- Arguments ---------------------------------------------------------------

// str, bytes or os.PathLike -> UTF-8 path.
std::string toPath(const py::object& obj) {
  py::object fs = py::module_::import("os").attr("fsdecode")(obj);
  return fs.cast<std::string>();
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
      [](const py::object& path) {
        const std::string p = toPath(path);
        py::gil_scoped_release release;
        return probe(p);
      },
      py::arg("path"),
      "Read a media file's headers (and at most a few packets) and describe it.");

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
}
