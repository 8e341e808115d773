"""The seal while it is written, when its key changes, and who writes it.

Each test works on its own copy of a home where `digitizer process` registered two scans
and sealed the audit chain with the demo key (the fixture of tests/test_reindex.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from digitizer import seal_files
from digitizer.config import Layout
from digitizer.distributed.queue import QueueSettings
from digitizer.distributed.worker import _ProcessMeans, _Sealing
from digitizer.profiles import find_profile
from digitizer.seal import rotate_seal, seal_chain, verify
from digitizer.seal_files import _unrecorded_signer_change
from digitizer.signing import Signer, open_signer, spec_for_profile
from digitizer.store import Store, default_url
from digitizer.store.audit import record
from digitizer.store.models import Document
from digitizer.timestamping import load_certificates
from tests.cli import run_digitizer
from tests.pki import OfficePki, running_pki
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


# ------------------------------------------------------- a new key: 'audit seal --rotate'

DAY = dt.timedelta(days=1)


def _renewed_config(tmp_path: Path, *old_roots: Path) -> tuple[Path, Path]:
    """A configuration whose 'default' profile signs with a new demo-like key (another CA
    and certificate, as a renewal brings) and trusts its CA and ``old_roots``; and the new
    key's file."""
    from digitizer.keys import init_demo_keys

    new = init_demo_keys(tmp_path / "renewed")
    roots = json.dumps([str(new.ca_cert_path), *map(str, old_roots)])
    config = tmp_path / "config"
    shutil.copytree(ROOT / "scanner_profiles", config / "scanner_profiles")
    for name in ("pipelines", "schemas"):
        (config / name).symlink_to(ROOT / name)
    profile = config / "scanner_profiles" / "default.toml"
    text = profile.read_text(encoding="utf-8")
    text = text.replace('pkcs12 = "demo"', f'pkcs12 = "{new.p12_path}"', 1)
    text = text.replace(
        'password_file = ""',
        f'password_file = "{new.password_path}"\ntrust_roots = {roots}',
        1,
    )
    profile.write_text(text, encoding="utf-8")
    return config, new.p12_path


def _certificate_sha256(p12: Path) -> str:
    from digitizer.keys import load_pkcs12, read_password_file

    loaded = load_pkcs12(p12, read_password_file(p12.with_name("demo-signer.password")))
    return hashlib.sha256(loaded.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def test_a_renewed_key_seals_only_through_a_rotation(
    home: Path, store: Store, tmp_path: Path
) -> None:
    """The old demo key sealed the home; the office's renewed key (another certificate)
    must not extend that seal silently, but a person's --rotate checks the old seal and
    moves it to the new key, recorded in the history; seals go on with the new key."""
    config, new_p12 = _renewed_config(tmp_path)
    record(store, actor="lan", action="reuse", document_id="d")
    refused = run_digitizer(home, "audit", "seal", config=config)
    assert refused.returncode == 1
    assert "not by this key" in refused.stderr
    assert "'digitizer audit seal --rotate --profile default'" in refused.stderr
    rotated = run_digitizer(home, "audit", "seal", "--rotate", config=config)
    assert rotated.returncode == 0, rotated.stderr
    assert "a rotation" in rotated.stdout
    history = [json.loads(line) for line in (home / "audit-seal" / "history.jsonl").open()]
    old, new = history[-2], history[-1]
    old_signer = _certificate_sha256(home / "keys" / "demo-signer.p12")
    assert new["rotated_from"] == old_signer and new["signer"] == _certificate_sha256(new_p12)
    assert old.get("signer", old_signer) == old_signer
    record(store, actor="lan", action="reuse", document_id="d")
    layout = Layout(home, config)
    profile = find_profile(config / "scanner_profiles", "default")
    assert seal_chain(store, layout, profile).sealed  # the new key extends its own seal
    done = run_digitizer(home, "audit", "verify", "--json", config=config)
    assert done.returncode == 0, done.stdout + done.stderr
    seal = json.loads(done.stdout)["seal"]
    assert (seal["seals"], seal["not_yet_sealed"]) == (3, 0)
    again = rotate_seal(store, layout, profile)
    assert not again.sealed and "already signed by this key" in again.detail


def test_a_signer_change_is_accepted_only_at_a_rotation() -> None:
    a, b = "a" * 64, "b" * 64
    seals: list[dict[str, object]] = [{"number": 1}, {"number": 2, "signer": a}]
    assert _unrecorded_signer_change([*seals, {"number": 3, "signer": b}]) is not None
    rotation = {"number": 3, "signer": b, "rotated_from": a}
    assert _unrecorded_signer_change([*seals, rotation, {"number": 4, "signer": b}]) is None


def test_a_seal_by_a_certificate_expired_since_is_named_and_rotated_from(
    home: Path, store: Store, tmp_path: Path
) -> None:
    """A seal made while its certificate was valid, with no timestamp: once the
    certificate has expired, verify says so and names the way out; the rotation goes on
    and says what the old seal's trust rests on."""
    ca_pem = _seal_with_an_expired_certificate(home, store, tmp_path)
    config, _ = _renewed_config(tmp_path, ca_pem)
    layout = Layout(home, config)
    problems = verify(store, layout, list(load_certificates([ca_pem])))[1].problems
    assert [code for code, _ in problems] == ["seal_invalid"]
    assert "expired on" in problems[0][1] and "--rotate" in problems[0][1]
    profile = find_profile(config / "scanner_profiles", "default")
    outcome = rotate_seal(store, layout, profile)
    assert outcome.sealed, outcome.detail
    assert "no timestamp" in outcome.detail and "rests on its own date" in outcome.detail


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OfficePki]:
    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


