"""Showing a field's image in the clerk's terminal, where the terminal can.

Three inline-image protocols cover the terminals offices use: kitty's graphics protocol
(kitty, Ghostty), iTerm2's inline images (iTerm2, WezTerm) and DEC sixel (foot, mlterm,
xterm started with sixel, Windows Terminal, tmux built with sixel). kitty and iTerm2 are
known from the environment; sixel from the terminal's own answer to a Primary Device
Attributes query (``ESC [ c``; attribute 4 is sixel), asked once with a short timeout. No
library for this is installed, and the encoders are short, so they are here.

Everything else gets ``None`` from :func:`detect` and the caller saves a PNG instead.
"""

from __future__ import annotations

import base64
import io
import os
import re
import select
import sys
import termios
import tty
from collections.abc import Mapping
from typing import IO

import numpy as np
from PIL import Image

KITTY, ITERM, SIXEL = "kitty", "iterm", "sixel"
PROTOCOLS = (KITTY, ITERM, SIXEL)
_SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "yaft-256color", "contour")
_DA1 = re.compile(r"\x1b\[\?([\d;]*)c")
_DA1_TIMEOUT_S = 0.3
_KITTY_CHUNK = 4096
_SIXEL_COLOURS = 16


def detect(env: Mapping[str, str], tty_fd: int | None) -> str | None:
    """The inline-image protocol of this terminal, or None. ``tty_fd``: the terminal to
    ask (None when input is not a terminal: then only the environment counts)."""
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    multiplexed = bool(env.get("TMUX")) or term.startswith(("screen", "tmux"))
    if not multiplexed:
        if env.get("KITTY_WINDOW_ID") or term in ("xterm-kitty", "xterm-ghostty"):
            return KITTY
        if program in ("iTerm.app", "WezTerm") or env.get("LC_TERMINAL") == "iTerm2":
            return ITERM
        if term in _SIXEL_TERMS or "sixel" in term:
            return SIXEL
    if tty_fd is not None and term not in ("", "dumb") and _answers_sixel(tty_fd):
        return SIXEL
    return None


def _answers_sixel(fd: int) -> bool:
    """Ask the terminal for its device attributes; True when it lists sixel (4)."""
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return False
    answer = ""
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        os.write(fd, b"\x1b[c")
        while not answer.endswith("c") and len(answer) < 64:
            ready, _, _ = select.select([fd], [], [], _DA1_TIMEOUT_S)
            if not ready:
                break
            answer += os.read(fd, 64).decode("ascii", "replace")
    except OSError:
        return False
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
    found = _DA1.search(answer)
    return found is not None and "4" in found.group(1).split(";")


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def kitty(image: Image.Image, columns: int) -> str:
    """kitty graphics protocol: PNG, chunked base64, answers suppressed (``q=2``) so that
    nothing lands in the clerk's keyboard input."""
    data = base64.standard_b64encode(_png(image)).decode("ascii")
    chunks = [data[i : i + _KITTY_CHUNK] for i in range(0, len(data), _KITTY_CHUNK)] or [""]
    out = []
    for i, chunk in enumerate(chunks):
        more = 1 if i < len(chunks) - 1 else 0
        head = f"a=T,f=100,q=2,c={columns},m={more}" if i == 0 else f"m={more}"
        out.append(f"\x1b_G{head};{chunk}\x1b\\")
    return "".join(out) + "\n"


def iterm(image: Image.Image, columns: int) -> str:
    """iTerm2 inline image (also WezTerm)."""
    png = _png(image)
    data = base64.standard_b64encode(png).decode("ascii")
    return (
        f"\x1b]1337;File=inline=1;size={len(png)};width={columns};"
        f"preserveAspectRatio=1:{data}\x07\n"
    )


def sixel(image: Image.Image, max_width: int) -> str:
    """DEC sixel with an adaptive palette (16 colours: enough for print and a red seal)."""
    image = image.convert("RGB")
    if image.width > max_width:
        image = image.resize(
            (max_width, max(1, round(image.height * max_width / image.width))),
            Image.Resampling.LANCZOS,
        )
    paletted = image.quantize(colors=_SIXEL_COLOURS)
    pixels = np.asarray(paletted, dtype=np.uint8)
    palette = paletted.getpalette() or []
    height, width = pixels.shape
    used = sorted(int(c) for c in np.unique(pixels))
    out = [f'\x1bPq"1;1;{width};{height}']
    for c in used:
        r, g, b = palette[3 * c : 3 * c + 3]
        out.append(f"#{c};2;{r * 100 // 255};{g * 100 // 255};{b * 100 // 255}")
    weights = (1 << np.arange(6, dtype=np.uint8)).reshape(6, 1)
    for top in range(0, height, 6):
        band = pixels[top : top + 6]
        rows = []
        for c in used:
            mask = band == c
            if not mask.any():
                continue
            bits = (mask * weights[: band.shape[0]]).sum(axis=0).astype(np.uint8) + 63
            rows.append(f"#{c}{_run_length(bits)}")
        out.append("$".join(rows) + "-")
    out.append("\x1b\\\n")
    return "".join(out)


def _run_length(chars: np.ndarray) -> str:
    """Sixel characters with runs written ``!<count><char>``."""
    starts = np.flatnonzero(np.diff(chars.astype(np.int16), prepend=-1))
    ends = np.append(starts[1:], len(chars))
    parts = []
    for start, end in zip(starts, ends, strict=True):
        ch = chr(int(chars[start]))
        count = int(end - start)
        parts.append(f"!{count}{ch}" if count > 3 else ch * count)
    return "".join(parts)


def show(image: Image.Image, protocol: str, out: IO[str] = sys.stdout, columns: int = 80) -> None:
    """Write ``image`` inline in ``protocol``, at most ``columns`` cells wide."""
    cells = max(10, min(columns - 2, 120, image.width // 8 or 10))
    if protocol == KITTY:
        text = kitty(image, cells)
    elif protocol == ITERM:
        text = iterm(image, cells)
    elif protocol == SIXEL:
        text = sixel(image, max_width=cells * 10)
    else:
        raise ValueError(f"unknown image protocol {protocol!r}")
    out.write(text)
    out.flush()
