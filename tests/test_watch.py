"""`digitizer watch`: a real watcher process on a real folder, files written as scanners do.

The watcher is started as an operator's service starts it (a subprocess of the installed
program), files are dropped in its hot folder (some written slowly, with pauses), and the
outcome is read where an operator and the province read it: the processed/ and failed/
folders, the .error.txt notes, and the store.
"""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from digitizer.errors import ConfigurationError
from digitizer.hotfolder.arrivals import SettleTracker, is_ignored, is_whole
from digitizer.hotfolder.folders import hot_folder_layout
from digitizer.hotfolder.originals import Originals, fitted_name, shorten
from digitizer.profiles import OriginalsSettings, load_profile

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


# ------------------------------------------------------------------ small real scans


def _page(text: str, size: tuple[int, int] = (1100, 360)) -> Image.Image:
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 34)
    for i, line in enumerate(text.splitlines()):
        draw.text((40, 40 + 56 * i), line, font=font, fill=0)
    return img


def _scan_bytes(n: int, fmt: str = "PNG", pages: int = 1) -> bytes:
    images = [
        _page(f"THÔNG BÁO số {n}/{p}\nVề việc họp dân cư thôn Đông\nNgày {n % 28 + 1} tháng 3")
        for p in range(pages)
    ]
    buf = io.BytesIO()
    extra = {"save_all": True, "append_images": images[1:]} if pages > 1 else {}
    images[0].save(buf, format=fmt, dpi=(300, 300), **extra)  # type: ignore[arg-type]
    return buf.getvalue()


