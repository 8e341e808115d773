"""``digitizer report --html``: rendered by a real browser (headless Chromium), then checked
for what a department head sees: the communes, the rates as text, bars whose drawn lengths
follow the rates, and a page that is not blank.

The store is the one of tests/test_stats.py; for the period 2024 its figures are
07210 Trần Phú 5 received, 3 digitized (60 %), 2 reused (40 %); 07213 Song Mai 2, 1 (50 %),
0 (0 %); 07216 Đồng Sơn nothing received; no unit 1, 0, 0; total 8, 4 (50 %), 2 (25 %).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitizer.report import render_html
from digitizer.store import Store, default_url
from digitizer.store.models import Unit
from digitizer.store.rates import commune_rates
from tests.cli import run_digitizer
from tests.test_stats import fill_store

ROOT = Path(__file__).resolve().parent.parent
DIGITIZATION_BLUE = (0x1F, 0x6F, 0xB2)  # --dig in digitizer/data/report.css
REUSE_ORANGE = (0xD9, 0x73, 0x0D)  # --reuse
BAR_PLOT_WIDTH = 520  # digitizer.report._PLOT_W: a 100 % bar


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("headless Chromium is needed: apt-get install -y chromium", pytrace=False)
    return found


def _browser(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp / "chromium-profile"
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, HOME=str(tmp)),
    )


class _Shown(HTMLParser):
    """The DOM as Chromium dumped it: bars, table rows (their text), everything's text."""

    def __init__(self) -> None:
        super().__init__()
        self.bars: dict[tuple[str, str], dict[str, str]] = {}
        self.rows: dict[str, list[str]] = {}
        self.text: list[str] = []
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if tag == "rect" and "bar" in classes:
            kind = "digitization" if "digitization" in classes else "reuse"
            self.bars[a["data-unit"], kind] = a
        elif tag == "tr" and "data-unit" in a:
            self._row = "TOTAL" if "total" in classes else a["data-unit"]
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The report of the year 2024 written by the real CLI from a small SQLite store."""
    home = tmp_path_factory.mktemp("home")
    store = Store(default_url(home))
    fill_store(store)
    store.close()
    out = home / "bao-cao" / "ty-le-2024.html"
    done = run_digitizer(
        home,
        *("report", "--html", str(out), "--from", "2024-01-01", "--to", "2024-12-31", "--json"),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return out, json.loads(done.stdout)


def test_report_is_one_offline_file(report_file: tuple[Path, dict[str, object]]) -> None:
    path, summary = report_file
    assert summary["html"] == str(path) and summary["units"] == 4 and summary["months"] == 3
    page = path.read_text(encoding="utf-8")
    # nothing to fetch: no scripts, no external style sheets, fonts or images
    for needle in ("<script", "<link", "http://", "https://", "@import", "url("):
        assert needle not in page, needle
    assert "<style>" in page and page.count("<svg") == 2


def test_report_as_chromium_renders_it(
    report_file: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = report_file
    done = _browser(tmp_path, "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    shown = _Shown()
    shown.feed(done.stdout)
    text = " ".join(" ".join(shown.text).split())
    for commune in ("Phường Trần Phú", "Xã Song Mai", "Xã Đồng Sơn"):
        assert commune in text
    assert "Từ 01/01/2024 đến 31/12/2024" in text
    # the table: received, digitized, rate, reused, rate, awaiting review
    assert shown.rows["07210"][1:7] == ["5", "3", "60,00 %", "2", "40,00 %", "1"]
    assert shown.rows["07213"][1:7] == ["2", "1", "50,00 %", "0", "0,00 %", "2"]
    assert shown.rows["07216"][1:7] == ["0", "0", "—", "0", "—", "0"]
    assert shown.rows["TOTAL"][1:6] == ["8", "4", "50,00 %", "2", "25,00 %"]
    assert "Giấy tiếp nhận hồ sơ: 3" in shown.rows["07210"][7]
    # bars: a length proportional to the rate, none for a commune with nothing received
    widths = {key: float(a["width"]) for key, a in shown.bars.items()}
    assert widths["07210", "digitization"] == pytest.approx(0.60 * BAR_PLOT_WIDTH)
    assert widths["07210", "reuse"] == pytest.approx(0.40 * BAR_PLOT_WIDTH)
    assert widths["07213", "digitization"] == pytest.approx(0.50 * BAR_PLOT_WIDTH)
    assert widths["07213", "reuse"] == 0
    assert ("07216", "digitization") not in shown.bars
    assert "không có hồ sơ / no dossiers" in text


def _bands(pixels: np.ndarray, colour: tuple[int, int, int], min_run: int) -> list[int]:
    """Lengths of the horizontal bars of one colour in a screenshot: for each band of
    consecutive pixel rows holding a run of at least ``min_run`` pixels, its longest run."""
    mask = np.all(pixels[:, :, :3] == colour, axis=2)
    longest = []
    for row in mask:
        edges = np.flatnonzero(np.diff(np.concatenate(([0], row.astype(np.int8), [0]))))
        longest.append(int((edges[1::2] - edges[0::2]).max()) if edges.size else 0)
    bands: list[int] = []
    inside = False
    for n in longest:
        if n >= min_run and not inside:
            bands.append(n)
        elif n >= min_run:
            bands[-1] = max(bands[-1], n)
        inside = n >= min_run
    return bands


def test_report_screenshot_shows_bars_in_proportion(
    report_file: tuple[Path, dict[str, object]], tmp_path: Path
) -> None:
    path, _ = report_file
    shot = tmp_path / "report.png"
    done = _browser(tmp_path, "--window-size=1200,1800", f"--screenshot={shot}", path.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape[:2] == (1800, 1200)
    packed = (pixels[:, :, 0].astype(np.int32) << 16) | (pixels[:, :, 1].astype(np.int32) << 8)
    assert len(np.unique(packed | pixels[:, :, 2])) > 50  # not a blank page
    # drawn bars (the legend's swatches and the text are far shorter than 100 px)
    blue = _bands(pixels, DIGITIZATION_BLUE, 100)
    orange = _bands(pixels, REUSE_ORANGE, 100)
    assert len(blue) == 2 and len(orange) == 1, (blue, orange)
    trần_phú, song_mai = blue
    assert trần_phú / song_mai == pytest.approx(0.60 / 0.50, rel=0.02)
    assert orange[0] / trần_phú == pytest.approx(0.40 / 0.60, rel=0.02)


def test_report_without_dossiers_and_with_odd_names(tmp_path: Path) -> None:
    """A commune with nothing received gets no bar and no 0 %; names are text, not HTML."""
    store = Store(default_url(tmp_path))
    with store.session() as s, s.begin():
        s.add(Unit(code="26734", name='Xã <Tân> & "Mới"', level="commune"))
    by_unit = commune_rates(store)
    by_month = commune_rates(store, by_month=True)
    store.close()
    page = render_html(by_unit, by_month, dt.datetime(2025, 1, 2, 8, 0))
    assert "Xã &lt;Tân&gt; &amp; &quot;Mới&quot; (26734)" in page
    assert '<rect class="bar' not in page
    assert "không có hồ sơ / no dossiers" in page
    assert "chưa có dữ liệu theo tháng / no monthly data" in page
    assert "Toàn bộ thời gian / all time" in page
