"""Is this page Vietnamese? A page that is not is read again in another language.

Offices also scan foreign papers (a certificate from abroad, an English letter). Read with
the Vietnamese model alone, such a page comes out as "Thịs is a test documernt.": the model
puts Vietnamese tone marks on every word. Vietnamese is written in syllables of a fixed shape
(an optional onset, one to three vowels, an optional coda among c, ch, m, n, ng, nh, p, t),
which most English, French or German words are not; a page on which few words have that
shape is read again with the profile's other languages (or English) and the more confident
reading is kept. A Vietnamese page costs nothing more: its words are only looked at.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from digitizer.records import OcrWord

_SYLLABLE = re.compile(
    r"(ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdđghklmnprstvx])?"
    r"[aăâeêioôơuưy]{1,3}"
    r"(ch|ng|nh|[cmnpt])?"
)
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # grave, acute, tilde, hook, dot
_LETTERS = re.compile(r"[^\W\d_]+")
MIN_SHARE = 0.5  # Vietnamese pages measure 0.85 and more, English ones 0.2 to 0.45
MIN_WORDS = 8  # fewer words (a stamp, a signature): no judgement


def _toneless(word: str) -> str:
    """The word in lower case without its tone mark (the vowels' own marks are kept)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))


def is_vietnamese_syllable(word: str) -> bool:
    return _SYLLABLE.fullmatch(_toneless(word)) is not None


def vietnamese_share(words: Sequence[OcrWord]) -> float | None:
    """The share of the page's alphabetic words shaped like Vietnamese syllables; None with
    too few words to tell."""
    syllables = [part for word in words for part in _LETTERS.findall(word.text)]
    if len(syllables) < MIN_WORDS:
        return None
    return sum(map(is_vietnamese_syllable, syllables)) / len(syllables)


def reads_as_foreign(words: Sequence[OcrWord]) -> bool:
    """True when a page read as Vietnamese is, by the shape of its words, not Vietnamese."""
    share = vietnamese_share(words)
    return share is not None and share < MIN_SHARE


def other_languages(languages: Sequence[str]) -> list[str]:
    """The languages to read a foreign page with: the profile's others, else English."""
    others = [lang for lang in languages if lang != "vie"]
    return others or ["eng"]
