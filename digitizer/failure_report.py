"""The failures CSV of a batch: the files the archive staff must look at, with their reason.

Opened in a spreadsheet by people who are not IT: UTF-8 with a BOM (else Vietnamese names
are garbled), and every cell neutralised against formula injection
(:func:`digitizer.display.spreadsheet_cell`): a file name is untrusted input.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING

from digitizer.display import spreadsheet_cell
from digitizer.errors import ConfigurationError

if TYPE_CHECKING:
    from digitizer.batch import FileReport

FAILURE_COLUMNS = ("source", "sha256", "error")


def default_failures_path(home: Path, started: dt.datetime) -> Path:
    return home / "reports" / f"batch-{started:%Y%m%d-%H%M%S}-failures.csv"


class FailureReport:
    """The failures CSV, one row written (and flushed) per failure as it happens.

    Rows are never held in memory, and an interrupted batch still leaves the failures it
    met. The default file is created at the first failure only; a file the user named is
    (re)written at the start, so it can never show an earlier run's list. UTF-8 with a BOM:
    the archive staff open it in a spreadsheet, which otherwise garbles Vietnamese names.
    """

    def __init__(self, path: Path, *, named_by_user: bool) -> None:
        self.path = path
        self.rows = 0
        self._fh: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None
        if path.is_dir():
            raise ConfigurationError(f"--failures-csv {path} is a folder; name a file in it")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(
                f"cannot create {path.parent} for the failures report: {exc.strerror}"
            ) from exc
        if not os.access(path.parent, os.W_OK):
            raise ConfigurationError(f"cannot write the failures report in {path.parent}")
        if named_by_user:
            self._open()

    def _open(self) -> csv.DictWriter[str]:
        if self._writer is None:
            try:
                self._fh = self.path.open("w", encoding="utf-8-sig", newline="")
            except OSError as exc:
                raise ConfigurationError(
                    f"cannot write the failures report {self.path}: {exc.strerror}"
                ) from exc
            self._writer = csv.DictWriter(self._fh, fieldnames=FAILURE_COLUMNS)
            self._writer.writeheader()
        return self._writer

    @property
    def written(self) -> Path | None:
        return self.path if self._writer is not None else None

    def add(self, report: FileReport) -> None:
        record = report.record
        row = {
            "source": report.source,
            "sha256": record.get("sha256") or "",
            "error": record.get("error") or "",
        }
        self._open().writerow({key: spreadsheet_cell(value) for key, value in row.items()})
        assert self._fh is not None
        self._fh.flush()
        self.rows += 1

    def __enter__(self) -> FailureReport:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fh is not None:
            self._fh.close()
