"""How far a value read from a layout zone may be trusted, and a signer's name spelled.

A zone gives a value without a label, so nothing vouches for it but the OCR of its own
words. A long free text (a summary, the recipients) holds a misread word far more often
than a short one, and Tesseract's confidences in the nineties are the norm for right words
and wrong ones alike: its weakest word, not the average, is what decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from rapidfuzz import fuzz

from digitizer.records import OcrWord
from digitizer.understanding.layout import fold_text
from digitizer.understanding.names import NameBook
from digitizer.understanding.reading import Reading
from digitizer.understanding.scoring import ocr_score, word_confs

_LONG_TEXT = 6  # words
_RESPELLED_CAP = 0.6
_NEAR_CHOICE = 90.0


def zone_confidence(label_score: float, words: Sequence[OcrWord]) -> float:
    """The zone's own certainty times its words': the weakest word alone for long texts."""
    if len(words) > _LONG_TEXT:
        return label_score * min(word_confs(words))
    return label_score * ocr_score(words)


def spell_signer(names: NameBook, reading: Reading) -> Reading:
    """A signer's name ("Trần Phước Hiền", printed in mixed case) checked word by word
    against the name tables; a changed spelling is shown to a clerk, not accepted."""
    if reading.problems:
        return reading
    if not names.family_name(reading.value.upper())[1]:  # "Tiến Nguyên": its start lost
        return replace(
            reading,
            confidence=min(reading.confidence, _RESPELLED_CAP),
            problems=(*reading.problems, "the name does not start with a family name"),
        )
    spelling = names.spell(reading.value.upper())
    if not spelling.changed:
        return reading if spelling.known else replace(reading, confidence=reading.confidence * 0.95)
    value = " ".join(w[:1] + w[1:].lower() for w in spelling.value.split())
    return replace(
        reading,
        value=value,
        confidence=min(reading.confidence, _RESPELLED_CAP),
        problems=(
            *reading.problems,
            f"spelling corrected from the name tables (read {reading.value!r})",
        ),
    )


def nearest_choice(value: str, choices: Sequence[str]) -> str:
    """The one choice a reading is a letter or two away from ("PHÓ CHỦ TỊC": "PHÓ CHỦ
    TỊCH"), else the reading as it is. Only ever shown to a clerk: the caller keeps the
    field in review."""
    key = fold_text(value)
    scored = sorted(((fuzz.ratio(key, fold_text(c)), c) for c in choices), reverse=True)
    if not scored or scored[0][0] < _NEAR_CHOICE:
        return value
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 5:
        return value  # two choices as near: no telling which
    return scored[0][1]


def respell_phrases(value: str, phrases: Sequence[str]) -> str:
    """Phrases the schema spells one way, wherever a reading has their letters with other
    accents ("bô nhiệm" → "bổ nhiệm"), each word keeping the case it was printed in
    ("Kế hoạch" stays capitalised, "VỀ VIỆC" upper case)."""
    words = value.split(" ")
    folded = [fold_text(w).lower() for w in words]
    for phrase in phrases:
        target = fold_text(phrase).lower().split()
        spelled = phrase.split()
        n = len(target)
        for i in range(len(words) - n + 1):
            if folded[i : i + n] != target:
                continue
            for j, word in enumerate(spelled):
                words[i + j] = _same_case(words[i + j], word)
    return " ".join(words)


def _same_case(printed: str, spelled: str) -> str:
    if printed.isupper():
        return spelled.upper()
    if printed[:1].isupper():
        return spelled[:1].upper() + spelled[1:].lower()
    return spelled.lower()
