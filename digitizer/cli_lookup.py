"""``digitizer lookup``, ``reuse``, ``dossiers``, ``units``: finding and reusing digitized data."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app (called once by :mod:`digitizer.cli`)."""
