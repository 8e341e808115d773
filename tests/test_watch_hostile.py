"""`digitizer watch` against what an unlucky office or an attacker puts in its way.

Each test runs the real watcher (a subprocess of the installed program, as a service runs
it) on a real hot folder: a FIFO where a scan should be, names at the file system's limit,
an original that cannot be filed, a 13000 x 13000 TIFF, a SIGKILL while a worker's helper
program renders a heavy page, and a service's umask of 022. Every wait has a deadline, so a
watcher that hangs fails the test instead of hanging it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import struct
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path
from typing import Literal

import pikepdf
import pytest

from digitizer.hotfolder.arrivals import Arrival, examine
from digitizer.ingest import IngestLimits
from tests.test_watch import _descendants, _scan_bytes, _Service, service

__all__ = ["service"]  # the fixture of tests/test_watch.py, used here too

BROKEN_PDF = b"%PDF-1.7 not really\n%%EOF\n"
NAME_BYTES = 250


# ------------------------------------------------------------------ helpers


def _journal(home: Path, event: str) -> list[str]:
    """The source paths of the journal's ``event`` entries (none while there is no store)."""
    path = home / "digitizer.db"
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("select source_path from journal where event = ?", (event,))
        return [str(r[0]) for r in rows.fetchall()]
    except sqlite3.OperationalError:  # the watcher is still making its tables
        return []
    finally:
        db.close()


def _long_name(suffix: str, form: Literal["NFC", "NFD"] = "NFC") -> str:
    """A Vietnamese file name of exactly ``NAME_BYTES`` bytes in UTF-8 (a letter is 1-3)."""
    words = unicodedata.normalize(form, "Quyết định cấp giấy chứng nhận quyền sử dụng đất ")
    stem = ""
    room = NAME_BYTES - len(suffix)
    for char in words * 10:
        if len((stem + char).encode("utf-8")) > room:
            break
        stem += char
    stem += "x" * (room - len(stem.encode("utf-8")))
    name = stem + suffix
    assert len(name.encode("utf-8")) == NAME_BYTES
    return name


