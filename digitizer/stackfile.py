"""A stack manifest: the page files of a one-file-per-page scanner that make one document.

Why a file and not a list in memory: the run, its journal and its registration all key on
one input file and its SHA-256. The manifest lists each page file with its own SHA-256, so
its hash names the document by its content (the same pages give the same manifest, and so
the same document, after a crash and a regrouping), and a page that changed after grouping
is caught before anything is signed.

Manifests are read only from the run's own work folder (``<home>/work/stacks``): a file
dropped into a hot folder that merely looks like one is refused, so nobody can make the
pipeline read files elsewhere on the disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from digitizer.digest import sha256_of
from digitizer.durable import fsync_dir

MAGIC = b"digitizer-stack/1\n"


@dataclass(frozen=True, slots=True)
class StackPage:
    path: Path
    sha256: str


@dataclass(frozen=True, slots=True)
class StackManifest:
    """The pages of one document, in order; ``separators`` are the sheets that cut it off
    (filed with it, left out of the PDF); ``dossier_code`` links it to a dossier."""

    pages: tuple[StackPage, ...]
    separators: tuple[Path, ...] = ()
    dossier_code: str | None = None

    @property
    def originals(self) -> list[Path]:
        """Every scanned file this document answers for (pages and separator sheets)."""
        return [p.path for p in self.pages] + list(self.separators)

    def to_bytes(self) -> bytes:
        body = {
            "pages": [{"path": str(p.path), "sha256": p.sha256} for p in self.pages],
            "separators": [str(p) for p in self.separators],
            "dossier_code": self.dossier_code,
        }
        return MAGIC + json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")

    def write(self, folder: Path, name: str) -> Path:
        """Write durably as ``folder/name.stack`` (temporary file, fsync, rename)."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.stack"
        staging = folder / f".{name}.{os.getpid()}.tmp"
        with staging.open("wb") as fh:
            fh.write(self.to_bytes())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(staging, path)
        fsync_dir(folder)
        return path


def is_manifest(head: bytes) -> bool:
    return head.startswith(MAGIC)


def read_manifest(path: Path) -> StackManifest:
    """Parse a manifest; ``ValueError`` if it is not one."""
    data = path.read_bytes()
    if not is_manifest(data):
        raise ValueError(f"{path.name} is not a stack manifest")
    body = json.loads(data[len(MAGIC) :])
    return StackManifest(
        pages=tuple(StackPage(Path(p["path"]), str(p["sha256"])) for p in body["pages"]),
        separators=tuple(Path(p) for p in body.get("separators", [])),
        dossier_code=body.get("dossier_code"),
    )


def manifest_for(
    pages: Iterable[Path], separators: Iterable[Path] = (), dossier_code: str | None = None
) -> StackManifest:
    return StackManifest(
        pages=tuple(StackPage(p, sha256_of(p)) for p in pages),
        separators=tuple(separators),
        dossier_code=dossier_code,
    )
