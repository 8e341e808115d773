"""Tesseract behind one small interface, with a version and language probe.

Two backends, chosen per profile (``ocr.engine``) and compared in ``benchmarks/``:

* ``tesserocr`` (default): Tesseract in-process; the language model is loaded once per
  worker and kept between pages, which is what makes it faster than the CLI here.
* ``cli``: ``pytesseract`` calling the ``tesseract`` program once per page.

Both return every word with its box, line and confidence, so later stages (extraction,
re-indexing) never need to OCR again.
"""

from __future__ import annotations

import logging
import os
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from digitizer.errors import MissingDependencyError, OcrError
from digitizer.records import OcrWord

log = logging.getLogger(__name__)

EngineName = Literal["tesserocr", "cli"]

_TESSDATA_CANDIDATES = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)


@dataclass(frozen=True, slots=True)
class PageText:
    """The OCR result of one page."""

    words: list[OcrWord]

    @property
    def mean_confidence(self) -> float:
        """Character-weighted mean word confidence (0-100); 0 for a page without words."""
        chars = sum(len(w.text) for w in self.words)
        if not chars:
            return 0.0
        return sum(w.confidence * len(w.text) for w in self.words) / chars


class OcrEngine(Protocol):
    def recognize(
        self, gray: NDArray[np.uint8], dpi: float, *, block: bool = False, line: bool = False
    ) -> PageText:
        """OCR a grey page. ``block=True`` treats the image as one block of text (a probe),
        ``line=True`` as a single line (a second reading of one value)."""
        ...

    def close(self) -> None: ...


def find_tessdata() -> Path:
    """Where the traineddata files are: ``$TESSDATA_PREFIX`` or Debian's location."""
    env = os.environ.get("TESSDATA_PREFIX")
    candidates = ([env] if env else []) + list(_TESSDATA_CANDIDATES)
    for candidate in candidates:
        path = Path(candidate)
        if (path / "eng.traineddata").exists() or any(path.glob("*.traineddata")):
            return path
    raise MissingDependencyError(
        "Tesseract's language data was not found: install it with "
        "'apt-get install tesseract-ocr tesseract-ocr-vie' (or set TESSDATA_PREFIX)"
    )


def check_languages(languages: Sequence[str], tessdata: Path) -> None:
    """Fail before any file is touched when a configured language is not installed."""
    for lang in languages:
        if not (tessdata / f"{lang}.traineddata").exists():
            package = f"tesseract-ocr-{lang.lower().replace('_', '-')}"
            raise MissingDependencyError(
                f"Tesseract language '{lang}' is not installed in {tessdata}: "
                f"run 'apt-get install {package}' or change the profile's languages"
            )


def engine_version(name: EngineName) -> str:
    """The Tesseract version the backend runs (the version probe)."""
    if name == "tesserocr":
        import tesserocr

        return str(tesserocr.tesseract_version()).splitlines()[0]
    exe = shutil.which("tesseract")
    if exe is None:
        raise MissingDependencyError(
            "the 'tesseract' program is not installed: run 'apt-get install tesseract-ocr'"
        )
    import pytesseract

    return f"tesseract {pytesseract.get_tesseract_version()}"


def open_engine(name: EngineName, languages: Sequence[str], tessdata: Path) -> OcrEngine:
    """Create a backend; call once per worker process and reuse it for every page."""
    check_languages(languages, tessdata)
    if name == "tesserocr":
        return TesserocrEngine(languages, tessdata)
    if name == "cli":
        return CliEngine(languages, tessdata)
    raise MissingDependencyError(f"unknown OCR engine '{name}': use 'tesserocr' or 'cli'")


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


class TesserocrEngine:
    """Tesseract in-process through tesserocr; one API object per worker."""

    def __init__(self, languages: Sequence[str], tessdata: Path) -> None:
        import tesserocr

        self._tesserocr = tesserocr
        try:
            self._api = tesserocr.PyTessBaseAPI(
                path=str(tessdata), lang="+".join(languages), psm=tesserocr.PSM.AUTO
            )
        except RuntimeError as exc:
            raise MissingDependencyError(f"Tesseract could not load {languages}: {exc}") from exc

    def recognize(
        self, gray: NDArray[np.uint8], dpi: float, *, block: bool = False, line: bool = False
    ) -> PageText:
        tr = self._tesserocr
        api = self._api
        mode = tr.PSM.SINGLE_LINE if line else tr.PSM.SINGLE_BLOCK if block else tr.PSM.AUTO
        api.SetPageSegMode(mode)
        api.SetImage(Image.fromarray(gray))
        api.SetSourceResolution(max(70, round(dpi)))
        if api.Recognize() is False:
            raise OcrError("Tesseract failed to recognise the page")
        words: list[OcrWord] = []
        iterator = api.GetIterator()
        level = tr.RIL.WORD
        block_no = line_no = -1
        if iterator is not None and not iterator.Empty(level):
            while True:
                if iterator.IsAtBeginningOf(tr.RIL.BLOCK):
                    block_no += 1
                if iterator.IsAtBeginningOf(tr.RIL.TEXTLINE):
                    line_no += 1
                text = _clean(iterator.GetUTF8Text(level) or "")
                box = iterator.BoundingBox(level)
                if text and box is not None:
                    x0, y0, x1, y1 = box
                    words.append(
                        OcrWord(
                            text,
                            x0,
                            y0,
                            x1 - x0,
                            y1 - y0,
                            round(float(iterator.Confidence(level)), 2),
                            max(block_no, 0),
                            max(line_no, 0),
                        )
                    )
                if not iterator.Next(level):
                    break
        api.Clear()
        return PageText(words)

    def close(self) -> None:
        self._api.End()


class CliEngine:
    """Tesseract as a program through pytesseract (loads the model on every call)."""

    def __init__(self, languages: Sequence[str], tessdata: Path) -> None:
        engine_version("cli")
        self._lang = "+".join(languages)
        self._tessdata = tessdata

    def recognize(
        self, gray: NDArray[np.uint8], dpi: float, *, block: bool = False, line: bool = False
    ) -> PageText:
        import pytesseract

        psm = 7 if line else 6 if block else 3
        config = f"--psm {psm} --dpi {max(70, round(dpi))}"
        try:
            data = pytesseract.image_to_data(
                Image.fromarray(gray),
                lang=self._lang,
                config=config,
                output_type=pytesseract.Output.DICT,
            )
        except pytesseract.TesseractError as exc:
            raise OcrError(f"tesseract failed: {exc}") from exc
        words: list[OcrWord] = []
        line_keys: dict[tuple[int, int, int], int] = {}
        for i, raw in enumerate(data["text"]):
            text = _clean(str(raw))
            conf = float(data["conf"][i])
            if not text or conf < 0:
                continue
            key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
            line_no = line_keys.setdefault(key, len(line_keys))
            words.append(
                OcrWord(
                    text,
                    int(data["left"][i]),
                    int(data["top"][i]),
                    int(data["width"][i]),
                    int(data["height"][i]),
                    round(conf, 2),
                    key[0],
                    line_no,
                )
            )
        return PageText(words)

    def close(self) -> None:
        return None
