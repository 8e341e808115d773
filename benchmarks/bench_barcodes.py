"""QR/barcode decoding: zxing-cpp vs pyzbar (zbar), decode rate and time on the same pages.

    .venv/bin/python -m benchmarks.bench_barcodes [--samples DIR] [--count 60] [--seed 5]

Why: ``digitizer.barcodes`` runs on every page, so the library behind it was chosen by this
measurement, and it is re-run when either library or the strategy changes.

Pages (all from ``samples.generate``; DIR is generated into a temporary folder if not given):
* ``qr``: the pages whose truth has ``"qr"`` (receipts, 2024+ land certificates), as
  scanned and made harder: turned 90/180, skewed +-8 deg, one resolution step down
  (300 -> 200 dpi, 200 -> 150 dpi), JPEG q30, colour -> grey, -> 1-bit, a little blur, a red
  seal over a corner of the QR (scanned in colour, and in grey), and a combination;
* ``dense``: a 100-character QR with 0.4 mm modules pasted on code-less pages (at the edge
  of what the fast pass resolves);
* ``vi-text``: QRs whose text has Vietnamese letters, 8 different texts (UTF-8 without an
  ECI marker, as the ``qrcode`` package writes it);
* ``code128``: a separator-sheet CODE_128 with 0.33 mm bars, 12 mm high;
* ``none``: every page without a code, as scanned (false hits, and the time that matters
  most: most pages carry no code).

Decoders, each on the same PIL images as ``read_pages`` returns them, one after the other in
one thread; times are CPU time of that thread (robust to other load on a shared machine):
* ``zxing module``: ``digitizer.barcodes.decode_codes`` (red channel; QR on a copy reduced
  toward 150 dpi, full resolution and darkest-ink retries only for a symbol zxing saw but
  could not decode; 1-D codes at up to 300 dpi, rows and columns);
* ``zbar same strategy``: the same red channel, QR pass reduced toward 150 dpi and 1-D pass
  at up to 300 dpi with pyzbar; QR again at full resolution whenever nothing decoded (zbar
  cannot report an undecoded symbol, so every page without a code pays for it);
* ``zxing defaults`` / ``zbar defaults``: one library call on the full-resolution page
  converted to grey, every symbology, the library's default options.

A page counts as decoded when the expected value is among the decoded values, exactly.
"extra" counts decoded values that are not the expected one (false hits or wrong text).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageFilter

from benchmarks.common import generate
from digitizer.barcodes import decode_codes, library_version
from digitizer.ingest import IngestLimits, read_pages

MATRIX_DPI = 150.0  # as in digitizer.barcodes
LINEAR_DPI = 300.0
DENSE_VALUE = (
    "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html?ma_ho_so=000.12.24.H07-230315-0001"
    "&gcn=CS123456"
)
VI_VALUES = (  # one per host page; zbar's charset guess turns some of them into Shift-JIS
    "Giấy chứng nhận quyền sử dụng đất CS 123456",
    "GCN CS 123456 - NGUYỄN VĂN AN - thửa đất số 125, tờ bản đồ số 12, Xã Tân Dĩnh",
    "NGUYỄN VĂN AN",
    "Hồ sơ 000.12.24.H07-230315-0001 của bà Lê Thị Hòa",
    "Xã Tân Dĩnh, huyện Lạng Giang, tỉnh Bắc Giang",
    "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "Bộ phận một cửa",
    "Thửa đất số 125, tờ bản đồ số 12, diện tích 171,9 m²",
)
CODE128_VALUE = "TACH-HS-000.12.24.H07-0001"

Decoder = Callable[[Image.Image, float], list[str]]


@dataclass(frozen=True, slots=True)
class Case:
    group: str
    variant: str
    image: Image.Image
    dpi: float
    expect: str | None


# ------------------------------------------------------------------------------ pages


def load_pages(folder: Path) -> list[tuple[str, Image.Image, float, str | None]]:
    """(name, image, dpi, expected QR value or None) for every page of every sample."""
    pages = []
    for truth_path in sorted(folder.glob("*.truth.json")):
        stem = truth_path.name.removesuffix(".truth.json")
        scans = [p for p in folder.glob(stem + ".*") if not p.name.endswith(".json")]
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        for i, (page, tp) in enumerate(
            zip(read_pages(scans[0], IngestLimits()), truth["pages"], strict=False)
        ):
            page.image.load()
            pages.append((f"{stem}/{i}", page.image, page.dpi, tp.get("qr")))
    return pages


# --------------------------------------------------------------------------- variants


def _white(img: Image.Image) -> int | tuple[int, int, int]:
    return (255, 255, 255) if img.mode == "RGB" else 255


def _as_8bit(img: Image.Image) -> Image.Image:
    return img.convert("L") if img.mode == "1" else img


def skew(img: Image.Image, deg: float) -> Image.Image:
    resample = Image.Resampling.NEAREST if img.mode == "1" else Image.Resampling.BILINEAR
    return img.rotate(deg, resample=resample, expand=True, fillcolor=_white(img))


def rescale(img: Image.Image, dpi: float, to_dpi: float) -> Image.Image:
    was_bw = img.mode == "1"
    src = _as_8bit(img)
    size = (round(src.width * to_dpi / dpi), round(src.height * to_dpi / dpi))
    out = src.resize(size, Image.Resampling.LANCZOS)
    return to_bw(out) if was_bw else out


def jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    _as_8bit(img).save(buf, "JPEG", quality=quality)
    buf.seek(0)
    return Image.open(buf).copy()


def to_bw(img: Image.Image) -> Image.Image:
    return img.convert("L").point(lambda v: 255 if v > 150 else 0).convert("1")


def blur(img: Image.Image, dpi: float) -> Image.Image:
    return _as_8bit(img).filter(ImageFilter.GaussianBlur(radius=dpi / 200.0))


def seal(img: Image.Image, dpi: float, box: tuple[int, int, int, int]) -> Image.Image:
    """A red round seal (36 mm) whose rim and star cover the lower-left part of the QR."""
    rgb = np.asarray(img.convert("RGB")).astype(np.float32)
    mm = dpi / 25.4
    left, top, width, height = box
    r = 18 * mm
    cx, cy = left - 0.55 * r + 0.35 * width, top + height + 0.55 * r - 0.35 * height
    size = int(2 * r + 4)
    mask = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(mask)
    c = size / 2
    d.ellipse([c - r, c - r, c + r, c + r], outline=230, width=max(2, round(1.0 * mm)))
    ri = 0.72 * r
    d.ellipse([c - ri, c - ri, c + ri, c + ri], outline=210, width=max(2, round(0.5 * mm)))
    for k in range(36):  # ring "letters": short strokes between the rings
        a = 2 * math.pi * k / 36
        for dr in (0.78, 0.9):
            x, y = c + dr * r * math.cos(a), c + dr * r * math.sin(a)
            d.rectangle([x - 0.6 * mm, y - 0.9 * mm, x + 0.6 * mm, y + 0.9 * mm], fill=200)
    star = [
        (
            c + (0.25 if k % 2 == 0 else 0.1) * r * math.cos(-math.pi / 2 + k * math.pi / 5),
            c + (0.25 if k % 2 == 0 else 0.1) * r * math.sin(-math.pi / 2 + k * math.pi / 5),
        )
        for k in range(10)
    ]
    d.polygon(star, fill=220)
    alpha = np.zeros(rgb.shape[:2], dtype=np.float32)
    x0, y0 = int(cx - c), int(cy - c)
    src = np.asarray(mask).astype(np.float32) / 255.0
    ys, xs = (
        slice(max(0, y0), min(rgb.shape[0], y0 + size)),
        slice(max(0, x0), min(rgb.shape[1], x0 + size)),
    )
    alpha[ys, xs] = src[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
    colour = np.array([205, 35, 50], dtype=np.float32) / 255.0
    out = rgb * (1.0 - alpha[:, :, None] * (1.0 - colour))
    return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8), "RGB")


def qr_tile(value: str, module_px: float) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=4)
    qr.add_data(value)
    qr.make(fit=True)
    matrix = (1 - np.array(qr.get_matrix(), dtype=np.uint8)) * 255
    side = round(matrix.shape[0] * module_px)
    return Image.fromarray(matrix).resize((side, side), Image.Resampling.NEAREST)


def code128_tile(value: str, bar_px: float, height_px: int) -> Image.Image:
    import zxingcpp  # the encoder only: the pattern is the standard's

    bars = np.asarray(
        zxingcpp.create_barcode(value, zxingcpp.BarcodeFormat.Code128).to_image(
            scale=1, add_quiet_zones=True
        )
    )
    row = bars[bars.shape[0] // 2] if bars.ndim == 2 else bars[bars.shape[0] // 2, :, 0]
    line = Image.fromarray(row.reshape(1, -1).astype(np.uint8))
    return line.resize((round(row.size * bar_px), height_px), Image.Resampling.NEAREST)


def paste(img: Image.Image, tile: Image.Image, x: int, y: int) -> Image.Image:
    out = img.copy()
    out.paste(tile.convert(out.mode), (x, y))
    return out


def locate(img: Image.Image, dpi: float, value: str) -> tuple[int, int, int, int] | None:
    """Where the QR is on the page (to put a seal over it), as the module finds it."""
    for code in decode_codes(img, dpi):
        if code.value == value:
            return code.left, code.top, code.width, code.height
    return None


def harder(
    img: Image.Image, dpi: float, box: tuple[int, int, int, int] | None
) -> Iterator[tuple[str, Image.Image, float]]:
    yield "as scanned", img, dpi
    yield "turned 90", img.transpose(Image.Transpose.ROTATE_90), dpi
    yield "turned 180", img.transpose(Image.Transpose.ROTATE_180), dpi
    yield "skew +8", skew(img, 8.0), dpi
    yield "skew -8", skew(img, -8.0), dpi
    low = 200.0 if dpi > 250 else 150.0
    yield "dpi down", rescale(img, dpi, low), low
    yield "jpeg q30", jpeg(img, 30), dpi
    if img.mode == "RGB":
        yield "grey", img.convert("L"), dpi
    if img.mode != "1":
        yield "1-bit", to_bw(img), dpi
    yield "blur", blur(img, dpi), dpi
    if box is not None:
        sealed = seal(img, dpi, box)
        yield "seal, colour", sealed, dpi
        yield "seal, grey", sealed.convert("L"), dpi
    yield (
        "90+skew-6+jpeg+grey",
        jpeg(skew(img.transpose(Image.Transpose.ROTATE_90), -6.0), 40).convert("L"),
        dpi,
    )


def fewer(img: Image.Image, dpi: float) -> Iterator[tuple[str, Image.Image, float]]:
    yield "as scanned", img, dpi
    yield "turned 90", img.transpose(Image.Transpose.ROTATE_90), dpi
    yield "skew +8", skew(img, 8.0), dpi
    yield "jpeg q30", jpeg(img, 30), dpi
    if img.mode != "1":
        yield "1-bit", to_bw(img), dpi
    yield "blur", blur(img, dpi), dpi


def build_cases(pages: list[tuple[str, Image.Image, float, str | None]]) -> list[Case]:
    cases: list[Case] = []
    plain = [p for p in pages if p[3] is None]
    for _name, img, dpi, qr in pages:
        if qr is None:
            cases.append(Case("none", "as scanned", img, dpi, None))
            continue
        for variant, im, d in harder(img, dpi, locate(img, dpi, qr)):
            cases.append(Case("qr", variant, im, d, qr))
    hosts = plain[:: max(1, len(plain) // 8)][:8]
    for (_name, img, dpi, _), vi_value in zip(hosts, VI_VALUES, strict=False):
        mm = dpi / 25.4
        margin = round(12 * mm)
        dense = qr_tile(DENSE_VALUE, 0.4 * mm)
        vi = qr_tile(vi_value, 0.5 * mm)
        bar = code128_tile(CODE128_VALUE, 0.33 * mm, round(12 * mm))
        for group, tile, value in (
            ("dense", dense, DENSE_VALUE),
            ("vi-text", vi, vi_value),
            ("code128", bar, CODE128_VALUE),
        ):
            host = paste(img, tile, img.width - tile.width - margin, margin)
            for variant, im, d in fewer(host, dpi):
                cases.append(Case(group, variant, im, d, value))
    return cases


# --------------------------------------------------------------------------- decoders


def zxing_module(img: Image.Image, dpi: float) -> list[str]:
    return [c.value for c in decode_codes(img, dpi)]


def zxing_defaults(img: Image.Image, dpi: float) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(np.asarray(img.convert("L")))]


def _red_or_grey(img: Image.Image) -> np.ndarray:
    if img.mode == "RGB":
        return np.asarray(img.getchannel("R"))
    return np.asarray(img.convert("L"))


def zbar_same_strategy(img: Image.Image, dpi: float) -> list[str]:
    from pyzbar import pyzbar
    from pyzbar.pyzbar import ZBarSymbol

    linear = [
        ZBarSymbol.CODE128,
        ZBarSymbol.CODE39,
        ZBarSymbol.CODE93,
        ZBarSymbol.CODABAR,
        ZBarSymbol.I25,
        ZBarSymbol.EAN13,
        ZBarSymbol.EAN8,
        ZBarSymbol.UPCA,
        ZBarSymbol.UPCE,
        ZBarSymbol.DATABAR,
    ]
    grey = _red_or_grey(img)
    small = _reduced(grey, dpi, MATRIX_DPI)
    found = pyzbar.decode(small, symbols=[ZBarSymbol.QRCODE])
    if not found and small is not grey:
        found = pyzbar.decode(grey, symbols=[ZBarSymbol.QRCODE])
    found += pyzbar.decode(_reduced(grey, dpi, LINEAR_DPI), symbols=linear)  # rows and columns
    return [r.data.decode("utf-8", "replace") for r in found]


def _reduced(grey: np.ndarray, dpi: float, target_dpi: float) -> np.ndarray:
    """As ``digitizer.barcodes`` reduces: by a whole factor (300 -> 150; 200 stays)."""
    factor = max(1, int(dpi / target_dpi + 0.25))
    if factor == 1:
        return grey
    size = (grey.shape[1] // factor, grey.shape[0] // factor)
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)


def zbar_defaults(img: Image.Image, dpi: float) -> list[str]:
    from pyzbar import pyzbar

    return [r.data.decode("utf-8", "replace") for r in pyzbar.decode(img.convert("L"))]


@contextlib.contextmanager
def quiet_c_stderr() -> Iterator[None]:
    """zbar prints assertion warnings from C (databar.c) on text pages: keep them off."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