def test_a_timestamp_proves_a_seal_was_made_before_its_certificate_expired(
    home: Path, store: Store, tmp_path: Path, pki: OfficePki
) -> None:
    """A seal timestamped while its certificate was valid stays good once it expires, and
    is rotated from without a caveat."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    ca_pem = _seal_with_an_expired_certificate(
        home,
        store,
        tmp_path,
        expires_in=dt.timedelta(seconds=4),
        sealed_ago=dt.timedelta(0),
        stamper=HTTPTimeStamper(pki.tsa_url),
    )
    roots = list(load_certificates([ca_pem, pki.root_pem]))
    time.sleep(5)  # the certificate expires
    report = verify(store, Layout(home, ROOT), roots)[1]
    assert report.problems == [] and report.timestamp is not None
    config, _ = _renewed_config(tmp_path, ca_pem, pki.root_pem)
    profile = find_profile(config / "scanner_profiles", "default")
    outcome = rotate_seal(store, Layout(home, config), profile)
    assert outcome.sealed and "rests on" not in outcome.detail, outcome.detail


def _issue(
    name: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Name, Any] | None,
    valid: tuple[dt.timedelta, dt.timedelta],
) -> x509.Certificate:
    """A certificate valid from ``valid[0]`` to ``valid[1]`` from now, issued by
    ``issuer`` (its name and key), or a self-signed CA when there is none."""
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    issuer_name, issuer_key = issuer or (subject, key)
    ca = issuer is None
    usage = {name: False for name in _KEY_USAGES}
    usage.update(key_cert_sign=ca, crl_sign=ca, digital_signature=not ca, content_commitment=not ca)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + valid[0])
        .not_valid_after(now + valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def _pem(path: Path, item: x509.Certificate | rsa.RSAPrivateKey) -> str:
    if isinstance(item, x509.Certificate):
        path.write_bytes(item.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return str(path)


def _seal_with_an_expired_certificate(
    home: Path,
    store: Store,
    tmp_path: Path,
    *,
    expires_in: dt.timedelta = -DAY,
    sealed_ago: dt.timedelta = 5 * DAY,
    stamper: Any = None,
) -> Path:
    """Replace the home's seal by one of the same chain, made ``sealed_ago`` (timestamped
    by ``stamper`` if any) by a certificate that expires ``expires_in`` from now (by
    default: sealed five days ago, expired yesterday); its own CA is the returned PEM."""
    from pyhanko.sign import signers

    from digitizer.seal_keys import sign
    from digitizer.store.audit import chain_head

    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = _issue("expired-test CA", ca_key, None, (-30 * DAY, 30 * DAY))
    leaf_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _issue("old office key", leaf_key, (ca.subject, ca_key), (-10 * DAY, expires_in))
    ca_pem = _pem(tmp_path / "ca.pem", ca)
    simple = signers.SimpleSigner.load(
        _pem(tmp_path / "leaf.key", leaf_key), _pem(tmp_path / "leaf.pem", leaf), [ca_pem]
    )
    with store.session() as s:
        entries, last_id, last_hash = chain_head(s)
    payload = {
        "v": 1,
        "number": 1,
        "entries": entries,
        "last_id": last_id,
        "last_hash": last_hash,
        "sealed_at": (dt.datetime.now(dt.UTC) - sealed_ago).isoformat("T", "seconds"),
        "previous": None,
        "signer": hashlib.sha256(leaf.public_bytes(serialization.Encoding.DER)).hexdigest(),
    }
    signature = sign(cast(Any, _OldSigner(simple, stamper)), seal_files.canonical(payload))
    folder = home / "audit-seal"
    shutil.rmtree(folder)
    folder.mkdir(mode=0o700)
    seal_files.write(folder, seal_files.SealFiles(), payload, signature)
    return Path(ca_pem)


class _OldSigner:
    """The part of a digitizer Signer that signs a seal, around a pyHanko signer."""

    def __init__(self, signer: Any, stamper: Any) -> None:
        self._signer = signer
        self._timestamper = stamper

    def pyhanko_signer(self) -> Any:
        return self._signer


def test_a_fifo_in_place_of_the_seal_lock_does_not_hang_a_verify(home: Path, store: Store) -> None:
    lock = home / "audit-seal" / ".lock"
    lock.unlink(missing_ok=True)
    os.mkfifo(lock)
    found: list[object] = []
    layout = Layout(home, ROOT)
    thread = threading.Thread(
        target=lambda: found.append(verify(store, layout, _roots(home))[1]), daemon=True
    )
    thread.start()
    thread.join(timeout=60)
    assert found and not cast(Any, found[0]).problems
