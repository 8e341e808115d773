"""One reading of a field: its value, how sure, what is wrong with it, where it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from digitizer.records import OcrWord


@dataclass(frozen=True, slots=True)
class Reading:
    value: str
    confidence: float
    problems: tuple[str, ...]
    page: int | None
    words: tuple[OcrWord, ...] = ()
    origin: Literal["ocr", "qr"] = "ocr"
    # where a clerk should look when it is not the words' box (a handwritten blank's crop)
    box: tuple[int, int, int, int] | None = None
