"""Vietnamese text primitives: one canonical form to store, one folded key to search.

OCR engines and old keyboards produce the same word in several byte sequences: decomposed
(NFD) or composed (NFC), and with the tone mark of "hoa", "khoe", "thuy" on either vowel
("hoà"/"hòa", "thuỷ"/"thủy"). Values are stored NFC with the tone where official documents
print it ("hòa", "thủy"); search compares a key without any marks at all.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["collapse_spaces", "fold", "nfc", "normalize_tones"]

# The five tone marks as combining characters. Vowel-shape marks (circumflex, breve, horn)
# are not tones and never move.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Open syllables whose tone placement differs between the two conventions. In all of them
# the first letter is the medial glide: "hoà" (tone on the main vowel) vs "hòa" (tone on the
# first vowel of the pair), which is how legal documents and place names print them.
_MOVABLE_PAIRS = frozenset(("oa", "oe", "uy"))
_CONSONANTS = frozenset("bcdđghklmnpqrstvx")
_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")
_D_STROKE = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def nfc(text: str) -> str:
    """Unicode NFC: the one form values are stored and compared in."""
    return unicodedata.normalize("NFC", text)


def collapse_spaces(text: str) -> str:
    """Runs of any whitespace (tabs, newlines, no-break spaces) become one space; ends stripped."""
    return _SPACES.sub(" ", text).strip()


def _split_tone(ch: str) -> tuple[str, str]:
    """A composed letter -> (letter without its tone mark, the tone mark or '')."""
    decomposed = unicodedata.normalize("NFD", ch)
    tones = [c for c in decomposed if c in _TONES]
    rest = "".join(c for c in decomposed if c not in _TONES)
    return unicodedata.normalize("NFC", rest), (tones[0] if len(tones) == 1 else "")


def _retone_word(word: str) -> str:
    """Move the tone of an open "oa"/"oe"/"uy" syllable from the second vowel to the first.

    Only a whole syllable of the shape <consonants><o|u><a|e|y> qualifies: with a final
    consonant or glide ("hoàng", "khuỷu", "ngoài") both conventions agree, and after "q" the
    "u" belongs to the consonant ("quý" is right in both).
    """
    if len(word) < 2:
        return word
    first, second = word[-2], word[-1]
    base2, tone = _split_tone(second)
    if not tone:
        return word
    base1, tone1 = _split_tone(first)
    if tone1 or (base1 + base2).lower() not in _MOVABLE_PAIRS:
        return word
    initial = word[:-2].lower()
    if any(c not in _CONSONANTS for c in initial):
        return word
    if initial.endswith("q"):
        return word
    return word[:-2] + nfc(base1 + tone) + base2


def normalize_tones(text: str) -> str:
    """NFC, with old-keyboard tone placement moved: "hoà"→"hòa", "thuỷ"→"thủy", "khoẻ"→"khỏe".

    Works word by word and keeps case ("HOÀ"→"HÒA", "Uỷ ban"→"Ủy ban"); words that are not
    such syllables are left as they are.
    """
    return _WORD.sub(lambda m: _retone_word(m.group()), nfc(text))


def fold(text: str) -> str:
    """Diacritic-insensitive search key: "Đường Hoà Bình" and "duong hoa  binh" fold equal.

    Decompose, drop every combining mark, map đ/Đ (and the look-alike ð/Ð that old encodings
    produce) to d, casefold, collapse whitespace.
    """
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return collapse_spaces(bare.translate(_D_STROKE).casefold())