# ---------------------------------------------------------------------------- running


@dataclass(slots=True)
class Tally:
    n: int = 0
    ok: int = 0
    extra: int = 0


@dataclass(slots=True)
class Result:
    name: str
    groups: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    variants: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    cpu: list[float] = field(default_factory=list)  # seconds of this thread's CPU per page
    wall: list[float] = field(default_factory=list)
    cpu_300_none: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def run(name: str, decoder: Decoder, cases: list[Case]) -> Result:
    """Decode every case once; CPU time is the figure to compare on a shared machine."""
    res = Result(name)
    with quiet_c_stderr():
        for case in cases:
            w0, c0 = time.perf_counter(), time.thread_time()
            values = decoder(case.image, case.dpi)
            cpu, wall = time.thread_time() - c0, time.perf_counter() - w0
            res.cpu.append(cpu)
            res.wall.append(wall)
            if case.group == "none" and case.dpi >= 290:
                res.cpu_300_none.append(cpu)
            ok = case.expect is None or case.expect in values
            extra = sum(1 for v in values if v != case.expect)
            tallies = [res.groups[case.group]]
            if case.group == "qr":
                tallies.append(res.variants[case.variant])
            for tally in tallies:
                tally.n += 1
                tally.ok += int(ok and case.expect is not None)
                tally.extra += extra
            if not ok or extra:
                res.failures.append(f"{case.group}/{case.variant}: got {values!r}")
    return res


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    return (
        f"{statistics.fmean(values) * 1000:6.1f} mean {np.percentile(values, 95) * 1000:6.1f}"
        f" p95 {max(values) * 1000:6.1f} max"
    )


