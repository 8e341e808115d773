"""Where things live: the home folder (state) and the configuration folders.

State (database, archive of signed PDFs, keys) lives under ``$DIGITIZER_HOME`` or
``--home``; configuration (``scanner_profiles/``, ``pipelines/``, ``schemas/``) is read from
``$DIGITIZER_CONFIG`` if set, else from the checkout the package runs from, so that an
office edits files, not code.
"""

from __future__ import annotations

import os
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from digitizer.errors import ConfigurationError


def read_toml(path: Path) -> dict[str, Any]:
    """An office's configuration file as a table; any problem is one line naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"{path}: not valid TOML: {exc}") from exc


def default_home() -> Path:
    env = os.environ.get("DIGITIZER_HOME")
    if env:
        return Path(env).expanduser()
    data = os.environ.get("XDG_DATA_HOME")
    base = Path(data).expanduser() if data else Path.home() / ".local" / "share"
    return base / "digitizer"


def default_config_root() -> Path:
    env = os.environ.get("DIGITIZER_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class Layout:
    """The folders of one installation."""

    home: Path
    config_root: Path

    @property
    def database(self) -> Path:
        return self.home / "digitizer.db"

    @property
    def archive(self) -> Path:
        return self.home / "archive"

    @property
    def work(self) -> Path:
        """Intermediate files (unsigned PDFs) of runs in progress; never in the archive."""
        return self.home / "work"

    def recorded(self, path: Path | str) -> str:
        return recorded_path(self.home, path)

    def resolve(self, recorded: str) -> Path:
        return resolve_recorded(self.home, recorded)

    @property
    def doctype_model(self) -> Path:
        """The learned document-type model (``digitizer classifier train``)."""
        return self.home / "models" / "doctype.pkl"

    @property
    def keys(self) -> Path:
        return self.home / "keys"

    @property
    def profiles_dir(self) -> Path:
        return self.config_root / "scanner_profiles"

    @property
    def schemas_dir(self) -> Path:
        return self.config_root / "schemas"

    @property
    def pipelines_dir(self) -> Path:
        return self.config_root / "pipelines"

    def prepare(self) -> None:
        """Create the state folders (not the config ones: those are the office's files)."""
        try:
            for folder in (self.home, self.archive, self.work):
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create the home folder {self.home}: {exc.strerror}; "
                "set DIGITIZER_HOME or --home to a writable folder"
            ) from exc
        self._sweep_work()

    def _sweep_work(self, max_age_s: float = 86_400) -> None:
        """Remove intermediates a killed run left behind (a day old: no run takes that long):
        unsigned PDFs in work/, and the hidden partial files of a signature or a merge beside
        their archive name (``check`` would list them as unknown files)."""
        now = time.time()
        partials = (*self.archive.glob("*/.*.tmp"), *self.archive.glob("*/.*.merge"))
        for leftover in (*self.work.glob("*.pdf"), *partials):
            try:
                if now - leftover.stat().st_mtime > max_age_s:
                    leftover.unlink()
            except OSError:
                continue


def recorded_path(home: Path, path: Path | str) -> str:
    """How the store records a file of ``home``: relative to the home, so that a home copied
    or moved elsewhere (a restore, a new disk) still finds its files; a file outside the home
    is recorded as it is."""
    try:
        return Path(path).resolve().relative_to(home.resolve()).as_posix()
    except ValueError:
        return str(path)


def resolve_recorded(home: Path, recorded: str) -> Path:
    """The file a store record names: a relative path is taken in ``home``. An absolute one
    (stores before this version) is kept, unless it is gone and names an archive file
    (``…/archive/<id[:2]>/<id>.pdf``): a copied home's own file is then found."""
    path = home / recorded
    parts = path.parts
    if path.is_absolute() and not path.exists() and len(parts) > 3 and parts[-3] == "archive":
        moved = home / "archive" / parts[-2] / parts[-1]
        if moved.exists():
            return moved
    return path
