"""The seal while it is written, when its key changes, and who writes it.

Each test works on its own copy of a home where `digitizer process` registered two scans
and sealed the audit chain with the demo key (the fixture of tests/test_reindex.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select

from digitizer import seal_files
from digitizer.config import Layout
from digitizer.distributed.queue import QueueSettings
from digitizer.distributed.worker import _ProcessMeans, _Sealing
from digitizer.profiles import find_profile
from digitizer.seal import seal_chain, verify
from digitizer.signing import Signer, open_signer, spec_for_profile
from digitizer.store import Store, default_url
from digitizer.store.audit import record
from digitizer.store.models import Document
from digitizer.timestamping import load_certificates
from tests.cli import run_digitizer
from tests.test_reindex import ROOT, copy_home, processed

__all__ = ["processed"]  # the module fixture, used here too


@pytest.fixture
def home(processed: Path, tmp_path: Path) -> Path:
    return copy_home(processed, tmp_path / "home")


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    opened = Store(default_url(home))
    yield opened
    opened.close()


@pytest.fixture
def signer(home: Path) -> Iterator[Signer]:
    """The demo key the home's seal was made with, open for the whole test."""
    profile = find_profile(ROOT / "scanner_profiles", "default")
    opened = open_signer(spec_for_profile(profile.signing, home))
    yield opened
    opened.close()


def _roots(home: Path) -> list[object]:
    return list(load_certificates([home / "keys" / "demo-ca.pem"]))


def _seal_once(store: Store, layout: Layout, signer: Signer) -> None:
    """What a run does: an entry, then a seal of the chain's new head."""
    record(store, actor="lan", action="reuse", document_id="d")
    outcome = seal_chain(store, layout, signer)
    assert outcome.sealed, outcome.detail


# ------------------------------------------------------- a seal written while it is read


def test_a_seal_landing_between_the_reads_of_a_verify_is_no_problem(
    home: Path, store: Store, signer: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer replaces the head, then appends the history; a reader that took the
    head before and the history after saw a false ``seal_rollback``. Here a whole seal
    is made right after verify's first read of the folder (whichever file that is); the
    reader may hold it off, but never report a problem."""
    layout = Layout(home, ROOT)
    fired: list[threading.Thread] = []

    def writer_after(read: Callable[[Path, seal_files.SealFiles], None]) -> Callable[..., None]:
        def hooked(path: Path, files: seal_files.SealFiles) -> None:
            read(path, files)
            if not fired:
                thread = threading.Thread(target=_seal_once, args=(store, layout, signer))
                fired.append(thread)
                thread.start()
                thread.join(timeout=3)  # done, or held off by the reader's lock

        return hooked

    monkeypatch.setattr(seal_files, "_read_head", writer_after(seal_files._read_head))
    monkeypatch.setattr(seal_files, "_read_history", writer_after(seal_files._read_history))
    chain, report = verify(store, layout, _roots(home))
    fired[0].join(timeout=30)
    assert not fired[0].is_alive()
    assert chain.broken is None and report.problems == []
    assert report.number in (1, 2)  # the seal before the writer's, or the writer's


def test_verifying_while_a_run_seals_in_a_loop(home: Path, store: Store, signer: Signer) -> None:
    layout = Layout(home, ROOT)
    roots = _roots(home)
    stop = threading.Event()
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            while not stop.is_set():
                _seal_once(store, layout, signer)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=sealer)
    thread.start()
    try:
        found = [verify(store, layout, roots)[1].problems for _ in range(25)]
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not errors, errors
    assert [p for p in found if p] == []
    assert verify(store, layout, roots)[1].number > 2  # the writer did seal meanwhile


# ------------------------------------------------------- every command that writes, seals


def test_reuse_seals_its_entry(home: Path, store: Store, tmp_path: Path) -> None:
    csv = tmp_path / "d.csv"
    csv.write_text("dossier_code,received_date\n000.00.24.H07-1,2025-08-01\n", encoding="utf-8")
    assert run_digitizer(home, "dossiers", "import", str(csv)).returncode == 0
    with store.session() as s:
        doc_id = s.scalars(select(Document.id).limit(1)).one()
    done = run_digitizer(
        home, "reuse", doc_id, "--dossier", "000.00.24.H07-1", "--clerk", "lan", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] is True
    report = verify(store, Layout(home, ROOT), _roots(home))[1]
    assert report.problems == [] and report.unsealed == 0 and report.number == 2


def test_a_worker_process_seals_every_few_minutes_and_when_it_exits(
    home: Path, store: Store
) -> None:
    """What each pool process of ``digitizer worker`` does after a task and at its exit."""
    layout = Layout(home, ROOT)
    roots = _roots(home)

    def unsealed() -> int:
        return verify(store, layout, roots)[1].unsealed

    sealing = _Sealing(layout, every_s=3600)
    record(store, actor="pipeline", action="digitize", document_id="d")
    sealing.after_task(store, "default")  # too soon after the process began
    assert unsealed() == 1
    sealing.after_task(store, "no-such-profile")  # its task said so; no seal, no error
    means = _ProcessMeans(layout, store.url, QueueSettings(broker_url="redis://127.0.0.1:9/0"))
    means.sealing = sealing
    means._digitizer = cast(Any, _Opened(store))
    means.on_process_shutdown()  # the process exits: what its tasks did is sealed
    assert unsealed() == 0
    often = _Sealing(layout, every_s=0)
    record(store, actor="pipeline", action="digitize", document_id="e")
    often.after_task(store, "default")
    assert unsealed() == 0


class _Opened:
    """A pool process's opened means, as far as its exit is concerned."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        """The test's store stays open for the test."""
