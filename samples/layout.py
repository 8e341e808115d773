"""Page description (blocks of styled text) and its layout into drawing operations.

Content builders describe a page as blocks (paragraphs, two-column headers and signature
blocks, tables, a QR, a parcel sketch) in millimetres and relative font sizes; :func:`layout_page`
turns that into pixel positions at the scan resolution and, at the same time, into the
ground-truth text lines. Computing both in one pass is what guarantees that the truth is
exactly what gets drawn (same wrapping, same order).

Reading order of the truth lines: blocks top to bottom; inside a multi-column block, each
column top to bottom, left column first; tables row by row, cells left to right.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import ImageFont

Align = Literal["left", "center", "right", "justify"]
MM_PER_INCH = 25.4
A4_MM = (210.0, 297.0)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of text in one style; a line's text is the concatenation of its runs.

    ``hand`` marks a value written by hand into a blank of the printed form (the number and
    the day of an administrative document): the print leaves the blank, the renderer writes
    the text in pen, and the truth line reads it like the rest.
    """

    text: str
    bold: bool = False
    italic: bool = False
    hand: bool = False


@dataclass(frozen=True, slots=True)
class Para:
    """A paragraph that wraps to its column width.

    ``indent_mm`` shifts the first line, ``hang_mm`` the continuation lines; ``before`` adds
    space in units of the body line pitch; ``rule`` draws a rule under the last line, as wide
    as that fraction of the line (the underlines of the motto and the issuing body); ``fit``
    shrinks the font so the paragraph stays on one line (the motto in a narrow column).
    """

    runs: tuple[Run, ...]
    align: Align = "left"
    scale: float = 1.0
    indent_mm: float = 0.0
    hang_mm: float = 0.0
    before: float = 0.0
    rule: float = 0.0
    fit: bool = False


@dataclass(frozen=True, slots=True)
class TabLine:
    """One unwrapped line whose cells start at tab stops (mm from the column's left edge)."""

    cells: tuple[tuple[float, tuple[Run, ...]], ...]
    scale: float = 1.0
    before: float = 0.0


@dataclass(frozen=True, slots=True)
class Spacer:
    """Vertical space in millimetres."""

    mm: float


@dataclass(frozen=True, slots=True)
class SignatureSpace:
    """Room for a hand signature, and optionally a red seal overlapping it and the text above."""

    mm: float
    seal: bool = False


@dataclass(frozen=True, slots=True)
class QrItem:
    """A QR code of ``size_mm`` carrying ``value``, aligned inside its column."""

    value: str
    size_mm: float
    align: Align = "right"


@dataclass(frozen=True, slots=True)
class Sketch:
    """A parcel outline (sơ đồ thửa đất) in a framed box ``mm`` high; no text."""

    mm: float


@dataclass(frozen=True, slots=True)
class Stamp:
    """A boxed rubber stamp ("HỎA TỐC"), centred in its column; its text is one truth line."""

    text: str
    scale: float = 1.15


Item = Para | TabLine | Spacer | SignatureSpace | QrItem | Sketch | Stamp


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a multi-column block; ``frac`` is its share of the text width."""

    frac: float
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Columns:
    """Columns side by side (header: issuing body | motto; footer: recipients | signer)."""

    cols: tuple[Column, ...]
    before: float = 0.0


@dataclass(frozen=True, slots=True)
class Table:
    """A ruled table; each cell is a tuple of paragraphs."""

    fracs: tuple[float, ...]
    rows: tuple[tuple[tuple[Para, ...], ...], ...]
    before: float = 0.0
    min_row_mm: float = 0.0


Block = Item | Columns | Table


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page: flowing blocks from the top, ``bottom`` blocks anchored to the bottom margin.

    ``paper`` is "white", "pink" (the 2009-2024 land certificate) or "archival" (yellowed);
    ``frame`` draws the decorative double border of certificates.
    """

    blocks: tuple[Block, ...]
    bottom: tuple[Block, ...] = ()
    paper: str = "white"
    frame: bool = False


@dataclass(frozen=True, slots=True)
class Style:
    """Typography of a document: chosen once per document by the content builder."""

    family: str
    body_pt: float
    spacing: float
    margin_left_mm: float
    margin_right_mm: float
    margin_top_mm: float
    margin_bottom_mm: float


# ----------------------------------------------------------------------------- fonts