def _huge_tiff(path: Path, side: int = 13000) -> None:
    """An RGB TIFF whose header says side x side pixels (507 MB decoded) in about 100 KB:
    one-row PackBits strips of white, every strip pointing at the same bytes."""
    row_bytes = side * 3
    row = b"\x81\xff" * (row_bytes // 128)  # 128 x 0xff per two bytes
    if row_bytes % 128:
        row += bytes([257 - row_bytes % 128, 0xFF])
    entries = 10
    ifd_end = 8 + 2 + 12 * entries + 4
    bps_at, row_at = ifd_end, ifd_end + 6
    offsets_at = row_at + len(row)
    counts_at = offsets_at + 4 * side

    def entry(tag: int, kind: int, count: int, value: bytes) -> bytes:
        return struct.pack("<HHI", tag, kind, count) + value.ljust(4, b"\0")

    short, long_ = 3, 4
    ifd = b"".join(
        [
            struct.pack("<H", entries),
            entry(256, long_, 1, struct.pack("<I", side)),
            entry(257, long_, 1, struct.pack("<I", side)),
            entry(258, short, 3, struct.pack("<I", bps_at)),
            entry(259, short, 1, struct.pack("<H", 32773)),  # PackBits
            entry(262, short, 1, struct.pack("<H", 2)),  # RGB
            entry(273, long_, side, struct.pack("<I", offsets_at)),
            entry(277, short, 1, struct.pack("<H", 3)),
            entry(278, long_, 1, struct.pack("<I", 1)),
            entry(279, long_, side, struct.pack("<I", counts_at)),
            entry(284, short, 1, struct.pack("<H", 1)),
            struct.pack("<I", 0),
        ]
    )
    path.write_bytes(
        b"II*\0"
        + struct.pack("<I", 8)
        + ifd
        + struct.pack("<3H", 8, 8, 8)
        + row
        + struct.pack(f"<{side}I", *([row_at] * side))
        + struct.pack(f"<{side}I", *([len(row)] * side))
    )


def _heavy_pdf(path: Path, rects: int = 4000, fan: int = 100) -> None:
    """A one-page PDF of a few KB that takes pdftoppm most of a minute to render: forms
    drawing forms, ``fan`` x ``fan`` x ``rects`` tiny rectangles in all."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    ops = b"".join(b"%d %d 0.5 0.5 re f\n" % (i % 50, i // 50) for i in range(rects))
    form = pdf.make_stream(
        ops, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 595, 842]
    )
    for _ in range(2):
        form = pdf.make_stream(
            b"/F Do\n" * fan,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Form,
            BBox=[0, 0, 595, 842],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form)),
        )
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form))
    page.Contents = pdf.make_stream(b"/F Do\n")
    pdf.save(path)


def _alive(pids: set[int]) -> dict[int, str]:
    """Which of ``pids`` still run (zombies are dead), with their names."""
    out: dict[int, str] = {}
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
        if not fields.get("State", "").startswith("Z"):
            out[pid] = fields.get("Name", "?").strip()
    return out


def _in_group(pgid: int) -> set[int]:
    found: set[int] = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            found.add(int(stat_file.parent.name))
    return found


def _assert_all_gone(pids: set[int], within: float) -> None:
    deadline = time.monotonic() + within
    while _alive(pids):
        if time.monotonic() > deadline:
            left = _alive(pids)
            for pid in left:  # leave nothing running behind a failed test
                os.kill(pid, signal.SIGKILL)
            raise AssertionError(f"still running {within:.0f} s after the watcher died: {left}")
        time.sleep(0.2)


def _hwm_mb(pid: int) -> float:
    """The peak resident memory of a live process (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


# ------------------------------------------------------------------ (3) a FIFO


def test_a_fifo_neither_blocks_the_watcher_nor_its_stop(service: _Service) -> None:
    before = service.inbox / "quầy 2" / "x.tif"
    before.parent.mkdir()
    os.mkfifo(before)  # seen by the first full scan
    service.start()
    time.sleep(4)  # the watcher is up and watching
    after = service.inbox / "x.tif"
    os.mkfifo(after)  # seen by a file event, first in the queue
    time.sleep(2.5)
    (service.inbox / "scan.png").write_bytes(_scan_bytes(31))
    service.wait_filed(1, timeout=90)
    for _ in range(3):  # more events on both: still named once each
        for fifo in (before, after):
            os.utime(fifo)
        time.sleep(0.5)
    time.sleep(2)
    assert service.proc is not None
    service.proc.send_signal(signal.SIGTERM)
    code = service.proc.wait(timeout=60)  # a watcher blocked on the FIFO never gets here
    log = service.stderr()
    assert code == 0, log
    assert [p.name for p in service.filed()] == ["scan.png"]
    assert stat.S_ISFIFO(before.lstat().st_mode) and stat.S_ISFIFO(after.lstat().st_mode)
    for fifo in (before, after):
        assert sum(f"{fifo} is a FIFO" in line for line in log.splitlines()) == 1, log


def test_examine_never_opens_a_fifo_and_screens_the_pipelines_limits(tmp_path: Path) -> None:
    fifo = tmp_path / "x.tif"
    os.mkfifo(fifo)
    assert examine(fifo, IngestLimits()) is Arrival.NOT_REGULAR  # returns: never blocks
    huge = tmp_path / "huge.tif"
    _huge_tiff(huge)
    assert examine(huge, IngestLimits()) is Arrival.OVER_LIMITS
    assert examine(huge, IngestLimits(max_page_pixels=200_000_000)) is Arrival.WHOLE


# ------------------------------------------------------------------ (4) long names


def test_names_at_the_limit_are_filed_once_and_never_loop(service: _Service) -> None:
    good = _long_name(".png")
    bad = unicodedata.normalize("NFD", _long_name(".pdf", "NFD"))  # accents as characters
    service.start()
    (service.inbox / good).write_bytes(_scan_bytes(41))
    (service.inbox / bad).write_bytes(BROKEN_PDF)
    service.wait_filed(2, timeout=120)
    time.sleep(6)  # the loop took the file again every 2 s
    code, log = service.stop()
    assert code == 0, log
    assert not any(service.inbox.iterdir())
    filed = {p.suffix: p for p in service.filed()}
    assert set(filed) == {".png", ".pdf"}, filed
    assert "processed" in filed[".png"].parts and "failed" in filed[".pdf"].parts
    assert filed[".pdf"].read_bytes() == BROKEN_PDF
    for original, path in ((good, filed[".png"]), (bad, filed[".pdf"])):
        stem = path.stem
        assert original.startswith(stem) and len(path.name.encode("utf-8")) <= 245
        assert not unicodedata.combining(original[len(stem)])
    note = filed[".pdf"].with_name(filed[".pdf"].name + ".error.txt")
    assert len(note.name.encode("utf-8")) <= 255 and "pdf" in note.read_text("utf-8").lower()
    assert _journal(service.home, "duplicate") == []
    assert sorted(_journal(service.home, "original_filed")) == sorted(
        str(service.inbox / n) for n in (good, bad)
    )
    assert not any(line.startswith("ERROR") for line in log.splitlines()), log


def test_an_original_that_cannot_be_filed_is_left_once_not_retaken(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "processed"
    not_a_folder.write_text("a file where the processed folder should be\n")
    svc = _Service(tmp_path, profile_extra=f'[originals]\nprocessed = "{not_a_folder}"\n')
    try:
        svc.start()
        scan = svc.inbox / "scan.png"
        scan.write_bytes(_scan_bytes(51))
        deadline = time.monotonic() + 120
        while not _journal(svc.home, "original_not_filed"):
            assert svc.proc is not None and svc.proc.poll() is None, svc.stderr()
            assert time.monotonic() < deadline, svc.stderr()
            time.sleep(0.3)
        st = scan.stat()
        for _ in range(6):  # events, but the file is unchanged: not taken again
            os.utime(scan, ns=(st.st_atime_ns, st.st_mtime_ns))
            time.sleep(1)
        code, log = svc.stop()
    finally:
        if svc.proc is not None and svc.proc.poll() is None:
            svc.proc.kill()
            svc.proc.wait()
    assert code == 0, log
    assert scan.read_bytes() == _scan_bytes(51)  # still where the scanner put it
    assert _journal(svc.home, "original_not_filed") == [str(scan)]
    assert _journal(svc.home, "duplicate") == []
    assert sum("cannot file" in line for line in log.splitlines()) == 1, log
    assert len(svc.documents()) == 1


# ------------------------------------------------------------------ (8a) a huge TIFF


def test_a_huge_tiff_is_refused_without_decoding_it_in_the_watcher(service: _Service) -> None:
    service.start()
    time.sleep(3)
    assert service.proc is not None
    huge = service.inbox / "huge.tif"
    _huge_tiff(huge)
    service.wait_filed(1, timeout=50)  # handed on at once, not after the 60 s give-up
    peak = _hwm_mb(service.proc.pid)
    code, log = service.stop()
    assert code == 0, log
    (filed,) = service.filed()
    assert "failed" in filed.parts
    note = filed.with_name("huge.tif.error.txt").read_text(encoding="utf-8")
    assert "13000x13000 pixels, over the limit" in note
    assert peak < 300, f"the watcher peaked at {peak:.0f} MB"


def test_a_huge_page_of_a_stack_goes_alone_to_the_run(tmp_path: Path) -> None:
    """One screen for a stack's pages too: the huge page is neither decoded here nor read
    for codes; it fails on its own, and the stack's other pages make their document."""
    svc = _Service(tmp_path, profile_extra='[stacks]\nmode = "pages"\nwindow_seconds = 3\n')
    try:
        svc.start()
        time.sleep(3)
        assert svc.proc is not None
        for n in range(2):
            (svc.inbox / f"scan{n:04d}.png").write_bytes(_scan_bytes(80 + n))
        _huge_tiff(svc.inbox / "scan0002.tif")
        svc.wait_filed(3, timeout=120)
        peak = _hwm_mb(svc.proc.pid)
        code, log = svc.stop()
    finally:
        if svc.proc is not None and svc.proc.poll() is None:
            svc.proc.kill()
            svc.proc.wait()
    assert code == 0, log
    where = {p.name: p.parent.name if "failed" in p.parts else "processed" for p in svc.filed()}
    assert where == {
        "scan0000.png": "processed",
        "scan0001.png": "processed",
        "scan0002.tif": "failed",
    }
    note = svc.home / "originals" / "failed" / "scan0002.tif.error.txt"
    assert "over the limit" in note.read_text(encoding="utf-8")
    assert len(svc.documents()) == 1
    assert peak < 300, f"the watcher peaked at {peak:.0f} MB"


# ------------------------------------------------------------------ (8b) SIGKILL


def test_nothing_the_watcher_started_outlives_its_sigkill(service: _Service) -> None:
    service.start(own_session=True)
    assert service.proc is not None
    _heavy_pdf(service.inbox / "heavy.pdf")
    for n in range(3):
        (service.inbox / f"scan{n}.png").write_bytes(_scan_bytes(60 + n))
    deadline = time.monotonic() + 120
    while "pdftoppm" not in _alive(_descendants(service.proc.pid)).values():
        assert service.proc.poll() is None, service.stderr()
        assert time.monotonic() < deadline, "no worker started pdftoppm on the heavy page"
        time.sleep(0.2)
    time.sleep(1)
    started = _descendants(service.proc.pid) | _in_group(service.proc.pid)
    names = set(_alive(started).values())
    assert "pdftoppm" in names and any(n.startswith("python") for n in names), names
    service.proc.kill()
    service.proc.wait()
    _assert_all_gone(started | _in_group(service.proc.pid), within=5)


_GIL_RUN = """
import ctypes, os, sys, time
from pathlib import Path
from digitizer.config import Layout
from digitizer.profiles import find_profile
from digitizer.runner import Run, prepare
from digitizer.store import Store
from digitizer.store.store import default_url

def hold_the_gil(seconds):
    print(os.getpid(), flush=True)
    ctypes.PyDLL(None).sleep(seconds)  # C code that keeps the GIL: no thread of ours runs

if __name__ == "__main__":
    layout = Layout(Path(sys.argv[1]), Path(sys.argv[2]))
    plan = prepare(layout, find_profile(layout.profiles_dir, "counter"))
    pool = Run(plan, Store(default_url(layout.home)), 2)._new_pool()
    for _ in range(2):
        pool.submit(hold_the_gil, 300)
    time.sleep(600)
"""


def test_pool_workers_holding_the_gil_die_with_the_run(tmp_path: Path) -> None:
    """The run's own pool (its initializer, its forkserver), with workers in C code that
    never lets a Python thread run: the kernel must end them when the run is killed."""
    svc = _Service(tmp_path)
    svc.home.mkdir(parents=True)
    script = tmp_path / "gil_run.py"
    script.write_text(textwrap.dedent(_GIL_RUN), encoding="utf-8")
    out = tmp_path / "pids.txt"
    env = dict(os.environ, OMP_THREAD_LIMIT="1", PYTHONPATH=str(Path(__file__).parent.parent))
    with out.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, str(script), str(svc.home), str(svc.config)],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        deadline = time.monotonic() + 120
        while len(out.read_text().split()) < 2 or not out.read_text().endswith("\n"):
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.2)
        time.sleep(1)
        started = _descendants(proc.pid)
        workers = {int(w) for w in out.read_text().split() if w.isdigit()}
        assert workers <= started and len(workers) == 2, out.read_text()
    finally:
        proc.kill()
        proc.wait()
    _assert_all_gone(started, within=5)


# ------------------------------------------------------------------ (8c) modes


def test_filed_originals_and_notes_are_private_whatever_the_umask(service: _Service) -> None:
    service.start(umask=0o022)
    (service.inbox / "good.png").write_bytes(_scan_bytes(71))
    (service.inbox / "bad.pdf").write_bytes(BROKEN_PDF)
    assert stat.S_IMODE((service.inbox / "good.png").stat().st_mode) != 0o600
    service.wait_filed(2, timeout=120)
    code, log = service.stop()
    assert code == 0, log
    originals = service.home / "originals"
    files = [p for p in originals.rglob("*") if p.is_file()]
    folders = [originals, *(p for p in originals.rglob("*") if p.is_dir())]
    assert len(files) == 3, files  # the scan, the broken PDF and its note
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in files} == {p.name: 0o600 for p in files}
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in folders} == {
        str(p): 0o700 for p in folders
    }


