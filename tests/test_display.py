"""Hostile file names reach a terminal, a log and a spreadsheet as inert text."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

from digitizer.display import PrintableFormatter, markup_safe, printable, spreadsheet_cell
from tests.cli import run_digitizer

FORMULAS = ["=cmd|' -C calc'!A0.tif", "+1+cmd.jpg", "@SUM(1+1).pdf", "-2+3.png"]


def test_control_characters_are_escaped() -> None:
    assert printable("a\x1b[31mred\x07\r\n\x9b\u202eb") == (
        "a\\x1b[31mred\\x07\\x0d\\x0a\\x9b\\u202eb"
    )
    assert printable("Nguyễn Văn Ánh – hồ sơ 1.pdf") == "Nguyễn Văn Ánh – hồ sơ 1.pdf"
    assert markup_safe("[red]x[/]") == "\\[red]x\\[/]"


def test_spreadsheet_cells_never_start_a_formula() -> None:
    for value in [*FORMULAS, "\tx", "\rx"]:
        assert spreadsheet_cell(value) == "'" + value
    assert spreadsheet_cell("scan 1.tif") == "scan 1.tif"
    assert spreadsheet_cell("") == ""


def test_log_lines_cannot_forge_lines_or_send_escapes() -> None:
    formatter = PrintableFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord(
        "x", logging.WARNING, "f", 1, "%s failed", ("a\nERROR forged\x1b]0;t",), None
    )
    assert formatter.format(record) == "WARNING a\\x0aERROR forged\\x1b]0;t failed"


def test_failures_csv_neutralises_formulas(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    for name in FORMULAS:
        (inbox / name).write_bytes(f"not a scan: {name}\n".encode())
    report = tmp_path / "failures.csv"
    done = run_digitizer(
        tmp_path / "home",
        "batch",
        ".",  # the sources as the operator named them: bare file names
        "--profile",
        "archive-land",
        "--failures-csv",
        str(report),
        cwd=inbox,
    )
    assert done.returncode == 1, done.stderr
    with report.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(FORMULAS)
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert sorted(row["source"] for row in rows) == sorted(f"'{name}" for name in FORMULAS)


def test_result_table_shows_a_hostile_name_inert(tmp_path: Path) -> None:
    name = "scan\x1b[2J\x1b[31m[bold]evil[red].png"
    bad = tmp_path / name
    bad.write_bytes(b"not a scan\n")
    done = run_digitizer(tmp_path / "home", "process", str(bad))
    assert done.returncode == 1
    shown = done.stdout + done.stderr
    assert "\x1b" not in shown
    assert "\\x1b[2J" in shown.replace("\n", "")
    assert "[bold]evil" in shown.replace("\n", "")
