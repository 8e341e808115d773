"""Vietnamese personal names as data: the family names and the syllables of given names.

Tesseract misreads the stacked accents of capitals with high confidence: "QUẦN" for
"QUÂN", "HƯU" for "HỮU", "NGUYÊN" for "NGUYỄN", and sometimes doubles a letter
("NGGUYỄN"). Vietnamese names are drawn from a small, well-known set of syllables, so a
word of a name that is not such a syllable is almost always a misreading of the one that
has the same letters without diacritics. The tables live in ``digitizer/data/`` so that an
office can add the names of its region without touching code.

A correction is a guess, however good: :meth:`NameBook.spell` says whether it changed
anything, and the caller sends a corrected name to a clerk.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digitizer.understanding.layout import fold_text

_PUNCTUATION = "_.,;:-'\"`~|"
_DATA = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class Spelling:
    """A name as the tables spell it; ``changed``: some word was corrected;
    ``known``: every word is a known family name or name syllable as finally spelled."""

    value: str
    changed: bool
    known: bool


@dataclass(frozen=True, slots=True)
class NameBook:
    """``family``: unaccented family name -> its only spelling (ambiguous ones left out);
    ``syllables``: unaccented syllable -> its spellings in names, most common first."""

    family: dict[str, str]
    syllables: dict[str, tuple[tuple[str, int], ...]]

    @classmethod
    def load(cls, folder: Path = _DATA) -> NameBook:
        family: dict[str, set[str]] = {}
        for name in _entries(folder / "family_names.txt"):
            family.setdefault(fold_text(name[0]), set()).add(name[0].upper())
        syllables: dict[str, list[tuple[str, int]]] = {}
        for entry in _entries(folder / "name_syllables.txt"):
            tier = int(entry[1]) if len(entry) > 1 else 1
            syllables.setdefault(fold_text(entry[0]), []).append((entry[0].upper(), tier))
        return cls(
            {key: next(iter(v)) for key, v in family.items() if len(v) == 1},
            {k: tuple(sorted(v, key=lambda s: -s[1])) for k, v in syllables.items()},
        )

    def family_name(self, value: str) -> tuple[str, bool]:
        """The name with its family name spelled as the table spells it (accents only); and
        whether the family name is a known one at all."""
        first, _, rest = value.partition(" ")
        known = self.family.get(fold_text(first))
        if known is None:
            return value, False
        return f"{known} {rest}".strip(), True

    def spell(self, value: str) -> Spelling:
        """Every word of an upper-case name checked against the tables and, where it is not
        a known spelling, replaced by the known one (same letters, most common first)."""
        words = [c for w in value.split() if (c := w.strip(_PUNCTUATION))]
        if not words:
            return Spelling(value, False, False)
        out: list[str] = []
        known = True
        for i, word in enumerate(words):
            fixed, word_known = self._family_word(word) if i == 0 else self._given_word(word)
            known &= word_known
            out.append(fixed)
        joined = " ".join(out)
        return Spelling(joined, joined != value, known)

    def doubtful_word(self, word: str) -> bool:
        """A word with the letters of a name syllable but none of its spellings ("BICH"
        where names have "BÍCH"): an accent lost or misread, no matter how sure the OCR."""
        word = word.strip(_PUNCTUATION)
        spellings = self.syllables.get(fold_text(word), ())
        return bool(spellings) and word not in dict(spellings) and word not in self.family.values()

    def _family_word(self, word: str) -> tuple[str, bool]:
        key = fold_text(word)
        if key in self.family:
            return self.family[key], True
        if word in self.family.values():
            return word, True  # an ambiguous family name (Hà/Hạ), as spelled
        # one letter too many ("NGGUYỄN", "PHAẠM"): the only family name it can be
        near = {name for k, name in self.family.items() if _one_extra_letter(key, k)}
        if len(near) == 1:
            return near.pop(), False
        return word, False

    def _given_word(self, word: str) -> tuple[str, bool]:
        spellings = self.syllables.get(fold_text(word), ())
        if not spellings:
            # a family name is also a middle name ("LÊ HOÀNG AN"); else unknown as read
            return word, word in self.family.values()
        tiers = dict(spellings)
        best, best_tier = spellings[0]
        if word in tiers and tiers[word] >= best_tier - 1:
            return word, True
        # not a name syllable as read, or a rare one beside a far more common one
        if sum(1 for _, t in spellings if t == best_tier) > 1:
            return word, word in tiers  # two equally common: nobody can pick
        return best, True


def _entries(path: Path) -> list[list[str]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line.split())
    return out


def _one_extra_letter(read: str, name: str) -> bool:
    """``read`` is ``name`` with one letter doubled or inserted (and at least 3 long)."""
    if len(read) != len(name) + 1 or len(name) < 3:
        return False
    return any(read[:i] + read[i + 1 :] == name for i in range(len(read)))