def test_two_watchers_filing_the_same_name_at_once_keep_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scanners' scan0001.pdf filed in the same instant by two watchers (one profile
    each, one processed/ folder): both look for a free name before either moves."""
    import threading

    from digitizer.hotfolder import originals
    from digitizer.profiles import OriginalsSettings

    both_looked = threading.Barrier(2, timeout=10)
    looked = threading.local()
    real_free_name = originals.free_name

    def free_name_in_step(folder: Path, name: str) -> Path:
        found = real_free_name(folder, name)
        if not getattr(looked, "once", False):
            looked.once = True
            both_looked.wait()  # both saw the same free name
        return found

    monkeypatch.setattr(originals, "free_name", free_name_in_step)
    processed = tmp_path / "processed"
    filer = originals.Originals(
        OriginalsSettings(after_success="move", processed=processed, failed=tmp_path / "failed"),
        processed,
        tmp_path / "failed",
    )
    scans = []
    for scanner in ("counter-1", "counter-2"):
        (tmp_path / scanner).mkdir()
        scan = tmp_path / scanner / "scan0001.pdf"
        scan.write_bytes(f"%PDF-1.4 from {scanner}\n%%EOF\n".encode())
        scans.append(scan)
    filed: list[Path] = []
    threads = [threading.Thread(target=lambda s=s: filed.append(filer.done(s))) for s in scans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(set(filed)) == 2
    contents = sorted(p.read_bytes() for p in filed)
    assert contents == [b"%PDF-1.4 from counter-1\n%%EOF\n", b"%PDF-1.4 from counter-2\n%%EOF\n"]
