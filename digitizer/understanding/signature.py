"""The end of an administrative document's body: "Nơi nhận:" and the signature block.

Decree 30 puts the recipients bottom left ("Nơi nhận:" then "- …;" lines ending "- Lưu:
VT, …") and beside them, bottom right, the signature block: the authority lines (TM. for a
collective body, KT. for a deputy, TL./TUQ. by delegation, Q. acting), the position, the
signature under the red seal, and the signer's name. Appendices follow on later pages, so
the block is looked for at the first "Nơi nhận" (or authority line) after the header, not on
the last page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from digitizer.understanding.places import respell_places
from digitizer.understanding.zones import Line, as_candidate, is_caps, join_lines, split_at

_RECIPIENTS = re.compile(r"^\s*n[o0]i\s*nh[a-z]n\s*[:;.]?")
_AUTHORITY = re.compile(r"^\s*(tm|kt|tl|tuq|q)\s*[.,]\s*\S")
_ITEM = re.compile(r"^\s*[-–—+•*]\s*")
# the signer's name: two to six words, each capitalised, nothing else on the line
_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")
_MAX_NAME_DROP = 16  # line heights from the position down to the name (the signature)


def read_signature(zones: object, lines: Sequence[Line], split_x: int) -> None:
    """Add the recipients and the signature block's fields to ``zones`` (a :class:`Zones`)."""
    start = next((ln for ln in lines if _RECIPIENTS.match(ln.folded)), None)
    if start is None:
        authority = next((ln for ln in lines if _AUTHORITY.match(ln.folded)), None)
        if authority is None:
            return
        _read_block(zones, [ln for ln in lines if ln.page == authority.page], authority)
        return
    page_lines = [ln for ln in lines if ln.page == start.page]
    m = _RECIPIENTS.match(start.folded)
    assert m is not None
    head, block_start = start, None
    auth = _AUTHORITY.search(start.folded[m.end() :])
    if auth is not None and m.end() + auth.start() > 0:  # "Nơi nhận: TM. ỦY BAN…" as one line
        head, block_start = split_at(start, m.end() + auth.start())
    column = head.right + head.height
    _read_recipients(zones, page_lines, head, m.end(), column)
    right = [
        ln for ln in page_lines if ln.left >= column and ln.bottom >= head.top - 4 * head.height
    ]
    if block_start is not None:
        right.insert(0, block_start)
    authority = next((ln for ln in right if _AUTHORITY.match(ln.folded)), None)
    first = authority or next((ln for ln in right if is_caps(ln.text)), None)
    if first is not None:
        _read_block(zones, right, first)


def _read_block(zones: object, lines: Sequence[Line], first: Line) -> None:
    """Authority lines, position, name: top down from ``first`` in its column."""
    column = first.left - 4 * first.height
    below = [ln for ln in lines if ln.top >= first.top - first.height // 2 and ln.right > column]
    below.sort(key=lambda ln: (ln.top, ln.left))
    authority: list[Line] = []
    position: Line | None = None
    rest: list[Line] = []
    for i, ln in enumerate(below):
        if position is None and _AUTHORITY.match(ln.folded) and is_caps(ln.text):
            authority.append(ln)
        elif position is None and is_caps(ln.text):
            position = ln
            rest = list(below[i + 1 :])
            break
        elif authority:
            break
    add = zones.add  # type: ignore[attr-defined]
    if authority:
        joined = join_lines(authority)
        text = respell_places(joined.text)
        add("signer_authority_line", as_candidate("signer_authority_line", joined, 0.92, text))
    if position is None:
        return
    add("signer_position", as_candidate("signer_position", position, 0.92))
    for ln in rest:
        if ln.top - position.bottom > _MAX_NAME_DROP * position.height:
            break
        words = ln.text.split()
        if 2 <= len(words) <= 6 and all(_NAME_WORD.match(w) for w in words):
            add("signer_name", as_candidate("signer_name", ln, 0.92))
            return


def _read_recipients(
    zones: object, lines: Sequence[Line], head: Line, after: int, column: int
) -> None:
    """The "- …;" items under "Nơi nhận:", in the left column, joined by "; "."""
    del column
    items: list[list[str]] = []
    words: list[Line] = []
    rest = head.text[after:].strip(" :")
    if rest:
        items.append([rest])
    previous = head
    limit = head.left + (head.right - head.left) * 6  # the left column's width, roughly
    for ln in lines:
        if ln.top <= head.top + head.height // 2 or ln.left > head.left + 3 * head.height:
            continue
        if ln.right > limit and not _ITEM.match(ln.text):
            continue
        if ln.top - previous.bottom > 2.5 * max(previous.height, 1):
            break
        text = ln.text
        if _ITEM.match(text):
            items.append([_ITEM.sub("", text)])
        elif items:
            items[-1].append(text.strip())
        else:
            continue
        words.append(ln)
        previous = ln
    cleaned = [" ".join(parts).strip().rstrip(";.,").strip() for parts in items]
    cleaned = [c for c in cleaned if c]
    if not cleaned or not words:
        return
    joined = join_lines(words)
    zones.add(  # type: ignore[attr-defined]
        "recipients", as_candidate("recipients", joined, 0.85, "; ".join(cleaned))
    )
