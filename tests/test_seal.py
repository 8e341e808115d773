"""The seal while it is written, when its key changes, and who writes it.

Each test works on its own copy of a home where `digitizer process` registered two scans
and sealed the audit chain with the demo key (the fixture of tests/test_reindex.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from digitizer import seal_files
from digitizer.config import Layout
from digitizer.profiles import find_profile
from digitizer.seal import seal_chain, verify
from digitizer.signing import Signer, open_signer, spec_for_profile
from digitizer.store import Store, default_url
from digitizer.store.audit import record
from digitizer.timestamping import load_certificates
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
