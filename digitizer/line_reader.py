"""Read one cropped line of text a second time, with a recognizer that is not Tesseract.

Why this exists: on real administrative documents the document number ("Số: 87 /QĐ-UBND")
and the day of the date ("ngày 05 tháng 02") are handwritten into printed blanks, and
Tesseract reads them as "ốT" or "Qÿ_". asterocr (PyPI, MIT in its metadata; a CRNN-style
Vietnamese line recognizer whose ONNX model ships inside the wheel) reads most of them.
``benchmarks/bench_handwriting.py`` measures it against Tesseract on the real scans.

Two readers, one shape (``read(crop) -> LineReading``), so :mod:`digitizer.handwriting` can
ask for two independent readings of the same crop:

* :class:`AsterLineReader`: asterocr's network, run through onnxruntime directly. The model is
  loaded once per process, on first use, from the file inside the installed package (never
  from the network: asterocr's own loader falls back to a hub download when that file is
  missing, which must fail here instead). The pre-processing and greedy CTC decoding are
  those of ``asterocr.pipeline.AsterOCR`` 1.0.2 (height 32, width a multiple of 4,
  (x - 0.5) / 0.5); doing them here gives a per-character confidence and a thread limit,
  which ``AsterOCR.predict`` has not.
* :class:`TesseractLineReader`: Tesseract as a single line (psm 7), optionally restricted to
  digits, for comparison and as the independent second reading.

Neither raises for the crop's content: an empty, tiny or odd crop gives an empty reading.
"""

from __future__ import annotations

import itertools
import logging
import threading
import unicodedata
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitizer.errors import MissingDependencyError

log = logging.getLogger(__name__)

#: Positional encoding of the model: 256 time steps of 4 px at height 32. Wider inputs crash
#: onnxruntime; pieces are kept a little narrower than that.
_MAX_STEPS = 256
_HEIGHT = 32
_MAX_PIECE_RATIO = 28.0
#: White margin around a crop, as a share of its height: the network misreads glyphs that
#: touch the edge of the image.
_PAD_RATIO = 0.15

_session_lock = threading.Lock()
_session: Any = None
_chars: list[str] = []


@dataclass(frozen=True, slots=True)
class LineReading:
    """What one recognizer read on one crop.

    ``confidence`` is 0-1 (for asterocr the probability of the least sure character, for
    Tesseract its mean text confidence); ``None`` when nothing was read.
    """

    text: str
    confidence: float | None

    @property
    def empty(self) -> bool:
        return not self.text


EMPTY = LineReading("", None)


def aster_version() -> str:
    """asterocr's and onnxruntime's versions (the availability probe); raises when missing."""
    try:
        aster = metadata.version("asterocr")
        ort = metadata.version("onnxruntime")
    except metadata.PackageNotFoundError as exc:
        raise MissingDependencyError(
            f"{exc.name} is not installed: run 'pip install asterocr' (it brings onnxruntime)"
        ) from exc
    _model_path()
    return f"asterocr {aster} (onnxruntime {ort})"


def aster_available() -> bool:
    """Whether :class:`AsterLineReader` can work here (package and bundled model present)."""
    try:
        aster_version()
    except MissingDependencyError:
        return False
    return True


def _model_path() -> Path:
    try:
        import asterocr
    except ImportError as exc:
        raise MissingDependencyError(
            "asterocr is not installed: run 'pip install asterocr'"
        ) from exc
    path = Path(asterocr.__file__).parent / "assets" / "asternet.onnx"
    if not path.is_file():
        raise MissingDependencyError(f"asterocr's bundled model is missing: {path}")
    return path


def _load() -> tuple[Any, list[str]]:
    """The ONNX session and the vocabulary, created once per process (first caller wins)."""
    global _session, _chars
    with _session_lock:
        if _session is None:
            import onnxruntime as ort
            from asterocr.vocab import default_vocab

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # pipeline workers are processes, one core each
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            path = _model_path()
            _session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            _chars = list(default_vocab.chars)
            log.info("asterocr model loaded from %s", path)
        return _session, _chars