def _write_slowly(path: Path, data: bytes, chunks: int, delay: float, pause_at: int = -1) -> None:
    """As a scanner over a share writes: piece by piece, once with a long pause."""
    step = max(1, len(data) // chunks)
    with path.open("wb") as fh:
        for i, start in enumerate(range(0, len(data), step)):
            fh.write(data[start : start + step])
            fh.flush()
            time.sleep(3.0 if i == pause_at else delay)


# ------------------------------------------------------------------ arrival rules


def test_temporary_and_hidden_names_are_ignored() -> None:
    for name in (
        "~scan.tif",
        ".scan.pdf",
        "scan.pdf.part",
        "scan.tmp",
        "notes.txt",
        "a.pdf.error.txt",
    ):
        assert is_ignored(name), name
    for name in ("scan.pdf", "SCAN0001.TIF", "page.jpeg", "x.png"):
        assert not is_ignored(name), name


def test_a_truncated_file_is_not_whole(tmp_path: Path) -> None:
    for n, fmt, suffix in (
        (1, "TIFF", ".tif"),
        (2, "PDF", ".pdf"),
        (3, "JPEG", ".jpg"),
        (4, "PNG", ".png"),
    ):
        data = _scan_bytes(n, fmt, pages=3 if fmt in ("TIFF", "PDF") else 1)
        whole = tmp_path / f"whole{suffix}"
        whole.write_bytes(data)
        half = tmp_path / f"half{suffix}"
        half.write_bytes(data[: len(data) * 2 // 3])
        assert is_whole(whole), fmt
        assert not is_whole(half), fmt


def test_a_file_is_ready_only_when_still_and_whole(tmp_path: Path) -> None:
    data = _scan_bytes(5, "TIFF", pages=2)
    path = tmp_path / "scan.tif"
    path.write_bytes(data[:1000])
    tracker = SettleTracker(settle_seconds=2)
    tracker.observe(path, now=100.0)
    assert tracker.ready(now=101.0) == []  # not still long enough
    assert tracker.ready(now=103.0) == []  # still, but cut off: not whole
    with path.open("ab") as fh:
        fh.write(data[1000:])
    tracker.observe(path, now=104.0)  # changed: the clock starts again
    assert tracker.ready(now=105.0) == []
    assert tracker.ready(now=106.5) == [path]
    assert len(tracker) == 0


# ------------------------------------------------------------------ folders and originals


def _profile(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "config" / "scanner_profiles"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "counter.toml"
    path.write_text(f'name = "counter"\n{body}', encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("hot", "processed", "message"),
    [
        ("/srv/in", "/srv/in/done", "must not lie inside one another"),
        ("/srv/out/in", "/srv/out", "must not lie inside one another"),
    ],
)
def test_output_folders_inside_the_hot_folder_are_refused(
    tmp_path: Path, hot: str, processed: str, message: str
) -> None:
    path = _profile(
        tmp_path,
        f'[hot_folder]\npaths = ["{tmp_path}{hot}"]\n'
        f'[originals]\nprocessed = "{tmp_path}{processed}"\n',
    )
    with pytest.raises(ConfigurationError, match=message):
        hot_folder_layout(load_profile(path), tmp_path / "home")


def test_a_profile_key_error_names_file_and_key(tmp_path: Path) -> None:
    path = _profile(tmp_path, '[hot_folder]\npolling = "yes"\n')
    with pytest.raises(
        ConfigurationError, match=r"counter.toml: 'hot_folder.polling' must be true"
    ):
        load_profile(path)


def test_long_names_are_cut_to_fit_keeping_suffix_and_whole_letters() -> None:
    nfc = "Quyết định cấp giấy chứng nhận quyền sử dụng đất số " * 8 + ".tif"
    nfd = unicodedata.normalize("NFD", nfc)
    for name in (nfc, nfd):
        for number in (1, 2, 137):
            fitted = fitted_name(name, 245, number)
            assert len(fitted.encode("utf-8")) <= 245
            assert fitted.endswith(f"-{number}.tif" if number > 1 else ".tif")
            stem = fitted.removesuffix(".tif").removesuffix(f"-{number}")
            assert name.startswith(stem)
            assert not unicodedata.combining(name[len(stem)])  # no accent cut off its letter
    assert fitted_name("scan0001.pdf", 245, 2) == "scan0001-2.pdf"
    assert shorten("đ" * 10, 5) == "đđ"  # two bytes each: never half a letter


def test_originals_are_filed_by_date_and_never_overwritten(tmp_path: Path) -> None:
    settings = OriginalsSettings("move", tmp_path / "processed", tmp_path / "failed")
    originals = Originals(settings, settings.processed, settings.failed)
    inbox = tmp_path / "in"
    inbox.mkdir()
    for content in (b"first", b"second"):
        (inbox / "scan.pdf").write_bytes(content)
        originals.done(inbox / "scan.pdf")
    filed = sorted((tmp_path / "processed").rglob("*.pdf"))
    assert [p.read_bytes() for p in filed] == [b"second", b"first"]  # scan-2.pdf sorts first
    (inbox / "bad.tif").write_bytes(b"junk")
    target = originals.failed_with(inbox / "bad.tif", "not a scan")
    assert target.read_bytes() == b"junk"
    assert "not a scan" in target.with_name("bad.tif.error.txt").read_text(encoding="utf-8")
    assert not any(inbox.iterdir())


# ------------------------------------------------------------------ the real watcher


class _Service:
    """A `digitizer watch` process on a throw-away home and config."""

    def __init__(self, tmp_path: Path, settle: int = 1, profile_extra: str = "") -> None:
        self.home = tmp_path / "home"
        self.inbox = tmp_path / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)
        config = tmp_path / "config"
        (config / "scanner_profiles").mkdir(parents=True, exist_ok=True)
        for name in ("pipelines", "schemas"):
            if not (config / name).exists():
                (config / name).symlink_to(ROOT / name)
        (config / "scanner_profiles" / "counter.toml").write_text(
            'name = "counter"\npipeline = "hotfolder"\n'
            f'[hot_folder]\npaths = ["{self.inbox}"]\nsettle_seconds = {settle}\n' + profile_extra,
            encoding="utf-8",
        )
        self.config = config
        self.proc: subprocess.Popen[str] | None = None
        self.log = tmp_path / "watch.log"

    def start(self, *extra: str, umask: int = -1, own_session: bool = False) -> None:
        """Start ``digitizer watch``; ``umask`` as a service's (-1: this process's), and in
        a session (and process group) of its own if asked."""
        env = dict(os.environ, OMP_THREAD_LIMIT="1")
        env.pop("DIGITIZER_DB_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digitizer",
                "--home",
                str(self.home),
                "--config",
                str(self.config),
                "watch",
                "--profile",
                "counter",
                "--workers",
                "2",
                *extra,
            ],
            # a file, not a pipe: a test must not hang on pipes held by any straggler
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a", encoding="utf-8"),
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
            umask=umask,
            start_new_session=own_session,
        )

    def filed(self) -> list[Path]:
        folders = [self.home / "originals" / "processed", self.home / "originals" / "failed"]
        return sorted(
            p
            for f in folders
            if f.exists()
            for p in f.rglob("*")
            if p.is_file() and not p.name.endswith(".error.txt")
        )

    def wait_filed(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.filed()) < count:
            assert self.proc is not None and self.proc.poll() is None, self.stderr()
            assert time.monotonic() < deadline, f"only {len(self.filed())} of {count} filed"
            time.sleep(0.3)

    def stderr(self) -> str:
        return self.log.read_text(encoding="utf-8") if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=120), self.stderr()

    def documents(self) -> list[tuple[str, str]]:
        db = sqlite3.connect(self.home / "digitizer.db")
        try:
            return db.execute("select sha256, source_name from documents").fetchall()
        finally:
            db.close()


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc: children's children included)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.fixture
def service(tmp_path: Path) -> Iterator[_Service]:
    svc = _Service(tmp_path)
    yield svc
    if svc.proc is not None and svc.proc.poll() is None:
        svc.proc.kill()
        svc.proc.wait()


def test_slow_writes_are_taken_whole_and_originals_filed(service: _Service) -> None:
    service.start()
    slow = _scan_bytes(1, "TIFF", pages=3)
    writer = threading.Thread(
        target=_write_slowly, args=(service.inbox / "slow.tif", slow, 12, 0.4, 5)
    )
    writer.start()  # ~7 s in all, with a 3 s pause: longer than the 1 s settle time
    (service.inbox / "quick.png").write_bytes(_scan_bytes(2))
    (service.inbox / "broken.pdf").write_bytes(b"%PDF-1.7 not really\n%%EOF\n")
    (service.inbox / "~scan0003.tmp").write_bytes(b"scanner still writing")
    writer.join()
    service.wait_filed(3, timeout=120)
    code, stderr = service.stop()
    assert code == 0, stderr
    by_name = {p.name: p for p in service.filed()}
    assert set(by_name) == {"slow.tif", "quick.png", "broken.pdf"}
    assert by_name["slow.tif"].read_bytes() == slow  # moved whole, untouched
    assert "processed" in by_name["slow.tif"].parts and "failed" in by_name["broken.pdf"].parts
    note = by_name["broken.pdf"].with_name("broken.pdf.error.txt").read_text(encoding="utf-8")
    assert "pdf" in note.lower()
    assert (service.inbox / "~scan0003.tmp").exists()  # a scanner's temporary file is left alone
    db = sqlite3.connect(service.home / "digitizer.db")
    pages = db.execute(
        "select count(*) from pages join documents d on d.id = pages.document_id "
        "where d.source_name = 'slow.tif'"
    ).fetchone()[0]
    db.close()
    assert pages == 3  # never processed half-written


def test_sigkill_mid_run_loses_nothing_and_registers_nothing_twice(service: _Service) -> None:
    service.start()
    expected: dict[str, bytes] = {}
    slow_writers = []
    for n in range(50):
        name = f"scan{n:04d}.png" if n % 10 else f"scan{n:04d}.tif"
        data = _scan_bytes(100 + n, "PNG" if n % 10 else "TIFF", pages=1 if n % 10 else 2)
        expected[name] = data
        if n % 10 == 0:  # some written slowly, while the watcher works
            t = threading.Thread(target=_write_slowly, args=(service.inbox / name, data, 6, 0.3))
            t.start()
            slow_writers.append(t)
        else:
            (service.inbox / name).write_bytes(data)
    service.wait_filed(12, timeout=180)
    assert service.proc is not None
    workers = _descendants(service.proc.pid)
    assert workers, "the watcher runs its work in child processes"
    service.proc.kill()  # mid-run: files in flight, outputs half-written, originals unfiled
    service.proc.wait()
    deadline = time.monotonic() + 15
    while any(Path(f"/proc/{pid}").exists() for pid in workers):  # no orphan keeps working
        assert time.monotonic() < deadline, "worker processes outlived the killed watcher"
        time.sleep(0.2)
    for t in slow_writers:
        t.join()
    assert len(service.filed()) < 50
    service.start()
    service.wait_filed(50, timeout=300)
    code, stderr = service.stop(signal.SIGINT)
    assert code == 0, stderr
    filed = service.filed()
    assert sorted(p.name for p in filed) == sorted(expected)  # every original, once
    assert all(p.read_bytes() == expected[p.name] for p in filed)
    assert all("processed" in p.parts for p in filed), [p for p in filed if "failed" in p.parts]
    assert not any(service.inbox.iterdir())
    documents = service.documents()
    assert len(documents) == 50
    assert len({sha for sha, _ in documents}) == 50
