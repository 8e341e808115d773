"""Where an original goes once its fate is known — never before, and never to nowhere.

Success: ``processed/YYYY/MM/DD/<name>`` (or left where it is, per profile), only after the
signed PDF and its record are durable. Failure: ``failed/<name>`` with ``<name>.error.txt``
beside it saying why, in words an operator can act on. A name already taken gets a numbered
suffix: two scanners both writing ``scan0001.pdf`` on the same day lose nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from digitizer.durable import durable_move, fsync_dir
from digitizer.profiles import OriginalsSettings

log = logging.getLogger(__name__)


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.suffix`` … when that is taken."""
    candidate = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    n = 2
    while candidate.exists() or candidate.with_name(candidate.name + ".error.txt").exists():
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate


class Originals:
    """Moves originals per the profile's ``[originals]`` settings (paths already expanded)."""

    def __init__(self, settings: OriginalsSettings, processed: Path, failed: Path) -> None:
        self.settings = settings
        self.processed = processed
        self.failed = failed

    def done(self, original: Path, when: dt.datetime | None = None) -> Path:
        """The result is durable: file the original under today's date (or keep it)."""
        if self.settings.after_success == "keep":
            return original
        when = when or dt.datetime.now()
        folder = self.processed / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
        folder.mkdir(parents=True, exist_ok=True)
        target = free_name(folder, original.name)
        durable_move(original, target)
        log.info("%s -> %s", original, target)
        return target

    def failed_with(self, original: Path, reason: str) -> Path:
        """The pipeline rejected the file: keep it, with the reason beside it."""
        self.failed.mkdir(parents=True, exist_ok=True)
        target = free_name(self.failed, original.name)
        note = target.with_name(target.name + ".error.txt")
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        note.write_text(f"{original}\n{stamp}\n{reason}\n", encoding="utf-8")
        durable_move(original, target)
        fsync_dir(note.parent)
        log.warning("%s failed (%s) -> %s", original, reason, target)
        return target
