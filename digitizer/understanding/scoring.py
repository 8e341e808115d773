"""How sure a reading is, from the words it was read from; and a value found again in
another reading of its line."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from digitizer.records import OcrWord
from digitizer.understanding.layout import fold_text
from digitizer.understanding.schema import FieldSpec


def word_confs(words: Sequence[OcrWord]) -> list[float]:
    return [max(0.0, min(w.confidence, 100.0)) / 100 for w in words] or [0.0]


def ocr_score(words: Sequence[OcrWord]) -> float:
    """Mostly the weakest word: one misread word spoils a value."""
    if not words:
        return 0.0
    confs = word_confs(words)
    return 0.7 * min(confs) + 0.3 * (sum(confs) / len(confs))


def find_spelling(text: str, folded_value: str, *, upper: bool) -> str | None:
    """The words of ``text`` that spell ``folded_value`` (ignoring accents and case), as
    this reading spells them; None when this reading does not contain the value."""
    text = unicodedata.normalize("NFC", text)
    words = (text.upper() if upper else text).split()
    target = folded_value.split()
    folded = [fold_text(w) for w in words]
    for i in range(len(words) - len(target) + 1):
        window = folded[i : i + len(target)]
        if [w.strip(",.;:") for w in window[:-1]] == [
            t.strip(",.;:") for t in target[:-1]
        ] and window[-1].strip(",.;:") == target[-1].strip(",.;:"):
            found = " ".join(words[i : i + len(target)])
            return found.rstrip(",.;:") if upper else found.rstrip(" ;:")
    return None


def as_json_value(spec: FieldSpec, value: str) -> str | int | float:
    if spec.type in ("money", "number"):
        return int(value)
    if spec.type == "area":
        return float(value)
    return value
