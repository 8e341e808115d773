"""The folder layout of a hot-folder profile, checked before anything is watched or moved.

An output folder inside a hot folder would be watched and its files taken again as new
scans; a hot folder inside an output folder would have its scans filed away. Either loops
or loses work, so both are refused at start-up with the profile and the two folders named.
A symlink in the hot folder that leads outside it is refused too: the watcher must never
move (or be tricked into reading) a file that is not the scanner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digitizer.errors import ConfigurationError
from digitizer.profiles import ScannerProfile, expand_path


@dataclass(frozen=True, slots=True)
class HotFolderLayout:
    """A profile's folders with ``${DIGITIZER_HOME}``, ``$VARS`` and ``~`` expanded."""

    inputs: tuple[Path, ...]
    processed: Path
    failed: Path


def hot_folder_layout(profile: ScannerProfile, home: Path) -> HotFolderLayout:
    """The expanded, resolved folders of ``profile``, or one line saying what is wrong."""
    where = f"{profile.source}"
    if not profile.hot_folder.paths:
        raise ConfigurationError(f"{where}: '[hot_folder] paths' is empty: nothing to watch")
    inputs = tuple(expand_path(p, home).resolve() for p in profile.hot_folder.paths)
    processed = expand_path(profile.originals.processed, home).resolve()
    failed = expand_path(profile.originals.failed, home).resolve()
    outputs = {"processed": processed, "failed": failed, "DIGITIZER_HOME": home.resolve()}
    for folder in inputs:
        for label, out in outputs.items():
            if label == "DIGITIZER_HOME":
                if folder == out or out.is_relative_to(folder):
                    raise ConfigurationError(
                        f"{where}: the hot folder {folder} holds the state folder {out}"
                    )
                continue
            if out.is_relative_to(folder) or folder.is_relative_to(out):
                raise ConfigurationError(
                    f"{where}: the {label} folder {out} and the hot folder {folder} must not "
                    "lie inside one another"
                )
    return HotFolderLayout(inputs, processed, failed)


def inside(path: Path, folder: Path) -> bool:
    """``path`` (following symlinks) really lies in ``folder`` (resolved)."""
    try:
        return path.resolve().is_relative_to(folder)
    except OSError:
        return False
