"""Distributed batches for real: Redis and PostgreSQL servers on loopback, ``digitizer
worker`` processes, ``digitizer batch --distributed``, a worker killed with SIGKILL mid-task.

What must hold whatever happens to a worker: every file registered exactly once (one
document, one ``registered`` journal entry, one signed PDF whose hash the record holds),
and nothing reported failed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from digitizer.config import Layout
from digitizer.digest import sha256_of
from digitizer.distributed.queue import MAX_ATTEMPTS, AttemptCounter, QueueSettings, redis_client
from digitizer.distributed.tasks import FileDigitizer, WorkerUnavailable
from digitizer.store import Store
from digitizer.store.claims import content_claim
from digitizer.store.models import Document, JournalEntry
from tests.cli import ROOT, json_lines, run_digitizer

SAMPLES = ROOT / "samples" / "scans"
LEASE_SECONDS = 8  # short, so the killed worker's task is handed out again within the test
_TASK_LINE = re.compile(r"Task digitizer\.digitize_file\[([0-9a-f-]+)\] (received|succeeded)")


def _distinct_scans(folder: Path, count: int) -> list[Path]:
    """``count`` files of distinct content: the raster samples, then copies of them with a
    trailer after the image data (ignored by decoders, but a new content hash)."""
    folder.mkdir(parents=True, exist_ok=True)
    rasters = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))
    made = []
    for n in range(count):
        src = rasters[n % len(rasters)]
        dst = folder / f"file_{n:03d}{src.suffix}"
        data = src.read_bytes()
        if n >= len(rasters):
            data += f"copy {n}".encode()
        dst.write_bytes(data)
        made.append(dst)
    return made


def _batch(scans: Path) -> list[str]:
    """The arguments of a distributed batch of ``scans`` with JSON lines."""
    return ["batch", str(scans), "--profile", "default", "--distributed", "--json"]


def _env(home: Path, pg_url: str, redis_url: str) -> dict[str, str]:
    return dict(
        os.environ,
        DIGITIZER_HOME=str(home),
        DIGITIZER_DB_URL=pg_url,
        DIGITIZER_BROKER_URL=redis_url,
        DIGITIZER_TASK_LEASE=str(LEASE_SECONDS),
        OMP_THREAD_LIMIT="1",
    )


class WorkerProcess:
    """One ``digitizer worker -c 1`` with its log in a file."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log = log_dir / f"{name}.log"
        self._fh = self.log.open("w", encoding="utf-8")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "digitizer",
                "--config",
                str(ROOT),
                "-v",
                "worker",
                "-c",
                "1",
                "--name",
                f"{name}@test",
            ],
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def tasks(self, event: str) -> list[str]:
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [task for task, what in _TASK_LINE.findall(text) if what == event]

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log.read_text(encoding="utf-8", errors="replace"):
            assert self.proc.poll() is None, self.log.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, f"{self.name} did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._fh.close()


def _wait_session_empty(session: int, timeout: float = 30) -> None:
    """Wait until no process is left in ``session`` (a worker started in its own session)."""
    deadline = time.monotonic() + timeout
    while True:
        left = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                left.append(stat.parent.name)
        if not left:
            return
        assert time.monotonic() < deadline, f"processes of the killed worker remain: {left}"
        time.sleep(0.1)


@pytest.fixture
def workers(tmp_path: Path, pg_url: str, redis_url: str) -> Iterator[list[WorkerProcess]]:
    env = _env(tmp_path / "home", pg_url, redis_url)
    started = [WorkerProcess(name, env, tmp_path) for name in ("alpha", "beta")]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


