"""``digitizer stats`` and ``digitizer report``: the rates per commune."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
