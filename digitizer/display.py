"""Untrusted text made safe for the places people read it: a terminal, a log, a spreadsheet.

File names, OCR text, dossier fields and unit names come from scanners, CSV exports and
other people's stores. Printed as they are, an escape sequence in a file name rewrites the
operator's terminal (or hides a line of the log), ``[red]`` is taken as markup by the tables,
and a cell that begins with ``=`` runs as a formula when the office opens the failures CSV in
Excel or LibreOffice. Each place where such text leaves the program passes it through one of
these functions.
"""

from __future__ import annotations

import logging
import re

from rich.markup import escape

# C0 and C1 controls, DEL, and the Unicode controls that reorder or hide what follows
# (bidirectional overrides and isolates, the line and paragraph separators).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """``value`` as text with every control character shown as ``\\xNN`` (``\\uNNNN``)."""
    return _CONTROL.sub(_escaped, str(value))


def markup_safe(value: object) -> str:
    """``value`` for a rich table or a markup string: controls escaped, markup inert."""
    return escape(printable(value))


def spreadsheet_cell(value: object) -> str:
    """A CSV cell a spreadsheet will show, never evaluate (OWASP's rule on CSV injection):
    a cell beginning with ``= + - @``, a tab or a carriage return gets a leading ``'``."""
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


class PrintableFormatter(logging.Formatter):
    """Log lines with control characters escaped: a hostile file name named in a message
    cannot forge a line of its own or send escape sequences to whoever reads the log."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return printable(super().formatMessage(record))

    def formatException(self, ei: object) -> str:
        text = super().formatException(ei)  # type: ignore[arg-type]
        return "\n".join(printable(line) for line in text.splitlines())