def to_rgb(crop: NDArray[Any]) -> NDArray[np.uint8] | None:
    """A grey, RGB or RGBA array as H x W x 3 uint8; ``None`` for anything else or empty."""
    arr = np.asarray(crop)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or arr.size == 0 or min(arr.shape[:2]) < 2:
        return None
    if arr.ndim == 3 and arr.shape[2] not in (3, 4):
        return None
    if arr.dtype == np.bool_:
        arr = np.where(arr, 255, 0)
    elif arr.dtype != np.uint8:
        arr = np.nan_to_num(arr.astype(np.float64))
        if arr.max(initial=0.0) <= 1.0:
            arr = arr * 255.0
    arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        return np.repeat(arr[:, :, None], 3, axis=2)
    return np.ascontiguousarray(arr[:, :, :3])


def pad(rgb: NDArray[np.uint8], ratio: float = _PAD_RATIO) -> NDArray[np.uint8]:
    """Surround a crop with its own background colour, ``ratio`` x its height on each side."""
    h = rgb.shape[0]
    margin = max(2, round(ratio * h))
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    background = np.median(border, axis=0).astype(np.uint8)
    out = np.empty((h + 2 * margin, rgb.shape[1] + 2 * margin, 3), np.uint8)
    out[:] = background
    out[margin : margin + h, margin : margin + rgb.shape[1]] = rgb
    return out


def sub(image: NDArray[Any], box: tuple[int, int, int, int]) -> NDArray[Any]:
    """The part of ``image`` inside ``box`` (left, top, width, height): a view, not a copy."""
    return image[box[1] : box[1] + box[3], box[0] : box[0] + box[2]]


