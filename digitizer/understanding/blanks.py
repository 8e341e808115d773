"""Handwritten values in printed blanks, and the check of a number's symbol against its kind.

An office writes the number and the day by hand into the printed "Số: …/QĐ-UBND" and
"ngày … tháng …" at registration; Tesseract, trained on print, reads "87" as "ốT". The
pipeline reads such a blank again with other recognizers (:mod:`digitizer.handwriting`):
their value replaces the page's reading, and the rule is the product's costliest-error rule
— a value written by hand is accepted only when two independent readings agree and pass the
field's checks; otherwise it goes to a clerk, with the blank's crop as its box.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from digitizer.understanding.decree30 import KIND_ABBREVIATIONS
from digitizer.understanding.reading import Reading
from digitizer.understanding.zones import Blank, Zones

log = logging.getLogger(__name__)

_HAND_CAP = 0.5  # a handwritten value the readings do not agree on: a clerk reads it
# two independent recognizers agreeing on a value that passes its checks: as sure as a
# clean printed word (the page's OCR of that blank, garbled, says nothing more)
_AGREED = 0.9
_CHECK_CAP = 0.3
_PRINTED_NUMBER = re.compile(r"\d{1,6}[a-z]?")


class OneReading(Protocol):
    """One recognizer's reading of a blank: its value, None when it fails the checks."""

    @property
    def value(self) -> str | None: ...


class HandReading(Protocol):
    """What the second recognizers made of a blank (``digitizer.handwriting.BlankReading``)."""

    @property
    def value(self) -> str | None: ...
    @property
    def agreed(self) -> bool: ...
    @property
    def handwritten(self) -> bool: ...
    @property
    def crop_box(self) -> tuple[int, int, int, int]: ...
    @property
    def reason(self) -> str: ...
    @property
    def readings(self) -> Sequence[OneReading]: ...


# Reads the blanks of a printed line again: blank name ("number", "day") -> reading.
ReadBlank = Callable[[Blank], Mapping[str, HandReading]]


@dataclass(frozen=True, slots=True)
class Verdict:
    """How a field made of blanks may be trusted after the second readings."""

    trusted: bool
    reason: str
    box: tuple[int, int, int, int] | None = None

    def apply(self, reading: Reading) -> Reading:
        if self.trusted:
            return replace(reading, confidence=max(reading.confidence, _AGREED))
        return replace(
            reading,
            confidence=min(reading.confidence, _HAND_CAP),
            problems=(*reading.problems, self.reason),
            box=self.box,
        )


def _printed_ok(blank: Blank, name: str) -> bool:
    text = blank.printed.get(name, "")
    if name == "year":
        return len(text) == 4 and text.isdigit()
    return bool(_PRINTED_NUMBER.fullmatch(text)) and (name == "number" or len(text) <= 2)


def _one(blank: Blank, read_blank: ReadBlank | None) -> tuple[dict[str, str], Verdict | None]:
    """The blanks' values to use and the field's verdict (None: the page's print stands)."""
    names = list(blank.printed)
    results = read_blank(blank) if read_blank is not None else {}
    filled: dict[str, str] = {}
    doubts: list[str] = []
    box = None
    for name in names:
        hand = results.get(name)
        log.debug("blank %s: page OCR %r, second readings %s", name, blank.printed[name], hand)
        if hand is not None and hand.agreed and hand.value is not None:
            filled[name] = hand.value
            continue
        if hand is None:
            if not _printed_ok(blank, name):
                doubts.append(f"the {name} in its blank could not be read")
            continue
        if hand.handwritten or not _printed_ok(blank, name):
            guess = next((r.value for r in hand.readings if r.value is not None), None)
            if guess is not None:
                filled[name] = guess  # the first recognizer's, for the clerk to confirm
            doubts.append(f"handwritten {name}: {hand.reason}")
            box = box or hand.crop_box
            continue
        printed = blank.printed[name]
        other = [r.value for r in hand.readings if r.value is not None and r.value != printed]
        if other:  # printed digits Tesseract misread with confidence ("2016" for 2018)
            doubts.append(f"the {name} read again gives {other[0]}, not {printed}")
            box = box or hand.crop_box
    if not doubts:
        return filled, Verdict(True, "") if filled else None
    return filled, Verdict(False, "; ".join(doubts), box)


def fill_blanks(zones: Zones, read_blank: ReadBlank | None) -> dict[str, Verdict]:
    """Put the second readings of every blank into its field's candidate; the verdicts
    say which fields those readings leave in doubt."""
    verdicts: dict[str, Verdict] = {}
    for field_name, blank in zones.blanks.items():
        found = zones.found.get(field_name)
        if not found:
            continue
        filled, verdict = _one(blank, read_blank)
        if filled:
            found[0] = replace(found[0], raw=blank.value(filled))
        if verdict is not None:
            verdicts[field_name] = verdict
    return verdicts


def agree_with_kind(readings: dict[str, Reading]) -> None:
    """The number's kind abbreviation ("87/QĐ-UBND": QĐ) must name the title's kind; a
    công văn's symbol names none. Disagreeing readings both go to a clerk."""
    number, kind = readings.get("number"), readings.get("document_kind")
    if number is None or kind is None or number.problems or kind.problems:
        return
    parts = number.value.split("/", 1)[-1].split("-")
    named = KIND_ABBREVIATIONS.get(parts[0])
    if named is not None and len(parts) == 1:  # "84/QĐ": the issuer's part is missing
        _doubt(readings, ("number",), "the symbol is cut short: no issuer after the kind")
        return
    if kind.value == "CÔNG VĂN":
        agrees = named is None
    else:
        agrees = named == kind.value or (
            named is None and kind.value not in KIND_ABBREVIATIONS.values()
        )
    if agrees:
        return
    problem = f"the symbol's kind ({parts[0]}) does not match the title ({kind.value})"
    _doubt(readings, ("number", "document_kind"), problem)


def _doubt(readings: dict[str, Reading], names: Sequence[str], problem: str) -> None:
    for name in names:
        reading = readings[name]
        readings[name] = replace(
            reading,
            confidence=min(reading.confidence, _CHECK_CAP),
            problems=(*reading.problems, problem),
        )
