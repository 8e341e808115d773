"""The clerk's keyboard: one key per decision at a terminal, one line per decision otherwise.

At a terminal a decision is one key press (no Enter), read in cbreak mode so that Ctrl-C
still interrupts; a corrected value is typed as a normal line, with the terminal's own line
editing and input method (Vietnamese keyboards compose in the terminal, not here). When
input is not a terminal (a script, a pipe), each line is a decision: its first character is
the key, an empty line is Enter, and the line after a ``c`` is the value.
"""

from __future__ import annotations

import os
import select
import sys
import termios
import tty
from typing import TextIO

ENTER = "\n"
QUIT = "q"
_ESCAPE_DRAIN_S = 0.05


class Keyboard:
    def __init__(self, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout
        try:
            self.fd: int | None = self.stdin.fileno() if self.stdin.isatty() else None
        except (OSError, ValueError):
            self.fd = None

    @property
    def is_tty(self) -> bool:
        return self.fd is not None

    def key(self, prompt: str) -> str:
        """One decision key, lower-cased; Enter is ``ENTER``; end of input is ``QUIT``."""
        self.out.write(prompt)
        self.out.flush()
        if self.fd is None:
            line = self.stdin.readline()
            if not line:
                self.out.write("\n")
                return QUIT
            self.out.write("\n")  # what a terminal would have echoed
            line = line.strip()
            return line[0].lower() if line else ENTER
        while True:
            ch = self._read_key(self.fd)
            if ch:
                self.out.write("\n")
                return ch

    def _read_key(self, fd: int) -> str:
        saved = termios.tcgetattr(fd)
        try:
            tty.setcbreak(fd, termios.TCSANOW)
            data = os.read(fd, 1)
            if data == b"\x1b":  # an arrow or function key: its sequence is ignored
                while select.select([fd], [], [], _ESCAPE_DRAIN_S)[0]:
                    os.read(fd, 16)
                return ""
        finally:
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        if not data or data == b"\x04":  # Ctrl-D
            return QUIT
        if data in (b"\r", b"\n"):
            return ENTER
        return data.decode("ascii", "ignore").lower()

    def line(self, prompt: str) -> str | None:
        """A typed value; None at end of input."""
        self.out.write(prompt)
        self.out.flush()
        line = self.stdin.readline()
        if self.fd is None:
            self.out.write("\n")
        if not line:
            return None
        return line.rstrip("\r\n")
