"""Where the labels are, in two passes: forms word labels in more ways than schemas list.

1. **As listed**: every variant of the fields' labels, section headings and stop labels,
   fuzzily on folded text, as far as OCR slips go (not a word for another word).
2. **As printed**: the label-like words before a colon ("5. Họ và tên chủ hộ:"), compared
   word by word with every variant where no listed one ends there: it may *contain* one
   ("Họ và tên chủ hộ"), be *contained* in one ("Địa điểm" of "Địa điểm kinh doanh") or
   abridge it ("tờ BĐ số"). The variant sharing most words wins, a tie between owners is
   nobody's (it still ends the value before it). Extra words spelling another label ("Họ
   và tên người đi khai sinh") refuse it, a word of another field's labels ("… của mẹ")
   sends it to a clerk; its score, below a listed label's, says how it matched.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from difflib import SequenceMatcher

from rapidfuzz import fuzz

from digitizer.understanding.layout import Segment, fold_text
from digitizer.understanding.schema import FieldSpec

MIN_LABEL_SCORE = 88.0
_SHORT_LABEL = 4  # folded length at or under which a label must match exactly
_SAME_PUNCT = str.maketrans({".": ",", ";": ","})
# list numbering before a printed label: "5.", "a)", "II.", "(3)", "-", "+"
_NUMBERING = re.compile(r"^(?:\(?\d{1,2}(?:\.\d{1,2})*[.)]?|\(?[a-zđ][.)]|[IVX]{1,4}\.|[-+•*–])$")
# words that come and go: "Họ tên" / "Họ và tên"; and "người", that may go ("tên người mẹ")
# but tells "Người sử dụng" from "Hình thức sử dụng" where it is printed
_LIGHT = frozenset({"va", "cua", "la", "ve", "da"})
_FILLER = "nguoi"
_MAX_LABEL_WORDS = 10
# a printed label's score with extra words of the field's own labels ("chủ hộ"), words no
# label has, a word of another field's ("… của mẹ"), words missing; the same words
_CONTAINS_OWN, _CONTAINS_UNKNOWN, _CONTAINS_OTHERS, _CONTAINED = 0.93, 0.82, 0.6, 0.9
_SAME_WORDS = 0.97  # the same words as a variant, other small words ("Họ tên" / "Họ và tên")


@dataclass(frozen=True, slots=True)
class LabelHit:
    segment: Segment
    start: int
    end: int
    owner: str  # a field name, "§section", or "" for a stop label
    score: float  # 0..1
    generic: bool = False  # a section label: counts only inside the field's section
    label: str = ""  # the variant it matched
    exact: bool = True  # found as listed (False: a printed label containing / contained)


@dataclass(frozen=True, slots=True)
class Wanted:
    """A label to look for, and whose it is."""

    owner: str
    label: str
    spec: FieldSpec | None
    generic: bool
    words: tuple[str, ...] = ()  # as pass 2 compares them


def comparable(folded: str) -> str:
    """Folded text with the punctuation OCR confuses inside labels made one ("Họ. chữ đệm.
    tên" is "Họ, chữ đệm, tên"); same length, so offsets still map back."""
    return folded.translate(_SAME_PUNCT)


# ------------------------------------------------------------------ pass 1: as listed


def _boundary_ok(folded: str, start: int, end: int) -> bool:
    before = folded[start - 1] if start > 0 else " "
    after = folded[end] if end < len(folded) else " "
    return not before.isalnum() and not (after.isalnum() and folded[end - 1].isalnum())


def _find(label: str, seg: Segment) -> list[tuple[int, int, float]]:
    """Occurrences (start, end, score 0..1) of ``label`` in the segment's folded text."""
    needle = comparable(fold_text(label).strip())
    text = comparable(seg.folded)
    found: list[tuple[int, int, float]] = []
    if len(needle) <= _SHORT_LABEL:
        for m in re.finditer(re.escape(needle), text):
            if _boundary_ok(text, m.start(), m.end()):
                found.append((m.start(), m.end(), 1.0))
        return found
    offset = 0
    while offset < len(text) - 2 and len(found) < 4:
        rest = text[offset:]
        if len(rest) < len(needle) * 0.7:
            break
        hit = fuzz.partial_ratio_alignment(needle, rest, score_cutoff=MIN_LABEL_SCORE)
        if hit is None:
            break
        start, end = offset + hit.dest_start, offset + hit.dest_end
        # snap to word boundaries (the alignment may start or end inside a word)
        while start > 0 and text[start - 1].isalnum():
            start -= 1
        while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
            end += 1
        while end > start and not text[end - 1].isalnum():  # ": " is no part of a label
            end -= 1
        # a label never holds a colon inside: that would be a label and part of its value
        inner = seg.text[start:end].rstrip(" :")
        # scored again as snapped: an alignment shifted left over a word of the value
        # before it ("NAM Họ, chữ đệm, tên" for "Họ, chữ đệm, tên vợ") scores low
        score = min(hit.score, fuzz.ratio(needle, text[start:end]))
        if (
            end - start <= len(needle) * 1.3
            and ":" not in inner
            and score >= MIN_LABEL_SCORE
            and (score == 100 or _slips_only(text[start:end], needle))
        ):
            found.append((start, end, score / 100.0))
        offset = max(end, offset + 1)
    return found


def _slips_only(found: str, label: str) -> bool:
    """A fuzzy hit differs from its label by OCR slips (a letter, words run together) or a
    word at an end (a label broken at its line's end), not by a word inside: "Họ và tên
    người đi khai sinh" is not "… người được khai sinh" (91 % alike)."""
    a, b = (re.findall(r"[0-9a-z]+", comparable(fold_text(t))) for t in (found, label))
    for op, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        x, y = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal" or (op != "replace" and (i1 == 0 or i2 == len(a))):
            continue
        if op != "replace" and set(a[i1:i2] + b[j1:j2]) <= _LIGHT:
            continue  # a small word more or less: "Họ tên" / "Họ và tên"
        if op != "replace" or _LIGHT & {x, y} or fuzz.ratio(x, y) < 70:
            return False
    return True


def _short_label_ok(spec: FieldSpec | None, seg: Segment, start: int, end: int) -> bool:
    """A label like "Số" or "Ông" counts only at the start of a line or clause ("CCCD số:"
    and "vợ là bà:" are not it), and only before ":" or, for a name, an upper-case word."""
    before = seg.text[:start].rstrip(" ")
    if before and before[-1] not in ",;(-–.)":
        return False
    rest = seg.text[end:].lstrip(" ")
    if rest.startswith(":"):
        return True
    if spec is not None and spec.type == "name":
        word = rest.split(" ", 1)[0] if rest else ""
        return len(word) > 1 and word.isupper()
    return False


def _caps_value(label: str, seg: Segment, start: int, end: int) -> bool:
    """Upper-case text matching a mixed-case label, with no colon after it, is a value:
    "ĐIỆN THOẠI OANH" is a shop's name, not the label "Điện thoại"."""
    matched = [c for c in seg.text[start:end] if c.isalpha()]
    if not matched or not all(c.isupper() for c in matched) or label.isupper():
        return False
    return not seg.text[end:].lstrip(" ").startswith(":")


def listed_hits(seg: Segment, wanted: Sequence[Wanted]) -> list[LabelHit]:
    """Pass 1 on one segment, overlaps resolved in favour of longer labels."""
    hits = []
    for want in wanted:
        short = len(fold_text(want.label).strip()) <= _SHORT_LABEL
        for start, end, score in _find(want.label, seg):
            if short and not _short_label_ok(want.spec, seg, start, end):
                continue
            if not want.owner.startswith("§") and _caps_value(want.label, seg, start, end):
                continue
            if want.owner == "" and not seg.text[end:].lstrip(" ").startswith(":"):
                continue  # a stop label is a label only before its colon
            hits.append(LabelHit(seg, start, end, want.owner, score, want.generic, want.label))
    hits.sort(key=lambda h: ((h.end - h.start) * h.score, h.score, not h.generic), reverse=True)
    taken: list[LabelHit] = []
    for hit in hits:
        # the same span may stand for several fields (a generic label of the husband's and
        # of the wife's block; sections decide later which one it is), or for a field and
        # a section heading ("Địa điểm xây dựng: …" names the site and opens its section)
        same = [t for t in taken if (t.start, t.end) == (hit.start, hit.end)]
        shared = same and all(t.owner != hit.owner for t in same)
        heading = shared and all(t.owner.startswith("§") != hit.owner.startswith("§") for t in same)
        if (shared and (hit.generic or heading)) or all(
            hit.end <= t.start or hit.start >= t.end for t in taken
        ):
            taken.append(hit)
    return taken


# ------------------------------------------------------------------ pass 2: as printed


def label_words(text: str) -> tuple[str, ...]:
    """The words of a label as compared: folded, without punctuation and small words."""
    words = [w for w in re.split(r"[^0-9a-z]+", comparable(fold_text(text))) if w]
    return tuple(w for w in words if w not in _LIGHT)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    variants: tuple[Wanted, ...]
    own: dict[str, set[str]]  # field -> the words of its labels
    users: dict[str, set[str]]  # word -> the fields whose labels use it
    known: frozenset[str]  # every word of every label

    def abridged(self, variant: Wanted, printed: tuple[str, ...]) -> tuple[str, ...]:
        """The variant's words with a run of them written as the printed label abridges
        it: "tờ BĐ số" for "Tờ bản đồ số", "Mục đích SD" for "Mục đích sử dụng"."""
        words = variant.words
        for short in printed:
            if short in self.known or not 2 <= len(short) <= 4 or not short.isalpha():
                continue
            for i in range(len(words) - len(short) + 1):
                if "".join(w[0] for w in words[i : i + len(short)]) == short:
                    words = (*words[:i], short, *words[i + len(short) :])
                    break
        return words

    def names_another(self, word: str, variant: Wanted) -> bool:
        """Only another field's labels use ``word`` and none shares words with ``variant``:
        "mẹ" after "Số định danh cá nhân"; not "kết hôn" after "Số đăng ký"."""
        users = self.users.get(word, set())
        if len(users) != 1 or variant.owner in users:
            return False
        other = next(iter(users))
        return not any(
            v.owner == other and len(set(v.words) & set(variant.words)) >= 2 for v in self.variants
        )


@functools.lru_cache(maxsize=64)
def vocabulary(wanted: tuple[Wanted, ...]) -> Vocabulary:
    variants = tuple(v for w in wanted if (v := replace(w, words=label_words(w.label))).words)
    own: dict[str, set[str]] = {}
    users: dict[str, set[str]] = {}
    for v in variants:
        if v.owner[:1] not in ("", "§"):
            own.setdefault(v.owner, set()).update(v.words)
            for word in v.words:
                users.setdefault(word, set()).add(v.owner)
    return Vocabulary(variants, own, users, frozenset(w for v in variants for w in v.words))


@functools.lru_cache(maxsize=65536)
def _same_word(a: str, b: str) -> float:
    """1.0 for the same folded word; a long word may differ by one OCR slip. Cached: label
    words are few, and every printed label meets every variant."""
    score = 100.0 if a == b else fuzz.ratio(a, b) if min(len(a), len(b)) >= 6 else 0.0
    return score / 100.0 if score >= 80 else 0.0


def _align(printed: Sequence[str], variant: Sequence[str]) -> tuple[list[int], list[int], float]:
    """The printed words and the variant's words matched, in order (common subsequence of
    fuzzily equal words), and their mean similarity."""
    near = [next((v for v in variant if _same_word(p, v)), p) for p in printed]
    blocks = SequenceMatcher(None, near, list(variant), autojunk=False).get_matching_blocks()
    pairs = [(b.a + k, b.b + k) for b in blocks for k in range(b.size)]
    sims = [_same_word(printed[i], variant[j]) for i, j in pairs]
    return [i for i, _ in pairs], [j for _, j in pairs], sum(sims) / max(len(sims), 1)


@dataclass(frozen=True, slots=True)
class _Match:
    variant: Wanted
    shared: int  # words in common
    rank: int  # 2: the same words, 1: containing or contained
    score: float


def _match(printed: tuple[str, ...], variant: Wanted, vocab: Vocabulary) -> _Match | None:
    """How the printed label matches one variant, if it does (see the module's doc)."""
    words = vocab.abridged(variant, printed)
    matched, theirs, similarity = _align(printed, words)
    similarity *= 0.95 if words != variant.words else 1.0  # an abridged word: less sure
    shared = len(matched)
    if sum(len(words[j]) for j in theirs) < (4 if len(printed) == 1 else 5) or (
        shared < 2 and len(words) > 2
    ):
        return None  # "Số", "Số tờ": too little to tell one label from another
    extra = [w for i, w in enumerate(printed) if i not in matched and w != _FILLER]
    missing = [w for j, w in enumerate(words) if j not in theirs and w != _FILLER]
    if not extra and not missing:
        return _Match(variant, shared, 2, _SAME_WORDS * similarity)
    if extra and missing:
        return None  # words missing and others added: another label
    if missing:  # "Địa điểm" of "Địa điểm kinh doanh"; one word ("Giới") is weak
        if 2 * shared < len(words):
            return None
        lost = len(missing) + (shared == 1)
        return _Match(variant, shared, 1, (_CONTAINED - 0.03 * (lost - 1)) * similarity)
    owner = variant.owner
    if not owner or owner.startswith("§"):
        return _Match(variant, shared, 1, _CONTAINS_OWN * similarity)
    if _spells_a_label(tuple(extra), vocab, owner):
        return None  # the extra words are another label: "Họ và tên người đi khai sinh"
    unknown = sum(w not in vocab.own.get(owner, ()) for w in extra)
    base = _CONTAINS_OWN if not unknown else _CONTAINS_UNKNOWN - 0.02 * (unknown - 1)
    if any(vocab.names_another(w, variant) for w in extra):
        base = _CONTAINS_OTHERS
    return _Match(variant, shared, 1, base * similarity)


def _spells_a_label(extra: tuple[str, ...], vocab: Vocabulary, owner: str) -> bool:
    """The extra words hold another owner's label whole ("người đi khai sinh")."""
    for v in vocab.variants:
        need = tuple(w for w in v.words if w != _FILLER)
        if v.owner != owner and len(need) >= 2 and len(_align(extra, need)[1]) == len(need):
            return True
    return False


def _printed_label(seg: Segment, end: int) -> tuple[int, tuple[str, ...]] | None:
    """(start, words) of the label-like words that end at ``end`` (before a colon): back to
    the line's start (numbering left out), a word with a digit or ending a clause (";"), a
    name in capitals, or the capitalised first word of the label ("Nữ Dân tộc": "Dân")."""
    taken: list[tuple[int, str]] = []
    for i in reversed([i for i, s in enumerate(seg.starts) if s < end]):
        raw = seg.words[i].text[: end - seg.starts[i]]
        core = raw.strip(",.;:()")
        if taken and raw.endswith((";", ":")):
            break
        letters = [c for c in core if c.isalpha()]
        if not letters or any(c.isdigit() for c in core) or len(taken) == _MAX_LABEL_WORDS:
            break
        if len(letters) > 5 and all(c.isupper() for c in letters):
            break  # a name or a title in capitals, not a label word
        taken.insert(0, (seg.starts[i], raw))
        if core[:1].isupper() and not core.isupper():
            break
    while taken and _NUMBERING.match(taken[0][1]):  # "a)", "II."
        taken.pop(0)
    if not taken:
        return None
    return taken[0][0], label_words(" ".join(raw for _, raw in taken))


def _best(printed: tuple[str, ...], vocab: Vocabulary) -> list[_Match]:
    """The best matches of a printed label (most words shared, then the same words)."""
    found = [m for v in vocab.variants if (m := _match(printed, v, vocab)) is not None]
    top = max(((m.shared, m.rank) for m in found), default=None)
    return sorted((m for m in found if (m.shared, m.rank) == top), key=lambda m: -m.score)


def _owner_hits(seg: Segment, start: int, end: int, best: list[_Match]) -> list[LabelHit]:
    """Hits for the winners of a printed label: one field's, several generic ones (the
    sections decide), a section heading's, or a stop where owners tie."""
    fields = [m for m in best if m.variant.owner[:1] not in ("", "§")]
    stops = {m.variant.words for m in best if not m.variant.owner}
    headings = {m.variant.owner for m in best if m.variant.owner.startswith("§")}
    if (stops and any(m.variant.words not in stops for m in fields)) or (
        len({m.variant.owner for m in fields}) > 1 and not all(m.variant.generic for m in fields)
    ):
        fields = []  # as like a stop label as a field's (the stop's, as in pass 1), or two's
    if not fields and (len(headings) != 1 or stops):
        headings = {""}
    hits = {h: LabelHit(seg, start, end, h, best[0].score, False, "", False) for h in headings}
    for m in fields:
        v = m.variant
        hit = LabelHit(seg, start, end, v.owner, m.score, v.generic, v.label, m.rank == 2)
        hits.setdefault(v.owner, hit)
    return list(hits.values())


def _listed_run(seg: Segment, taken: list[LabelHit], end: int, colon: int) -> int | None:
    """Where listed labels ending at a colon start when they are one label found as two
    ("Họ và tên" + "người chồng"); None when one ends there alone (-1: none)."""
    spans = sorted({(h.start, h.end) for h in taken}, reverse=True)
    run = [sp for sp in spans if end <= sp[1] <= colon][:1]
    if not run:
        return -1
    for span in spans:
        gap = seg.text[span[1] : run[-1][0]]
        if span[1] <= run[-1][0] and not label_words(gap) and not re.search(r"[:;]", gap):
            run.append(span)
    return run[-1][0] if len(run) > 1 else None


def printed_hits(seg: Segment, taken: list[LabelHit], vocab: Vocabulary) -> list[LabelHit]:
    """Pass 2 on one segment: printed labels that pass 1 did not find whole."""
    for colon in [i for i, c in enumerate(seg.text) if c == ":"]:
        before = seg.text[:colon].rstrip(" ")
        if before.endswith(")") and "(" in before:  # the label's note: "(ghi bằng chữ in hoa)"
            before = before[: before.rindex("(")].rstrip(" ")
        end = len(before)
        listed = _listed_run(seg, taken, end, colon) if end else None
        if listed is None:
            continue  # found as listed
        found = _printed_label(seg, end) if listed < 0 else (listed, label_words(before[listed:]))
        if found is None:
            continue
        start, printed = found
        best = _best(printed, vocab)
        inside = [h for h in taken if h.start < end and h.end > start]
        if not best or any(h.start < start for h in inside):
            continue  # no label known, or a listed one reaching back over its start
        taken = [h for h in taken if h not in inside] + _owner_hits(seg, start, end, best)
    return taken
