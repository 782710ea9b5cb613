#!/usr/bin/env bash
# Gets an FFmpeg source tarball for scripts/build_ffmpeg_lgpl.sh and prints its path on
# stdout (progress goes to stderr). The first of these that applies:
#   --tarball FILE     a tarball you already have (checked against --sha256 when given)
#   --url URL          downloaded with curl; needs --sha256 (e.g. https://ffmpeg.org/
#                      releases/ffmpeg-5.1.9.tar.xz, what cibuildwheel uses)
#   Debian/Ubuntu      `apt-get source --download-only ffmpeg=<version>`: the upstream
#                      tarball (ffmpeg_<version>.orig.tar.xz) of the FFmpeg this release of
#                      the distribution ships (libavcodec-dev's candidate version; deb-src
#                      entries for testing or sid are not taken; AUTOCUT_FFMPEG_DEB_VERSION
#                      asks for another), verified by apt against the signed Sources index.
#                      When apt has no source entry for that version, a copy of the enabled
#                      `deb` entries as `deb-src` is written to
#                      /etc/apt/sources.list.d/autocut-deb-src.{sources,list} (root or
#                      sudo) and `apt-get update` is run; nothing is added otherwise.
# Elsewhere (AlmaLinux/manylinux, macOS) pass --tarball or --url; see README "Distribution
# (wheels)". A tarball fetched before is reused from DIR without touching the network.
#
# Usage: scripts/fetch_ffmpeg_source.sh [--dir DIR] [--tarball FILE | --url URL] [--sha256 HEX]
#   --dir DIR     where downloads go (default: build/ffmpeg-lgpl/source)
#   --sha256 HEX  refuse a tarball whose SHA-256 differs
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

log() { printf '[fetch_ffmpeg_source] %s\n' "$*" >&2; }
die() { printf '[fetch_ffmpeg_source] error: %s\n' "$*" >&2; exit 1; }

DIR=$ROOT/build/ffmpeg-lgpl/source TARBALL="" URL="" SHA256=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=${2:?--dir needs a directory}; shift 2 ;;
    --tarball) TARBALL=${2:?--tarball needs a file}; shift 2 ;;
    --url) URL=${2:?--url needs a URL}; shift 2 ;;
    --sha256) SHA256=${2:?--sha256 needs a hash}; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

sha() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
checked() {  # prints $1 after the optional --sha256 check
  if [ -n "$SHA256" ] && [ "$(sha "$1")" != "$SHA256" ]; then
    die "$1 has SHA-256 $(sha "$1"), expected $SHA256"
  fi
  printf '%s\n' "$1"
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -n "$TARBALL" ]; then
  [ -f "$TARBALL" ] || die "no tarball at '$TARBALL'"
  checked "$(cd "$(dirname "$TARBALL")" && pwd)/$(basename "$TARBALL")"
  exit 0
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

if [ -n "$URL" ]; then
  [ -n "$SHA256" ] || die "--url needs --sha256"
  out=$DIR/$(basename "$URL")
  if [ -f "$out" ] && [ "$(sha "$out")" = "$SHA256" ]; then
    log "cached: $out"
  else
    log "downloading $URL"
    curl -fsSL --retry 3 -o "$out.part" "$URL" || die "download failed: $URL"
    mv "$out.part" "$out"
  fi
  checked "$out"
  exit 0
fi

# ---- Debian/Ubuntu: the distribution's source package ---------------------------------
command -v apt-get >/dev/null \
  || die "no apt-get here: pass --tarball FILE or --url URL --sha256 HEX (see --help)"
# The source of the FFmpeg this distribution release ships (libavcodec-dev's candidate),
# not whatever newest version some deb-src entry (testing, sid) offers. Whole outputs are
# read throughout: an early-exiting reader would SIGPIPE apt-cache under pipefail.
version=$(apt-cache policy libavcodec-dev 2>/dev/null | awk '/Candidate:/ { v = $2 } END { print v }')
[ "$version" = "(none)" ] && version=""
if [ -n "$version" ]; then
  # "Source: ffmpeg (7:5.1.9-0+deb12u1)" when the binary was rebuilt (+bN) on its own.
  srcv=$(apt-cache show "libavcodec-dev=$version" 2>/dev/null \
    | awk '/^Source: ffmpeg \(/ && !v { v = $3; gsub(/[()]/, "", v) } END { print v }')
  version=${srcv:-$version}
fi
VERSION=${AUTOCUT_FFMPEG_DEB_VERSION:-$version}
upstream=${VERSION#*:}
upstream=${upstream%-*}
cached=$(ls -t "$DIR"/ffmpeg_"${upstream:-*}".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n1 || true)
if [ -n "$cached" ]; then
  log "cached: $cached"
  checked "$cached"
  exit 0
fi

has_source() {
  [ -n "$(apt-cache showsrc ffmpeg 2>/dev/null | sed -n "/^Version: ${VERSION:-.}/p")" ]
}
if ! has_source; then
  # deb822 files (Debian 12, Ubuntu 24.04): every stanza whose Types has `deb` again with
  # Types: deb-src. One-line files: every `deb ` line as `deb-src `.
  list=/etc/apt/sources.list.d/autocut-deb-src
  d822=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^[ \t]*#/ { next }
    /^[ \t]*$/ { if (keep) printf "%s\n", block; block = ""; keep = 0; next }
    /^Types:/ { if ($0 ~ /[ \t]deb([ \t]|$)/) keep = 1; $0 = "Types: deb-src" }
    { block = block $0 "\n" }
    END { if (keep) printf "%s\n", block }' || true)
  oneline=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | sed -n 's/^[ \t]*deb[ \t]\+/deb-src /p' || true)
  [ -n "$d822$oneline" ] || die "no deb entries in /etc/apt to derive deb-src entries from"
  log "apt has no source entry for ffmpeg ${VERSION}: adding deb-src entries ($list.*) and updating"
  if [ -n "$d822" ]; then printf '%s\n' "$d822" | as_root tee "$list.sources" >/dev/null; fi
  if [ -n "$oneline" ]; then printf '%s\n' "$oneline" | as_root tee "$list.list" >/dev/null; fi
  as_root apt-get update -qq || die "apt-get update failed"
  has_source || die "still no source package for ffmpeg ${VERSION} after adding deb-src entries"
fi
log "apt-get source --download-only ffmpeg${VERSION:+=$VERSION}"
(cd "$DIR" && apt-get source -qq --download-only "ffmpeg${VERSION:+=$VERSION}") >&2 \
  || die "apt-get source failed"
tarball=$(ls -t "$DIR"/ffmpeg_"${upstream:-*}".orig.tar.* 2>/dev/null | grep -v '\.asc$' | head -n1 || true)
[ -n "$tarball" ] || die "apt-get source left no ffmpeg_${upstream:-*}.orig.tar.* in $DIR"
checked "$tarball"