def report(results: list[Result], cases: list[Case]) -> None:
    groups = list(dict.fromkeys(c.group for c in cases))
    variants = list(dict.fromkeys(c.variant for c in cases if c.group == "qr"))
    width = max(len(r.name) for r in results) + 2
    print("\ndecoded / pages (extra values: false hits or wrong text) per group")
    print(" " * 24 + "".join(f"{r.name:>{width}}" for r in results))
    rows = [(g, [r.groups[g] for r in results]) for g in groups]
    rows += [("qr: " + v, [r.variants[v] for r in results]) for v in variants]
    for label, tallies in rows:
        cells = [
            f"{t.extra} extra"
            if label == "none"
            else f"{t.ok}/{t.n}" + (f" ({t.extra})" if t.extra else "")
            for t in tallies
        ]
        print(f"{label:24s}" + "".join(f"{c:>{width}}" for c in cells))
    total = [sum(t.ok for t in r.groups.values()) for r in results]
    n = sum(t.n for g, t in results[0].groups.items() if g != "none")
    print(f"{'all with a code':24s}" + "".join(f"{f'{k}/{n}':>{width}}" for k in total))
    print("\nms per page: CPU (mean, p95, max), wall mean; then 300 dpi pages without a code")
    for r in results:
        wall = statistics.fmean(r.wall) * 1000
        print(f"  {r.name:20s} all pages  CPU {ms(r.cpu)}   wall {wall:.1f} mean")
        print(f"  {'':20s} 300 dpi, no code  CPU {ms(r.cpu_300_none)}")
    for r in results:
        print(f"\n{r.name}: {len(r.failures)} page(s) missed or with extra values")
        for line in r.failures[:40]:
            print("   ", line[:160])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--samples", type=Path, help="folder of generated samples (else generated)")
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--seed", type=int, default=5)
    ns = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-barcodes-") as tmp:
        folder: Path = ns.samples
        if folder is None:
            folder = Path(tmp)
            print(f"generating {ns.count} documents (seed {ns.seed}) ...", flush=True)
            generate(folder, ns.count, ns.seed)
        pages = load_pages(folder)
    cases = build_cases(pages)
    counts: dict[str, int] = defaultdict(int)
    for c in cases:
        counts[c.group] += 1
    print(f"{len(pages)} pages, {len(cases)} cases: {dict(counts)}")
    decoders: list[tuple[str, Decoder]] = [
        ("zxing module", zxing_module),
        ("zxing defaults", zxing_defaults),
    ]
    print(f"zxing-cpp: {library_version()}")
    try:
        from importlib.metadata import version

        import pyzbar.pyzbar  # noqa: F401  (loads libzbar)

        print(f"pyzbar: {version('pyzbar')} (zbar from the system's libzbar0)")
        decoders += [("zbar same strategy", zbar_same_strategy), ("zbar defaults", zbar_defaults)]
    except ImportError as exc:
        print(f"pyzbar not measured: it is not installed or libzbar0 is missing ({exc})")
    results = []
    for name, decoder in decoders:
        decoder(cases[0].image, cases[0].dpi)  # warm-up: library load, first allocations
        print(f"running {name} ...", flush=True)
        results.append(run(name, decoder, cases))
    report(results, cases)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