def ink_mask(rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Dark strokes (Otsu on the darkest channel), so that blue and black ink both count."""
    dark = rgb.min(axis=2)
    if dark.size == 0 or int(dark.max()) - int(dark.min()) < 40:
        return np.zeros(dark.shape, bool)
    threshold, _ = cv2.threshold(dark, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return np.asarray(dark <= threshold)


def is_grey(rgb: NDArray[np.uint8]) -> bool:
    """A grey or black-and-white image stored as RGB (its channels agree)."""
    sample = rgb[:: max(1, rgb.shape[0] // 64), :: max(1, rgb.shape[1] // 64)].astype(np.int16)
    return bool(np.abs(sample - sample.mean(axis=2, keepdims=True)).max() < 3)


def split_points(grey: NDArray[np.uint8], max_ratio: float) -> list[int]:
    """Columns where a too-wide line is cut: the emptiest column near each ideal cut.

    The network cannot read more than ~32 widths of height at once; cutting through a glyph
    costs that glyph, so each cut looks for the column with the least ink in the middle
    third of the allowed piece.
    """
    h, w = grey.shape
    limit = max(1, int(max_ratio * h))
    ink = (grey < 128).sum(axis=0)
    cuts: list[int] = []
    start = 0
    while w - start > limit:
        lo, hi = start + limit * 2 // 3, start + limit
        cut = lo + int(np.argmin(ink[lo:hi]))
        cuts.append(cut)
        start = cut
    return cuts


class AsterLineReader:
    """asterocr's recognizer on one line crop. Cheap to create; the model is shared."""

    def read(self, crop: NDArray[Any], allowed: str | None = None) -> LineReading:
        """Read ``crop`` (grey or RGB, any size); never raises for its content.

        ``allowed`` restricts the decoding to those characters (e.g. ``"0123456789"`` for a
        blank that holds digits): the network's best allowed character is taken at each
        step, so "2O" becomes "20". The confidence stays the unrestricted probability of
        the character taken, so a forced guess shows as unsure.
        """
        try:
            rgb = to_rgb(crop)
            if rgb is None:
                return EMPTY
            rgb = pad(rgb)
            grey = rgb.mean(axis=2).astype(np.uint8)
            pieces = [rgb]
            if rgb.shape[1] / rgb.shape[0] > _MAX_PIECE_RATIO:
                bounds = [0, *split_points(grey, _MAX_PIECE_RATIO), rgb.shape[1]]
                pieces = [pad(rgb[:, a:b]) for a, b in itertools.pairwise(bounds)]
            readings = [self._read_piece(p, allowed) for p in pieces]
        except Exception:  # a recognizer failure is "nothing read", never a failed page
            log.warning("asterocr failed on a %s crop", np.shape(crop), exc_info=True)
            return EMPTY
        text = " ".join(r.text for r in readings if r.text)
        confs = [r.confidence for r in readings if r.confidence is not None]
        return LineReading(" ".join(text.split()), min(confs) if confs and text else None)

    def _read_piece(self, rgb: NDArray[np.uint8], allowed: str | None) -> LineReading:
        session, chars = _load()
        h, w = rgb.shape[:2]
        width = max(32, int(w * _HEIGHT / h))
        width = min((width + 3) // 4 * 4, _MAX_STEPS * 4)
        image = Image.fromarray(rgb).resize((width, _HEIGHT), Image.Resampling.BILINEAR)
        tensor = (np.asarray(image, np.float32) / 255.0 - 0.5) / 0.5
        tensor = np.ascontiguousarray(tensor.transpose(2, 0, 1)[None])
        name = session.get_inputs()[0].name
        out = np.asarray(session.run(None, {name: tensor})[0], np.float64)
        logits = out[:, 0, :] if out.shape[1] == 1 else out[0]
        probs = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs /= probs.sum(axis=1, keepdims=True)
        if allowed is None:
            best = probs.argmax(axis=1)
        else:
            keep = np.zeros(probs.shape[1], bool)
            keep[0] = True  # the CTC blank
            keep[[i for i, c in enumerate(chars) if c in allowed and i < keep.size]] = True
            best = np.where(keep, probs, -1.0).argmax(axis=1)
        text: list[str] = []
        confs: list[float] = []
        prev = -1
        for t, idx in enumerate(best):
            idx = int(idx)
            if idx != prev and idx != 0:
                text.append(chars[idx] if idx < len(chars) else "")
                confs.append(float(probs[t, idx]))
            elif idx == prev and idx != 0:
                confs[-1] = max(confs[-1], float(probs[t, idx]))
            prev = idx
        decoded = unicodedata.normalize("NFC", "".join(text)).strip()
        return LineReading(decoded, round(min(confs), 4) if decoded else None)


class TesseractLineReader:
    """Tesseract on one line crop (psm 7); ``digits=True`` allows only 0-9.

    One Tesseract API per reader, created on first use; a reader is not thread-safe across
    threads (a lock serialises them), and a pipeline worker keeps one for its life.
    """

    def __init__(self, lang: str = "vie", *, digits: bool = False, upscale: float = 1.0) -> None:
        self.lang = lang
        self.digits = digits
        self.upscale = upscale
        self._api: Any = None
        #: held around every use of :meth:`api` (Tesseract's API is not thread-safe)
        self.lock = threading.Lock()

    def api(self) -> Any:
        """The Tesseract API of this reader, created on first use (call under ``lock``)."""
        if self._api is None:
            import tesserocr

            from digitizer.ocr import check_languages, find_tessdata

            tessdata = find_tessdata()
            check_languages([self.lang], tessdata)
            api = tesserocr.PyTessBaseAPI(
                path=str(tessdata), lang=self.lang, psm=tesserocr.PSM.SINGLE_LINE
            )
            if self.digits:
                api.SetVariable("tessedit_char_whitelist", "0123456789")
            self._api = api
        return self._api

    def read(self, crop: NDArray[Any]) -> LineReading:
        """Read ``crop`` (grey or RGB) as one line; never raises for its content."""
        rgb = to_rgb(crop)
        if rgb is None:
            return EMPTY
        try:
            image = Image.fromarray(pad(rgb, 0.3)).convert("L")
            if self.upscale != 1.0:
                size = (round(image.width * self.upscale), round(image.height * self.upscale))
                image = image.resize(size, Image.Resampling.LANCZOS)
            with self.lock:
                api = self.api()
                api.SetImage(image)
                api.SetSourceResolution(300)
                text = unicodedata.normalize("NFC", (api.GetUTF8Text() or "").strip())
                conf = float(api.MeanTextConf())
                api.Clear()
        except MissingDependencyError:
            raise
        except Exception:
            log.warning("Tesseract failed on a %s crop", np.shape(crop), exc_info=True)
            return EMPTY
        text = " ".join(text.split())
        return LineReading(text, round(conf / 100.0, 4) if text else None)

    def close(self) -> None:
        """Free Tesseract's model (a reader may be used again: it reloads on demand)."""
        with self.lock:
            if self._api is not None:
                self._api.End()
                self._api = None