def test_a_worker_killed_mid_run_loses_nothing_and_registers_nothing_twice(
    tmp_path: Path, pg_url: str, redis_url: str, workers: list[WorkerProcess]
) -> None:
    files = _distinct_scans(tmp_path / "scans", 14)
    env = _env(tmp_path / "home", pg_url, redis_url)
    batch = subprocess.Popen(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT), *_batch(tmp_path / "scans")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    victim, survivor = workers
    # Kill the victim while it runs its second task: received, not yet succeeded.
    deadline = time.monotonic() + 300
    while True:
        done, received = victim.tasks("succeeded"), victim.tasks("received")
        in_flight = [t for t in received if t not in done]
        if done and in_flight:
            os.kill(victim.proc.pid, signal.SIGKILL)  # its main process only, as the OOM killer
            break
        assert batch.poll() is None, "the batch ended before a worker could be killed"
        assert time.monotonic() < deadline, "the victim never started a second task"
        time.sleep(0.02)
    victim.proc.wait(timeout=30)
    _wait_session_empty(victim.proc.pid)  # its pool process followed it, mid-task
    stdout, stderr = batch.communicate(timeout=600)
    assert batch.returncode == 0, stderr

    lines = json_lines(stdout)
    summary = lines[-1]["summary"]
    assert isinstance(summary, dict)
    statuses = summary["status"]
    assert statuses["registered"] + statuses["needs_review"] == len(files), statuses
    assert statuses["failed"] == statuses["duplicate"] == statuses["skipped"] == 0
    assert len(lines) == len(files) + 1

    # The task the victim died on was run again by the survivor.
    killed_task = [t for t in victim.tasks("received") if t not in victim.tasks("succeeded")]
    assert killed_task and set(killed_task) <= set(survivor.tasks("succeeded"))

    store = Store(pg_url)
    try:
        with store.session() as s:
            docs = s.scalars(select(Document)).all()
            registered = s.execute(
                select(JournalEntry.sha256, func.count())
                .where(JournalEntry.event == "registered")
                .group_by(JournalEntry.sha256)
            ).all()
    finally:
        store.close()
    shas = {sha256_of(f) for f in files}
    assert sorted(d.sha256 for d in docs) == sorted(shas)  # each file once, no other
    assert dict(registered) == dict.fromkeys(shas, 1)
    archive = tmp_path / "home" / "archive"
    pdfs = {p for p in archive.rglob("*.pdf") if not p.name.startswith(".")}
    home = tmp_path / "home"
    assert all(not Path(d.output_path).is_absolute() for d in docs)  # a copied home finds them
    assert pdfs == {home / d.output_path for d in docs}
    for doc in docs:
        assert sha256_of(home / doc.output_path) == doc.output_sha256

    # A second run finds everything registered and enqueues nothing.
    again = run_digitizer(
        tmp_path / "home",
        *_batch(tmp_path / "scans"),
        db_url=pg_url,
        env_extra={"DIGITIZER_BROKER_URL": redis_url},
    )
    assert again.returncode == 0, again.stderr
    assert json_lines(again.stdout)[-1]["summary"]["status"]["skipped"] == len(files)