FONT_FILES: dict[str, tuple[str, str, str, str]] = {
    # family: (regular, bold, italic, bold italic) file names
    "TeX Gyre Termes": (
        "texgyretermes-regular.otf",
        "texgyretermes-bold.otf",
        "texgyretermes-italic.otf",
        "texgyretermes-bolditalic.otf",
    ),
    "DejaVu Serif": (
        "DejaVuSerif.ttf",
        "DejaVuSerif-Bold.ttf",
        "DejaVuSerif-Italic.ttf",
        "DejaVuSerif-BoldItalic.ttf",
    ),
    "Noto Serif": (
        "NotoSerif-Regular.ttf",
        "NotoSerif-Bold.ttf",
        "NotoSerif-Italic.ttf",
        "NotoSerif-BoldItalic.ttf",
    ),
    "FreeSerif": (
        "FreeSerif.ttf",
        "FreeSerifBold.ttf",
        "FreeSerifItalic.ttf",
        "FreeSerifBoldItalic.ttf",
    ),
    "Noto Sans": (
        "NotoSans-Regular.ttf",
        "NotoSans-Bold.ttf",
        "NotoSans-Italic.ttf",
        "NotoSans-BoldItalic.ttf",
    ),
}
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/freefont"),
    Path("/usr/share/texmf/fonts/opentype/public/tex-gyre"),
    Path("/usr/share/fonts/opentype/texgyre"),
)
FAMILIES: tuple[str, ...] = tuple(FONT_FILES)
# Families no schema-mode document uses (``--wordings unseen`` draws from them).
EXTRA_FONT_FILES: dict[str, tuple[str, str, str, str]] = {
    "TeX Gyre Pagella": (
        "texgyrepagella-regular.otf",
        "texgyrepagella-bold.otf",
        "texgyrepagella-italic.otf",
        "texgyrepagella-bolditalic.otf",
    ),
    "TeX Gyre Heros": (
        "texgyreheros-regular.otf",
        "texgyreheros-bold.otf",
        "texgyreheros-italic.otf",
        "texgyreheros-bolditalic.otf",
    ),
    "TeX Gyre Bonum": (
        "texgyrebonum-regular.otf",
        "texgyrebonum-bold.otf",
        "texgyrebonum-italic.otf",
        "texgyrebonum-bolditalic.otf",
    ),
    "TeX Gyre Schola": (
        "texgyreschola-regular.otf",
        "texgyreschola-bold.otf",
        "texgyreschola-italic.otf",
        "texgyreschola-bolditalic.otf",
    ),
    "DejaVu Sans": (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DejaVuSans-Oblique.ttf",
        "DejaVuSans-BoldOblique.ttf",
    ),
    "FreeSans": (
        "FreeSans.ttf",
        "FreeSansBold.ttf",
        "FreeSansOblique.ttf",
        "FreeSansBoldOblique.ttf",
    ),
}


def find_font_file(name: str) -> Path:
    """Locate a font file in the Debian font directories (then anywhere under /usr/share)."""
    for d in FONT_DIRS:
        if (d / name).is_file():
            return d / name
    for root in (Path("/usr/share/fonts"), Path("/usr/share/texmf"), Path("/usr/local/share")):
        if root.is_dir():
            for hit in root.rglob(name):
                return hit
    raise FileNotFoundError(f"font file {name} not found (install the Debian font packages)")


class FontBook:
    """Fonts of one family at pixel sizes, cached for the life of one document.

    Uses Pillow's BASIC layout (no shaping): Vietnamese NFC text only needs precomposed
    glyphs, and BASIC measures identically on machines with or without libraqm, which keeps
    the wrapping, hence the truth lines, the same everywhere.
    """

    def __init__(self, family: str) -> None:
        self.family = family
        files = FONT_FILES.get(family) or EXTRA_FONT_FILES[family]
        self._paths = tuple(find_font_file(n) for n in files)
        self._cache: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}

    def path(self, bold: bool, italic: bool) -> Path:
        """The file of one style."""
        return self._paths[int(bold) + 2 * int(italic)]

    def get(self, bold: bool, italic: bool, size_px: int) -> ImageFont.FreeTypeFont:
        """The font of a style at a pixel size."""
        key = (int(bold) + 2 * int(italic), size_px)
        font = self._cache.get(key)
        if font is None:
            font = ImageFont.truetype(
                str(self._paths[key[0]]), size_px, layout_engine=ImageFont.Layout.BASIC
            )
            self._cache[key] = font
        return font


# ----------------------------------------------------------------------------- drawing ops


@dataclass(frozen=True, slots=True)
class TextOp:
    """Draw ``text`` with its left end at ``x`` and its baseline at ``y``."""

    x: float
    y: float
    text: str
    bold: bool
    italic: bool
    size_px: int


