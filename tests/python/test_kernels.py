"""The metric kernels (autocut_native._core.kernels) against straightforward numpy
references on random and structured arrays: exact, or within 1e-4 relative."""

from __future__ import annotations

import math

import numpy as np
import pytest
from autocut_native._core import kernels as k

RTOL = 1e-4


def close(actual, expected, rtol=RTOL, atol=1e-6):
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


# ---- numpy references ------------------------------------------------------------------


def ref_grid(width: int, height: int, size: int = 360) -> tuple[int, int]:
    short = min(width, height)
    if size <= 0 or short <= size:
        return width, height
    scaled = lambda side: max(1, (2 * side * size + short) // (2 * short))  # noqa: E731
    return (size, scaled(height)) if width <= height else (scaled(width), size)


def area_matrix(src: int, dst: int) -> np.ndarray:
    """Row j: the overlap of each source sample with output sample j, over its length."""
    m = np.zeros((dst, src))
    for j in range(dst):
        lo, hi = j * src, (j + 1) * src  # in units of 1/dst source samples
        for i in range(lo // dst, (hi - 1) // dst + 1):
            m[j, i] = (min(hi, (i + 1) * dst) - max(lo, i * dst)) / src
    return m


def ref_downscale(plane, bit_depth, limited, out_w, out_h) -> np.ndarray:
    avg = (
        area_matrix(plane.shape[0], out_h)
        @ plane.astype(np.float64)
        @ area_matrix(plane.shape[1], out_w).T
    )
    y8 = avg * 2.0 ** (8 - bit_depth)
    if limited:
        y8 = (y8 - 16.0) * 255.0 / 219.0
    return np.clip(y8, 0.0, 255.0)


def ref_chroma(u, v, bit_depth, limited, step):
    slope, offset = 2.0 ** (8 - bit_depth), 0.0
    if limited:
        slope *= 255.0 / 224.0
        offset = 128.0 - 128.0 * 255.0 / 224.0
    uu = u[::step, ::step].astype(np.float64) * slope + offset
    vv = v[::step, ::step].astype(np.float64) * slope + offset
    return uu.mean(), vv.mean(), uu.var(), vv.var()


def ref_colorfulness(mu, mv, var_u, var_v):
    return math.sqrt(var_u + var_v) + 0.3 * math.hypot(mu - 128.0, mv - 128.0)


def ref_sharpness(img) -> float:
    i = img.astype(np.float64)
    lap = i[:-2, 1:-1] + i[2:, 1:-1] + i[1:-1, :-2] + i[1:-1, 2:] - 4.0 * i[1:-1, 1:-1]
    return float(lap.var())


def ref_exposure(img):
    i = img.astype(np.float64)
    return i.mean(), i.std(), (img <= 16).mean(), (img >= 240).mean()


def ref_noise(img) -> float:
    """Immerkaer over unclipped pixels with G below the sampled 20th-percentile bin edge."""
    i = img.astype(np.float64)
    h, w = i.shape
    if w < 3 or h < 3:
        return 0.0
    kn = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
    kx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)

    def conv(kernel):
        out = np.zeros((h - 2, w - 2))
        for dy in range(3):
            for dx in range(3):
                out += kernel[dy, dx] * i[dy : dy + h - 2, dx : dx + w - 2]
        return out

    n = np.abs(conv(kn))
    g = np.abs(conv(kx)) + np.abs(conv(kx.T))
    c = i[1:-1, 1:-1]
    usable = (c > 1.0) & (c < 254.0)
    rows = slice(0, None, 2)  # interior rows y = 1, 3, 5, ...
    n, g, usable = n[rows], g[rows], usable[rows]
    gs = g[:, ::4][usable[:, ::4]]
    if gs.size == 0:
        return 0.0
    bins = np.minimum(np.floor(gs * 16.0), 4095).astype(np.int64)
    cum = np.cumsum(np.bincount(bins, minlength=4096))
    hit = np.nonzero(cum[:4095] >= 0.2 * gs.size)[0]
    threshold = (hit[0] + 1) / 16.0 if hit.size else np.inf
    sel = usable & (g < threshold)
    if sel.sum() < 16:
        return 0.0
    return math.sqrt(math.pi / 2.0) / 6.0 * float(n[sel].mean())


def ref_histogram(img) -> np.ndarray:
    s = np.clip(img[::2, ::2].astype(np.float64), 0.0, 255.0)
    bins = np.minimum(np.floor(s * 0.125).astype(np.int64), 31)
    return np.bincount(bins.ravel(), minlength=32) / bins.size


def ref_mc_mad(prev, cur, dx, dy) -> float:
    a, b = prev.astype(np.float64), cur.astype(np.float64)
    h, w = a.shape
    plain = float(np.abs(a - b).mean())
    if not (abs(dx) < w and abs(dy) < h):
        return plain
    ox, oy = math.floor(-dx), math.floor(-dy)
    fx, fy = -dx - ox, -dy - oy
    x0, x1 = max(0, -ox), min(w - 1, (w - 2 if fx > 0 else w - 1) - ox)
    y0, y1 = max(0, -oy), min(h - 1, (h - 2 if fy > 0 else h - 1) - oy)
    cols, rows = x1 - x0 + 1, y1 - y0 + 1
    if cols <= 0 or rows <= 0 or cols * rows < 0.1 * w * h:
        return plain
    tx, ty = (1 if fx > 0 else 0), (1 if fy > 0 else 0)
    ys, xs = slice(y0 + oy, y1 + oy + 1), slice(x0 + ox, x1 + ox + 1)
    ys1, xs1 = slice(y0 + oy + ty, y1 + oy + ty + 1), slice(x0 + ox + tx, x1 + ox + tx + 1)
    v = (
        (1 - fx) * (1 - fy) * a[ys, xs]
        + fx * (1 - fy) * a[ys, xs1]
        + (1 - fx) * fy * a[ys1, xs]
        + fx * fy * a[ys1, xs1]
    )
    return float(np.abs(b[y0 : y1 + 1, x0 : x1 + 1] - v).mean())


def ref_scene_score(prev, cur, dx, dy) -> float:
    tonal = min(1.0, 0.5 * float(np.abs(ref_histogram(prev) - ref_histogram(cur)).sum()))
    scale = 0.5 * (ref_exposure(prev)[1] + ref_exposure(cur)[1]) + 2.0
    return 0.5 * tonal + 0.5 * min(1.0, ref_mc_mad(prev, cur, dx, dy) / scale)


def ref_shake(times, mx, my, cuts=(), window=0.5) -> np.ndarray:
    t = np.asarray(times, dtype=np.float64)
    n = t.size
    out = np.zeros(n)
    bounds = sorted({0, n, *[c for c in cuts if 0 < c < n]})
    half = window / 2
    for b, e in zip(bounds[:-1], bounds[1:]):
        ts = t[b:e]
        steps = np.diff(ts)
        px = np.concatenate([[0.0], np.cumsum(np.asarray(mx[b + 1 : e], np.float64) * steps)])
        py = np.concatenate([[0.0], np.cumsum(np.asarray(my[b + 1 : e], np.float64) * steps)])
        res = np.zeros((e - b, 2))
        wins = [np.nonzero((ts >= ti - half) & (ts <= ti + half))[0] for ti in ts]
        for i, j in enumerate(wins):
            if j.size < 3:
                continue
            u = ts[j] - ts[i]
            for d, p in enumerate((px, py)):
                slope, icpt = np.polyfit(u, p[j], 1) if np.ptp(u) > 0 else (0.0, p[j].mean())
                res[i, d] = p[i] - icpt
        for i, j in enumerate(wins):
            if j.size >= 3:
                out[b + i] = math.sqrt(float((res[j] ** 2).sum(axis=1).mean()))
    return out


def ref_scene_cuts(times, scores, floor=0.3, kk=4.0, min_spread=0.02, window=2.0, spacing=0.5):
    t = np.asarray(times, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float32).astype(np.float64)
    n = t.size
    cands = []
    for i in range(1, n):
        if not s[i] > floor or not s[i] > s[i - 1] or (i + 1 < n and not s[i] >= s[i + 1]):
            continue
        idx = [j for j in range(1, n) if j != i and abs(t[j] - t[i]) <= window / 2]
        thr = floor
        if idx:
            med = float(np.median(s[idx]))
            mad = float(np.median(np.abs(s[idx] - med)))
            thr = max(thr, med + kk * max(1.4826 * mad, min_spread))
        if s[i] > thr:
            cands.append(i)
    cuts: list[int] = []
    for c in sorted(cands, key=lambda i: (-s[i], i)):
        if all(abs(t[c] - t[q]) >= spacing for q in cuts):
            cuts.append(c)
    return sorted(cuts)


def ref_quality(sharp, bright, under, over, noise, shake):
    sharp, bright, under, over, noise, shake = (
        np.asarray(a, dtype=np.float32).astype(np.float64)
        for a in (sharp, bright, under, over, noise, shake)
    )
    noise = np.maximum(noise, 0.0)
    raw = np.maximum(sharp, 0.0)
    s = np.maximum(raw - 20.0 * noise**2, 0.5 * raw)
    q_sharp = s / (s + 50.0)
    excess = np.maximum(80.0 - bright, 0.0) + np.maximum(bright - 176.0, 0.0)
    q_bright = np.exp(-0.5 * (excess / 32.0) ** 2)
    q_clip = (1 - np.clip(under, 0, 1)) * (1 - np.clip(over, 0, 1))
    q_noise = 1 / (1 + (noise / 5.0) ** 2)
    q_shake = 1 / (1 + (np.maximum(shake, 0.0) / 3.0) ** 2)
    return np.clip(q_sharp * q_bright * q_clip * q_noise * q_shake, 0.0, 1.0)


# ---- fixtures: images ------------------------------------------------------------------


def smooth_pattern(w, h, dx=0.0, dy=0.0, seed=0) -> np.ndarray:
    """Sines and Gaussian blobs in continuous coordinates, content displaced by (dx, dy)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = x - dx, y - dy
    v = np.full((h, w), 128.0)
    for _ in range(6):
        wl, ang = 25 + 90 * rng.random(), 2 * math.pi * rng.random()
        kx, ky = 2 * math.pi / wl * math.cos(ang), 2 * math.pi / wl * math.sin(ang)
        v += (8 + 10 * rng.random()) * np.sin(kx * x + ky * y + 2 * math.pi * rng.random())
    for _ in range(40):
        cx, cy = -100 + (w + 200) * rng.random(), -100 + (h + 200) * rng.random()
        sg, amp = 4 + 14 * rng.random(), (20 + 40 * rng.random()) * rng.choice([-1, 1])
        v += amp * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * sg * sg))
    return v.astype(np.float32)


def gray_cases():
    rng = np.random.default_rng(1)
    rand = rng.integers(0, 256, (180, 320)).astype(np.float32)
    struct = smooth_pattern(320, 180, seed=3)
    struct[40:90, 100:200] += 60.0
    textured = np.round(struct + rng.normal(0, 3, struct.shape)).astype(np.float32)
    clipped = np.clip(np.round(smooth_pattern(240, 160, seed=4) * 1.8 - 100), 0, 255).astype(
        np.float32
    )
    clipped[:20] = 0.0  # letterbox
    return {
        "random": rand,
        "structured": struct,
        "textured-noisy": textured,
        "clipped-letterbox": clipped,
        "fractional": (rng.integers(0, 2048, (97, 131)) / 8.0).astype(np.float32),
        "constant": np.full((50, 70), 77.0, np.float32),
        "tiny": rng.integers(0, 256, (3, 4)).astype(np.float32),
    }


GRAY = gray_cases()


# ---- analysis grid and downscale -------------------------------------------------------


@pytest.mark.parametrize(
    ("w", "h", "size"),
    [
        (1920, 1080, 360),
        (1280, 720, 360),
        (3840, 2160, 360),
        (1080, 1920, 360),
        (1920, 1088, 360),
        (320, 240, 360),
        (1000, 563, 360),
        (1920, 1080, 0),
        (7, 3, 2),
    ],
)
def test_analysis_grid(w, h, size):
    assert k.analysis_grid(w, h, size) == ref_grid(w, h, size)


@pytest.mark.parametrize(
    ("shape", "dtype", "bit_depth", "limited"),
    [
        ((1080, 1920), np.uint8, 8, False),
        ((720, 1280), np.uint8, 8, True),
        ((720, 1280), np.uint16, 10, True),
        ((563, 1000), np.uint16, 12, False),
        ((400, 300), np.uint16, 16, False),
        ((200, 150), np.uint8, 8, False),  # short side < 360: kept
    ],
)
def test_downscale_matches_area_average(shape, dtype, bit_depth, limited):
    rng = np.random.default_rng(sum(shape))
    plane = rng.integers(0, 2**bit_depth, shape).astype(dtype)
    out = k.downscale(plane, bit_depth=bit_depth, limited_range=limited)
    w, h = ref_grid(shape[1], shape[0])
    assert out.shape == (h, w) and out.dtype == np.float32
    close(out, ref_downscale(plane, bit_depth, limited, w, h), atol=1e-3)


def test_downscale_explicit_sizes_and_structured_input():
    y, x = np.mgrid[0:13, 0:20]
    plane = ((x * 11 + y * 17) % 256).astype(np.uint8)
    for w, h in [(7, 5), (10, 13), (20, 13), (1, 1), (19, 2)]:
        out = k.downscale(plane, size=(w, h))
        close(out, ref_downscale(plane, 8, False, w, h), atol=1e-4)
    with pytest.raises(ValueError):
        k.downscale(plane, size=(21, 13))  # never upscales


@pytest.mark.parametrize(
    ("shape", "dtype", "bit_depth", "size"),
    [
        ((96, 120), np.uint16, 10, (20, 16)),  # 6x6 integer sums
        ((96, 120), np.uint16, 16, (60, 48)),  # 2x2 would overflow 16-bit sums: float path
        ((100, 150), np.uint8, 8, (30, 20)),  # 5x5
        ((100, 150), np.uint8, 8, (150, 20)),  # 1x5
        ((100, 150), np.uint8, 8, (45, 100)),  # fractional x, 1 y
        ((99, 141), np.uint8, 8, (47, 33)),  # 3x3, a row not a multiple of 4 outputs
        ((90, 141), np.uint16, 10, (47, 30)),  # 3x3 integer sums, 10-bit
        ((90, 141), np.uint16, 16, (47, 30)),  # 3x3 would overflow 16-bit sums: float path
        ((100, 141), np.uint8, 8, (47, 40)),  # 3 in x, fractional y
        ((60, 138), np.uint8, 8, (23, 10)),  # 6x6 (4K), a row not a multiple of 4 outputs
    ],
)
def test_downscale_integer_and_fractional_paths(shape, dtype, bit_depth, size):
    rng = np.random.default_rng(shape[0] + size[0])
    plane = rng.integers(0, 2**bit_depth, shape).astype(dtype)
    out = k.downscale(plane, bit_depth=bit_depth, size=size)
    close(out, ref_downscale(plane, bit_depth, False, *size), atol=1e-3)


def test_downscale_limited_range_levels():
    plane = np.array([[0, 64, 512, 940, 1023]], dtype=np.uint16)
    full = k.downscale(plane, bit_depth=10)
    close(full[0], [0.0, 16.0, 128.0, 235.0, 255.0])  # 1023 / 4 = 255.75, clamped
    lim = k.downscale(plane, bit_depth=10, limited_range=True)
    close(lim[0], [0.0, 0.0, (128 - 16) * 255 / 219, 255.0, 255.0], atol=1e-4)


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[:, 8:-24],  # padded rows: strides pass through
        lambda a: a[::2],  # row step
        lambda a: a[:, ::2],  # column step: copied
        lambda a: a[::-1],  # reversed rows: copied
        lambda a: np.asfortranarray(a),
    ],
)
def test_downscale_accepts_strided_views(view):
    rng = np.random.default_rng(7)
    base = rng.integers(0, 1024, (760, 1320)).astype(np.uint16)
    plane = view(base)
    expect_plane = np.ascontiguousarray(plane)
    out = k.downscale(plane, bit_depth=10, limited_range=True)
    w, h = ref_grid(plane.shape[1], plane.shape[0])
    close(out, ref_downscale(expect_plane, 10, True, w, h), atol=1e-3)
    np.testing.assert_array_equal(out, k.downscale(expect_plane, bit_depth=10, limited_range=True))


def test_downscale_rejects_bad_planes():
    with pytest.raises(TypeError):
        k.downscale(np.zeros((10, 10), np.int32))
    with pytest.raises(ValueError):
        k.downscale(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError):
        k.downscale(np.zeros((10, 10), np.uint8), bit_depth=10)
    with pytest.raises(ValueError):
        k.downscale(np.zeros((10, 10), np.uint16), bit_depth=17)


# ---- chroma ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "bit_depth", "limited", "step"),
    [
        (np.uint8, 8, False, 1),
        (np.uint8, 8, True, 2),
        (np.uint16, 10, True, 1),
        (np.uint16, 10, False, 3),
        (np.uint16, 12, False, 1),
        (np.uint16, 16, False, 1),
    ],
)
def test_chroma_stats_and_colorfulness(dtype, bit_depth, limited, step):
    rng = np.random.default_rng(bit_depth + step)
    top = 2**bit_depth
    u = rng.normal(0.55 * top, 0.08 * top, (270, 480)).clip(0, top - 1).astype(dtype)
    v = rng.normal(0.40 * top, 0.05 * top, (270, 480)).clip(0, top - 1).astype(dtype)
    u_view = u[:, 5:-3]  # padded rows
    v_view = v[:, 5:-3]
    got = k.chroma_stats(u_view, v_view, bit_depth=bit_depth, limited_range=limited, step=step)
    expect = ref_chroma(u_view, v_view, bit_depth, limited, step)
    close(got, expect)
    close(
        k.colorfulness(u_view, v_view, bit_depth=bit_depth, limited_range=limited, step=step),
        ref_colorfulness(*expect),
    )


@pytest.mark.parametrize(("dtype", "bit_depth"), [(np.uint8, 8), (np.uint16, 10), (np.uint16, 12)])
def test_chroma_stats_exact_at_full_scale(dtype, bit_depth):
    # Long rows of the largest samples: the vector path's 32-bit partial sums must not
    # overflow before they are folded.
    top = 2**bit_depth - 1
    u = np.full((3, 5000), top, dtype)
    v = np.zeros((3, 5000), dtype)
    v[:, ::2] = top
    got = k.chroma_stats(u, v, bit_depth=bit_depth)
    expect = ref_chroma(u, v, bit_depth, False, 1)
    close(got, expect)


def test_colorfulness_of_grey_is_zero_and_mismatch_raises():
    grey = np.full((90, 160), 128, np.uint8)
    assert k.colorfulness(grey, grey) == 0.0
    with pytest.raises(ValueError):
        k.chroma_stats(grey, grey[:-1])


# ---- per-frame quality kernels ---------------------------------------------------------


@pytest.mark.parametrize("name", list(GRAY))
def test_sharpness(name):
    img = GRAY[name]
    close(k.sharpness(img), ref_sharpness(img) if min(img.shape) >= 3 else 0.0, atol=1e-6)


@pytest.mark.parametrize("name", list(GRAY))
def test_exposure(name):
    img = GRAY[name]
    got = k.exposure(img)
    expect = ref_exposure(img)
    close(got[:2], expect[:2], atol=1e-5)
    assert got[2:] == pytest.approx(expect[2:], abs=1e-12)


@pytest.mark.parametrize("name", list(GRAY))
def test_noise(name):
    img = GRAY[name]
    close(k.noise(img), ref_noise(img), atol=1e-6)


def test_noise_reads_added_noise_not_texture():
    clean = smooth_pattern(640, 360, seed=5)
    clean[:, 300:] += 40 * np.sin(np.arange(340) * 1.7) * np.sin(np.arange(360) * 0.9)[:, None]
    rng = np.random.default_rng(0)
    noisy = clean + rng.normal(0, 4.0, clean.shape).astype(np.float32)
    assert k.noise(clean) < 0.5
    assert k.noise(noisy) == pytest.approx(4.0, rel=0.15)


# ---- change kernels ----------------------------------------------------------------------


def test_mean_abs_diff_and_histogram():
    a, b = GRAY["random"], GRAY["structured"]
    close(k.mean_abs_diff(a, b), np.abs(a.astype(np.float64) - b).mean())
    for img in GRAY.values():
        close(k.luma_histogram(img), ref_histogram(img), atol=1e-7)
    with pytest.raises(ValueError):
        k.mean_abs_diff(a, b[:-1])


@pytest.mark.parametrize(
    ("dx", "dy"),
    [(0.0, 0.0), (3.0, -2.0), (2.37, -1.61), (-0.5, 0.25), (-40.2, 11.9), (400.0, 0.0)],
)
def test_motion_compensated_mad_and_scene_score(dx, dy):
    a = smooth_pattern(160, 90, seed=1)
    b = np.round(smooth_pattern(160, 90, 2.4, -1.5, seed=1) * 1.05).astype(np.float32)
    close(k.motion_compensated_mad(a, b, dx, dy), ref_mc_mad(a, b, dx, dy))
    close(k.scene_score(a, b, dx, dy), ref_scene_score(a, b, dx, dy))


@pytest.mark.parametrize(
    ("dx", "dy"), [(0.0, 0.0), (5.0, 0.0), (-3.0, 7.0), (2.3, -1.7), (-0.4, 0.6), (80.0, -25.0)]
)
def test_translation_recovers_content_displacement(dx, dy):
    a = smooth_pattern(640, 360, seed=11)
    b = smooth_pattern(640, 360, dx, dy, seed=11)
    got_dx, got_dy, conf = k.translation(a, b)
    assert got_dx == pytest.approx(dx, abs=0.25)
    assert got_dy == pytest.approx(dy, abs=0.25)
    assert conf > 0.05


def test_translation_sign_is_content_motion():
    a = smooth_pattern(320, 180, seed=2)
    # Content moves 6 px right and 3 px down: the camera panned left and tilted up.
    b = np.zeros_like(a)
    b[3:, 6:] = a[:-3, :-6]
    b[:3, :] = a[:3, :]
    b[:, :6] = a[:, :6]
    dx, dy, _ = k.translation(a, b)
    assert dx == pytest.approx(6.0, abs=0.25)
    assert dy == pytest.approx(3.0, abs=0.25)


def test_pan_scores_low_and_cut_scores_high():
    a = smooth_pattern(640, 360, seed=1)
    pan = smooth_pattern(640, 360, 37.3, 0.0, seed=1)
    cut = smooth_pattern(640, 360, seed=2)
    dx, dy, _ = k.translation(a, pan)
    assert k.scene_score(a, pan, dx, dy) < 0.1
    dx, dy, _ = k.translation(a, cut)
    assert k.scene_score(a, cut, dx, dy) > 0.4


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[:, 7:-9],
        lambda a: a[::2],
        lambda a: a.T,
        lambda a: a.astype(np.float64),
        lambda a: a[::-1],
    ],
)
def test_gray_kernels_accept_views_and_other_float_types(view):
    base = GRAY["textured-noisy"]
    img = view(base)
    ref = np.ascontiguousarray(img, dtype=np.float32)
    assert k.sharpness(img) == k.sharpness(ref)
    assert k.exposure(img) == k.exposure(ref)
    assert k.noise(img) == k.noise(ref)
    close(k.noise(img), ref_noise(ref), atol=1e-6)


def test_gray_kernels_reject_bad_shapes():
    with pytest.raises(ValueError):
        k.sharpness(np.zeros(10, np.float32))
    with pytest.raises(ValueError):
        k.translation(np.zeros((10, 10), np.float32), np.zeros((10, 11), np.float32))


# ---- series --------------------------------------------------------------------------------


def test_shake_matches_reference_and_separates_pan_from_jitter():
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(1 / 40, 1 / 20, 240))  # variable frame rate
    t -= t[0]
    jitter = 3.0 * np.sin(2 * np.pi * 6.0 * t)
    vx = np.zeros_like(t)
    vx[1:] = 150.0 + np.diff(jitter) / np.diff(t)
    vy = np.full_like(t, -40.0)
    vy[120] = 9000.0  # a cut: motion across it is bogus
    cuts = [120]
    got = k.shake(t, vx, vy, cuts)
    close(got, ref_shake(t, vx.astype(np.float32), vy.astype(np.float32), cuts), atol=1e-4)
    pan = k.shake(t, np.full_like(t, 150.0), np.full_like(t, -40.0))
    assert pan.max() < 1e-3
    assert np.median(got) == pytest.approx(3.0 / math.sqrt(2), rel=0.25)
    close(
        k.shake(t, vx, vy, cuts, 1.0),
        ref_shake(t, vx.astype(np.float32), vy.astype(np.float32), cuts, 1.0),
        atol=1e-4,
    )


def test_scene_cuts_match_reference():
    rng = np.random.default_rng(4)
    n = 900
    t = np.arange(n) / 30.0
    s = (0.02 + 0.05 * rng.random(n)).astype(np.float32)
    s[300:420] = 0.3 + 0.15 * rng.random(120)
    for i, v in [
        (100, 0.8),
        (200, 0.7),
        (201, 0.5),
        (250, 0.9),
        (258, 0.6),
        (360, 0.95),
        (600, 0.31),
        (700, 0.45),
    ]:
        s[i] = v
    got = k.scene_cuts(t, s)
    assert got == ref_scene_cuts(t, s)
    assert {100, 200, 250, 360, 700} <= set(got) and 258 not in got and 201 not in got
    assert k.scene_cuts(t, s, floor=0.5, k=2.0) == ref_scene_cuts(t, s, floor=0.5, kk=2.0)


def test_quality_matches_formula_and_is_monotone():
    rng = np.random.default_rng(5)
    n = 500
    args = (
        rng.uniform(0, 800, n),
        rng.uniform(0, 255, n),
        rng.uniform(0, 0.5, n),
        rng.uniform(0, 0.5, n),
        rng.uniform(0, 12, n),
        rng.uniform(0, 10, n),
    )
    got = k.quality(*args)
    assert got.dtype == np.float32 and got.shape == (n,)
    close(got, ref_quality(*args), rtol=1e-5, atol=1e-7)
    assert ((got >= 0) & (got <= 1)).all()
    base = [np.full(6, v) for v in (400.0, 120.0, 0.01, 0.0, 1.0, 0.5)]
    for idx, values in [
        (0, [400, 200, 80, 20, 5, 0]),
        (4, [1, 2, 4, 8, 16, 32]),
        (5, [0.5, 1, 2, 4, 8, 16]),
        (1, [120, 70, 50, 30, 10, 0]),
        (1, [120, 190, 210, 230, 250, 255]),
        (2, [0, 0.1, 0.2, 0.4, 0.6, 0.9]),
    ]:
        a = [b.copy() for b in base]
        a[idx] = np.asarray(values, dtype=np.float64)
        q = k.quality(*a)
        assert (np.diff(q) < 0).all(), (idx, q)
    with pytest.raises(ValueError):
        k.quality(*[np.ones(3)] * 5, np.ones(4))
