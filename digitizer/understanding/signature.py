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
from digitizer.understanding.zones import Line, Zones, as_candidate, is_caps, join_lines, split_at

_RECIPIENTS = re.compile(r"^\s*n[o0]i\s*nh[a-z]n\s*[:;.]?")
_AUTHORITY = re.compile(r"^\s*(tm|kt|tl|tuq|q)\s*[.,]\s*\S")
_ITEM = re.compile(r"^\s*[-–—+•*]\s*")
# the signer's name: two to six words, each capitalised, nothing else on the line
_NAME_WORD = re.compile(r"^[A-ZĐÀ-Ỹ][a-zđà-ỹ]+$")
_BLOCK_GAP = 0.9  # line heights between two lines of the block (the signature leaves more)
# "TM.", "KT.", "TL.", "TUQ.", "Q." as OCR may read them ("K3.", "TM,")
_PREFIX_SHAPE = re.compile(r"^\s*[a-z0-9]{1,3}\s*[.,]\s*\S")
_MAX_NAME_DROP = 16  # line heights from the position down to the name (the signature)


def read_signature(zones: Zones, lines: Sequence[Line], split_x: int) -> None:
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
    _read_recipients(zones, page_lines, head, m.end())
    right = [
        ln for ln in page_lines if ln.left >= column and ln.bottom >= head.top - 4 * head.height
    ]
    if block_start is not None:
        right.insert(0, block_start)
    authority = next((ln for ln in right if _AUTHORITY.match(ln.folded)), None)
    first = authority or next((ln for ln in right if is_caps(ln.text)), None)
    if first is not None:
        _read_block(zones, right, first)


def _read_block(zones: Zones, lines: Sequence[Line], first: Line) -> None:
    """Authority lines, position, name: top down from ``first`` in its column.

    The block's capitals follow each other closely, then the signature leaves a gap: the
    last of them is the position, those above it the authority lines (whatever OCR made of
    their "KT." — "K3." is still one), and the name is the first mixed-case line below.
    """
    column = first.left - 4 * first.height
    below = [ln for ln in lines if ln.top >= first.top - first.height // 2 and ln.right > column]
    below.sort(key=lambda ln: (ln.top, ln.left))
    block: list[Line] = []
    cut_short = False  # a line of the block could not be read: what came before is partial
    for ln in below:
        if block and ln.top - block[-1].bottom > _BLOCK_GAP * block[-1].height:
            break
        if is_caps(ln.text) and _plausible(ln):
            block.append(ln)
        elif block:
            cut_short = is_caps(ln.text)
            break
    if not block:
        _read_name(zones, below, first)
        return
    # the position never opens with "KT." or "TM.": if the last line does, the position is
    # the line that could not be read
    position: Line | None = None if _AUTHORITY.match(block[-1].folded) else block[-1]
    authority = block if position is None else block[:-1]
    add = zones.add
    if authority:
        joined = join_lines(authority)
        text = respell_places(joined.text)
        # every authority line opens with its prefix; one that does not may be misplaced
        sure = all(_PREFIX_SHAPE.match(ln.folded) for ln in authority) and not cut_short
        score = 0.92 if sure and position is not None else 0.7
        add("signer_authority_line", as_candidate("signer_authority_line", joined, score, text))
    if position is None:
        return
    add("signer_position", as_candidate("signer_position", position, 0.7 if cut_short else 0.92))
    _read_name(zones, below, position)


def _read_name(zones: Zones, below: Sequence[Line], above: Line) -> None:
    """The signer's name: the first mixed-case line of two to six capitalised words under
    the block, past the signature and the seal."""
    for ln in below:
        if ln.top <= above.top:
            continue
        if ln.top - above.bottom > _MAX_NAME_DROP * above.height:
            break
        words = ln.text.split()
        if 2 <= len(words) <= 6 and all(_NAME_WORD.match(w) for w in words):
            zones.add("signer_name", as_candidate("signer_name", ln, 0.92))
            return


def _item(text: str) -> str:
    """One recipient as the truth writes it: no end mark (";" is often read ":"), one
    space after each comma."""
    text = re.sub(r",(?=\S)", ", ", text.strip())
    return text.rstrip(";.,: ").strip()


def _plausible(line: Line) -> bool:
    """Print, not the seal's ring or the signature's strokes read as capitals ("45N TU"):
    no position or authority line holds a digit. (A line under the seal, read with low
    confidence, stays: its words' confidence sends it to a clerk.)"""
    return not any(c.isdigit() for c in line.text)


def _read_recipients(zones: Zones, lines: Sequence[Line], head: Line, after: int) -> None:
    """The "- …;" items under "Nơi nhận:", in the left column, joined by "; "."""
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
    cleaned = [_item(" ".join(parts)) for parts in items]
    cleaned = [c for c in cleaned if c]
    if not cleaned or not words:
        return
    joined = join_lines(words)
    zones.add("recipients", as_candidate("recipients", joined, 0.85, "; ".join(cleaned)))