@dataclass(frozen=True, slots=True)
class RuleOp:
    """A straight line (rules, table borders)."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: int


@dataclass(frozen=True, slots=True)
class SignatureOp:
    """Where a signature goes (box) and, if stamped, the seal centre and radius."""

    box: tuple[float, float, float, float]
    seal: tuple[float, float, float] | None


@dataclass(frozen=True, slots=True)
class QrOp:
    """A QR code with its top-left corner at (x, y), ``size`` pixels square."""

    x: float
    y: float
    size: float
    value: str


@dataclass(frozen=True, slots=True)
class SketchOp:
    """The box a parcel sketch is drawn in."""

    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class HandOp:
    """A handwritten value in a blank ``width`` wide, starting at ``x`` on ``baseline``."""

    x: float
    baseline: float
    width: float
    text: str
    size_px: int


@dataclass(frozen=True, slots=True)
class StampOp:
    """A boxed stamp: its box and text at ``size_px``."""

    box: tuple[float, float, float, float]
    text: str
    size_px: int


Op = TextOp | RuleOp | SignatureOp | QrOp | SketchOp | HandOp | StampOp


@dataclass(slots=True)
class PageLayout:
    """A laid-out page: pixel size, drawing operations, truth lines, page decorations."""

    width: int
    height: int
    dpi: int
    ops: list[Op] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    qr: str | None = None
    paper: str = "white"
    frame: bool = False
    overflow: bool = False


# ----------------------------------------------------------------------------- layout engine

Piece = tuple[str, bool, bool, bool]  # (text, bold, italic, hand)
Word = tuple[Piece, ...]  # pieces of one word (no spaces inside)


def _words(runs: tuple[Run, ...]) -> list[Word]:
    """Split runs into words; a word may span runs when no space separates them."""
    words: list[list[Piece]] = []
    glue = False  # whether the next piece continues the last word
    for run in runs:
        parts = run.text.split(" ")
        for i, part in enumerate(parts):
            if i > 0:
                glue = False
            if not part:
                continue
            piece = (part, run.bold, run.italic, run.hand)
            if glue and words:
                words[-1].append(piece)
            else:
                words.append([piece])
            glue = True
        if run.text.endswith(" "):
            glue = False
    return [tuple(w) for w in words]


class _Engine:
    """Lays out blocks at one resolution, font scale and line spacing."""

    def __init__(
        self, style: Style, fonts: FontBook, dpi: int, scale: float, spacing: float
    ) -> None:
        self.style = style
        self.fonts = fonts
        self.dpi = dpi
        self.px_per_mm = dpi / MM_PER_INCH
        self.body_px = style.body_pt * scale * dpi / 72.0
        self.spacing = spacing
        self.ops: list[Op] = []
        self.lines: list[str] = []
        self.qr: str | None = None

    def mm(self, v: float) -> float:
        return v * self.px_per_mm

    def pitch(self, scale: float = 1.0) -> float:
        return self.body_px * scale * self.spacing

    def _size(self, scale: float) -> int:
        return max(6, round(self.body_px * scale))

    def _piece_width(self, piece: Piece, size: int) -> float:
        t, b, i, hand = piece
        w: float = self.fonts.get(b, i, size).getlength(t)
        # a handwritten value sits in a blank the form leaves, wider than the digits
        return max(1.35 * w, 2.1 * size) if hand else w

    def _word_width(self, word: Word, size: int) -> float:
        return sum(self._piece_width(p, size) for p in word)

    # -- items

    def para(self, p: Para, x0: float, x1: float, y: float, draw: bool) -> float:
        size = self._size(p.scale)
        pitch = self.pitch(p.scale)
        y += p.before * self.pitch()
        words = _words(p.runs)
        if p.fit and words:
            # shrink to one line, but not below 80 % (then it wraps like any paragraph)
            avail = x1 - x0 - self.mm(p.indent_mm)
            floor = max(6, int(size * 0.8))
            for _ in range(8):
                sp = self.fonts.get(False, False, size).getlength(" ")
                total = sum(self._word_width(w, size) for w in words) + sp * (len(words) - 1)
                if total <= avail or size <= floor:
                    break
                size = max(floor, int(size * avail / total))
        space = self.fonts.get(False, False, size).getlength(" ")
        lines: list[list[Word]] = []
        widths: list[float] = []
        cur: list[Word] = []
        cur_w = 0.0
        for w in words:
            ww = self._word_width(w, size)
            avail = x1 - x0 - self.mm(p.indent_mm if not lines else p.hang_mm)
            new_w = ww if not cur else cur_w + space + ww
            if cur and new_w > avail:
                lines.append(cur)
                widths.append(cur_w)
                cur, cur_w = [w], ww
            else:
                cur, cur_w = [*cur, w], new_w
        if cur:
            lines.append(cur)
            widths.append(cur_w)
        for n, (line, width) in enumerate(zip(lines, widths, strict=True)):
            left = x0 + self.mm(p.indent_mm if n == 0 else p.hang_mm)
            avail = x1 - left
            baseline = y + 0.8 * size
            gap = space
            if p.align == "center":
                xs = left + (avail - width) / 2
            elif p.align == "right":
                xs = x1 - width
            else:
                xs = left
                if p.align == "justify" and n < len(lines) - 1 and len(line) > 1:
                    gap = space + (avail - width) / (len(line) - 1)
            text = " ".join("".join(p[0] for p in w) for w in line)
            self.lines.append(text)
            if draw:
                self._emit_words(line, xs, baseline, size, space, gap)
                if p.rule and n == len(lines) - 1:
                    rw = width * p.rule
                    cx = xs + width / 2
                    ry = baseline + 0.42 * size
                    self.ops.append(
                        RuleOp(cx - rw / 2, ry, cx + rw / 2, ry, max(1, round(size / 22)))
                    )
            y += pitch
        if p.rule:
            y += 0.35 * size  # room under the rule, as offices leave it
        return y

    def _emit_words(
        self, line: list[Word], x: float, baseline: float, size: int, space: float, gap: float
    ) -> None:
        """Emit text ops, merging consecutive same-style words when spacing is natural."""
        pending: list[str] = []
        pend_style: tuple[bool, bool] | None = None
        pend_x = x
        for wi, word in enumerate(line):
            if wi > 0:
                if gap == space and pend_style is not None:
                    pending.append(" ")
                    x += space
                else:
                    self._flush(pending, pend_style, pend_x, baseline, size)
                    pending, pend_style = [], None
                    x += gap
            for piece in word:
                t, b, i, hand = piece
                if hand:
                    self._flush(pending, pend_style, pend_x, baseline, size)
                    pending, pend_style = [], None
                    w = self._piece_width(piece, size)
                    self.ops.append(HandOp(x, baseline, w, t, size))
                    x += w
                    continue
                if pend_style != (b, i):
                    self._flush(pending, pend_style, pend_x, baseline, size)
                    pending, pend_style, pend_x = [], (b, i), x
                pending.append(t)
                x += self.fonts.get(b, i, size).getlength(t)
        self._flush(pending, pend_style, pend_x, baseline, size)

    def _flush(
        self,
        pending: list[str],
        style: tuple[bool, bool] | None,
        x: float,
        baseline: float,
        size: int,
    ) -> None:
        text = "".join(pending).rstrip()
        if text and style is not None:
            self.ops.append(TextOp(x, baseline, text, style[0], style[1], size))

    def tabline(self, t: TabLine, x0: float, y: float, draw: bool) -> float:
        size = self._size(t.scale)
        y += t.before * self.pitch()
        baseline = y + 0.8 * size
        x_end = -1e9
        texts: list[str] = []
        space = self.fonts.get(False, False, size).getlength(" ")
        for stop_mm, runs in t.cells:
            x = max(x0 + self.mm(stop_mm), x_end + 2 * space)
            texts.append("".join(r.text for r in runs).strip())
            for r in runs:
                font = self.fonts.get(r.bold, r.italic, size)
                if draw and r.text.strip():
                    self.ops.append(TextOp(x, baseline, r.text, r.bold, r.italic, size))
                x += font.getlength(r.text)
            x_end = x
        self.lines.append(" ".join(" ".join(s.split()) for s in texts if s))
        return y + self.pitch(t.scale)

    def item(self, it: Item, x0: float, x1: float, y: float, draw: bool) -> float:
        if isinstance(it, Para):
            return self.para(it, x0, x1, y, draw)
        if isinstance(it, TabLine):
            return self.tabline(it, x0, y, draw)
        if isinstance(it, Spacer):
            return y + self.mm(it.mm)
        if isinstance(it, SignatureSpace):
            h = self.mm(it.mm)
            if draw:
                seal = None
                if it.seal:
                    r = self.mm(19.0)
                    # The seal sits on the left third of the signature, reaching up over the
                    # signer's title lines, as offices stamp it.
                    seal = ((x0 + x1) / 2 - 0.45 * r, y + h * 0.5 - 0.35 * r, r)
                self.ops.append(SignatureOp((x0, y, x1, y + h), seal))
            return y + h
        if isinstance(it, QrItem):
            s = self.mm(it.size_mm)
            if draw:
                if it.align == "left":
                    x = x0
                elif it.align == "center":
                    x = (x0 + x1 - s) / 2
                else:
                    x = x1 - s
                self.ops.append(QrOp(x, y, s, it.value))
            self.qr = it.value
            return y + s + self.mm(2)
        if isinstance(it, Sketch):
            h = self.mm(it.mm)
            if draw:
                self.ops.append(SketchOp((x0, y, x1, y + h)))
            return y + h + self.mm(3)
        if isinstance(it, Stamp):
            size = self._size(it.scale)
            w = self.fonts.get(True, False, size).getlength(it.text) + 1.2 * size
            h = 1.7 * size
            y += self.mm(1.5)
            if draw:
                cx = (x0 + x1) / 2
                self.ops.append(StampOp((cx - w / 2, y, cx + w / 2, y + h), it.text, size))
            self.lines.append(it.text)
            return y + h + self.mm(1.5)
        raise TypeError(it)

    def block(self, b: Block, x0: float, x1: float, y: float, draw: bool) -> float:
        if isinstance(b, Columns):
            y += b.before * self.pitch()
            bottom = y
            cx = x0
            total = sum(c.frac for c in b.cols)
            for col in b.cols:
                cw = (x1 - x0) * col.frac / total
                cy = y
                for it in col.items:
                    cy = self.item(it, cx, cx + cw, cy, draw)
                bottom = max(bottom, cy)
                cx += cw
            return bottom
        if isinstance(b, Table):
            return self.table(b, x0, x1, y, draw)
        return self.item(b, x0, x1, y, draw)

    def table(self, t: Table, x0: float, x1: float, y: float, draw: bool) -> float:
        y += t.before * self.pitch()
        pad = self.mm(1.5)
        total = sum(t.fracs)
        edges = [x0]
        for f in t.fracs:
            edges.append(edges[-1] + (x1 - x0) * f / total)
        width = max(1, round(self.body_px / 18))
        top = y
        for row in t.rows:
            bottom = y
            for ci, cell in enumerate(row):
                cy = y + pad
                for p in cell:
                    cy = self.para(p, edges[ci] + pad, edges[ci + 1] - pad, cy, draw)
                bottom = max(bottom, cy + pad, y + self.mm(t.min_row_mm))
            if draw:
                self.ops.append(RuleOp(x0, y, x1, y, width))
            y = bottom
        if draw:
            self.ops.append(RuleOp(x0, y, x1, y, width))
            for e in edges:
                self.ops.append(RuleOp(e, top, e, y, width))
        return y


def page_size_px(dpi: int) -> tuple[int, int]:
    """A4 in pixels at ``dpi`` (2480 x 3508 at 300 dpi)."""
    return round(A4_MM[0] / MM_PER_INCH * dpi), round(A4_MM[1] / MM_PER_INCH * dpi)


def layout_page(page: PageSpec, style: Style, fonts: FontBook, dpi: int) -> PageLayout:
    """Lay out a page at ``dpi``; shrinks spacing then font size until the content fits.

    Shrinking (rather than flowing onto a new page) keeps the page structure the content
    builder chose (e.g. holder on page 1 of a land certificate).
    """
    w, h = page_size_px(dpi)
    scale, spacing = 1.0, style.spacing
    for _attempt in range(12):
        eng = _Engine(style, fonts, dpi, scale, spacing)
        x0 = eng.mm(style.margin_left_mm)
        x1 = w - eng.mm(style.margin_right_mm)
        top = eng.mm(style.margin_top_mm)
        limit = h - eng.mm(style.margin_bottom_mm)
        y = top
        for b in page.blocks:
            y = eng.block(b, x0, x1, y, draw=False)
        bottom_h = 0.0
        for b in page.bottom:
            bottom_h = eng.block(b, x0, x1, bottom_h, draw=False)
        if y + bottom_h <= limit or _attempt == 11:
            break
        if spacing > 1.08:
            spacing = max(1.05, spacing - 0.07)
        else:
            scale *= 0.94
    overflow = y + bottom_h > limit
    eng = _Engine(style, fonts, dpi, scale, spacing)
    y = top
    for b in page.blocks:
        y = eng.block(b, x0, x1, y, draw=True)
    yb = limit - bottom_h
    for b in page.bottom:
        yb = eng.block(b, x0, x1, yb, draw=True)
    return PageLayout(w, h, dpi, eng.ops, eng.lines, eng.qr, page.paper, page.frame, overflow)