def test_tasks_the_queue_lost_are_sent_again(tmp_path: Path, pg_url: str, redis_url: str) -> None:
    """Redis restarted without its append-only file forgets the queued tasks: the batch
    notices that they are neither queued, nor held, nor finished, and enqueues them again."""
    import redis

    files = _distinct_scans(tmp_path / "scans", 3)
    env = _env(tmp_path / "home", pg_url, redis_url)
    batch = subprocess.Popen(
        [sys.executable, "-m", "digitizer", "--config", str(ROOT),
         *_batch(tmp_path / "scans"), "--lost-check-seconds", "0.5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    client = redis.Redis.from_url(redis_url)
    worker: WorkerProcess | None = None
    try:
        deadline = time.monotonic() + 120
        while client.llen("digitizer") < len(files):  # queued, no worker yet
            assert batch.poll() is None, batch.communicate()
            assert time.monotonic() < deadline, "the batch did not enqueue its files"
            time.sleep(0.05)
        client.delete("digitizer")  # what a restart without persistence does
        time.sleep(2)  # two checks of the producer find them gone
        worker = WorkerProcess("late", env, tmp_path)
        stdout, stderr = batch.communicate(timeout=300)
    finally:
        if worker is not None:
            worker.stop()
        client.close()
    assert batch.returncode == 0, stderr
    assert "lost by the queue" in stderr
    statuses = json_lines(stdout)[-1]["summary"]["status"]  # type: ignore[index]
    assert statuses["registered"] + statuses["needs_review"] == len(files), statuses


def test_a_task_delivered_twice_registers_once_and_worker_troubles_are_retried(
    tmp_path: Path, pg_url: str, redis_url: str
) -> None:
    layout = Layout(home=tmp_path / "home", config_root=ROOT)
    client = redis_client(QueueSettings(broker_url=redis_url))
    digitizer = FileDigitizer(layout, pg_url, AttemptCounter(client))
    scan = _distinct_scans(tmp_path / "scans", 1)[0]
    try:
        first = digitizer.digitize(str(scan), "default")
        second = digitizer.digitize(str(scan), "default")
        assert first["status"] in ("registered", "needs_review"), first
        assert second["status"] == "duplicate"
        assert second["document_id"] == first["document_id"]

        # A file whose tasks killed MAX_ATTEMPTS worker processes is failed, not retried.
        other = tmp_path / "scans" / "crasher.png"
        other.write_bytes(scan.read_bytes() + b"crash")
        for _ in range(MAX_ATTEMPTS):
            AttemptCounter(client).started(sha256_of(other))
        gave_up = digitizer.digitize(str(other), "default")
        assert gave_up["status"] == "failed"
        assert "died 3 times" in str(gave_up["error"])
        # Not the file's fault, but this worker's: the task is retried later, on any worker.
        with pytest.raises(WorkerUnavailable, match="no such file"):
            digitizer.digitize(str(tmp_path / "gone.png"), "default")
        third = tmp_path / "scans" / "third.png"
        third.write_bytes(scan.read_bytes() + b"third")
        with pytest.raises(WorkerUnavailable, match="no-such-profile"):
            digitizer.digitize(str(third), "no-such-profile")
        with digitizer.store.session() as s:
            assert s.scalar(select(func.count()).select_from(Document)) == 1
            journaled = s.scalars(select(JournalEntry.source_path)).all()
        assert str(third) not in journaled  # nothing recorded against the file
    finally:
        digitizer.close()
        client.close()


def test_the_content_claim_makes_a_second_holder_wait(pg_url: str) -> None:
    store = Store(pg_url)
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait()
        with content_claim(store.engine, "ab" * 32):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    try:
        with content_claim(store.engine, "ab" * 32):
            holding.set()
            time.sleep(0.5)
            order.append("first")
        thread.join(timeout=30)
        assert order == ["first", "second"]
        with content_claim(store.engine, "cd" * 32):  # another content is not held up
            pass
    finally:
        store.close()


def test_distributed_runs_refuse_sqlite_and_an_absent_queue_in_one_line(
    tmp_path: Path, pg_url: str
) -> None:
    scans = tmp_path / "scans"
    _distinct_scans(scans, 1)
    on_sqlite = run_digitizer(
        tmp_path / "home", "batch", str(scans), "--profile", "default", "--distributed"
    )
    assert on_sqlite.returncode == 3
    assert "PostgreSQL" in on_sqlite.stderr and len(on_sqlite.stderr.strip().splitlines()) == 1
    worker = run_digitizer(tmp_path / "home", "worker", "-c", "1")
    assert worker.returncode == 3 and "PostgreSQL" in worker.stderr
    no_queue = run_digitizer(
        tmp_path / "home",
        "batch",
        str(scans),
        "--profile",
        "default",
        "--distributed",
        db_url=pg_url,
        env_extra={"DIGITIZER_BROKER_URL": "redis://127.0.0.1:1/0"},
    )
    assert no_queue.returncode == 9
    assert "unreachable" in no_queue.stderr and len(no_queue.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "home" / "archive").exists() or not any(
        (tmp_path / "home" / "archive").rglob("*.pdf")
    )
