"""The seal's files: their format, reading them back, checking them, writing them safely.

See :mod:`digitizer.seal` for what the seal is for. ``head.json`` holds the newest seal
(``{"payload": {...}, "signature": base64 DER CMS}``), ``history.jsonl`` every seal's
payload, oldest first, one a line; each payload holds the SHA-256 of the one before, so the
signed newest seal vouches for the whole history. A payload is canonical JSON (sorted keys,
no spaces, ASCII) of ``v``, ``number`` (1 for the first seal), ``entries``, ``last_id``,
``last_hash`` (the chain's head), ``sealed_at`` and ``previous``.

Writing: the head by a temporary file, fsync and rename, then its history line appended
whole and fsynced, both 0600, under a lock file held by the writer; readers take it shared
(:func:`load_shared`), so they never see one seal's head with another's history. A crash between the
two leaves the head one seal ahead of its history, which is accepted and mended by the next
seal; a line torn by a crash is cut.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import itertools
import json
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from digitizer.durable import fsync_dir

HEAD = "head.json"
HISTORY = "history.jsonl"
_LOCK = ".lock"
_HEX = frozenset("0123456789abcdef")
# who signed a seal (since seals record it), and at a rotation who signed the one before
_SIGNER_KEYS = ("signer", "rotated_from")

Payload = dict[str, Any]


def canonical(payload: Payload) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("ascii")


def digest(payload: Payload) -> str:
    return hashlib.sha256(canonical(payload)).hexdigest()


def fingerprint(certificate: bytes) -> str:
    """A signer's name in a payload (``signer``, ``rotated_from``): its certificate's
    SHA-256, DER."""
    return hashlib.sha256(certificate).hexdigest()


@dataclass(slots=True)
class SealFiles:
    """What the seal folder holds, parsed; ``problems`` are (code, detail) pairs."""

    head: Payload | None = None
    signature: bytes = b""
    history: list[Payload] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)

    def sealed(self) -> list[Payload]:
        """Every sealed head: the history and the newest seal."""
        return self.history + ([self.head] if self.head and self.head not in self.history else [])


def _hex64(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


def _valid_payload(payload: object) -> bool:
    if not isinstance(payload, dict):
        return False
    ints = all(type(payload.get(k)) is int for k in ("v", "number", "entries", "last_id"))
    previous = payload.get("previous")
    signers = all(payload.get(k) is None or _hex64(payload[k]) for k in _SIGNER_KEYS)
    return (
        ints
        and _hex64(payload.get("last_hash"))
        and (previous is None or isinstance(previous, str))
        and isinstance(payload.get("sealed_at"), str)
        and signers
    )


def _read_head(path: Path, files: SealFiles) -> None:
    try:
        data = json.loads(path.read_bytes())
        payload, signature = data["payload"], base64.b64decode(data["signature"], validate=True)
    except FileNotFoundError:
        return
    except (OSError, ValueError, TypeError, KeyError, binascii.Error) as exc:
        files.problems.append(("seal_invalid", f"{path} is not a seal: {exc}"))
        return
    if not _valid_payload(payload):
        files.problems.append(("seal_invalid", f"{path} is not a seal: its payload is malformed"))
        return
    files.head, files.signature = payload, signature


def _read_history(path: Path, files: SealFiles) -> None:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError) as exc:
        files.problems.append(("seal_invalid", f"cannot read {path}: {exc}"))
        return
    lines = text.split("\n")[:-1]  # a last line without its newline was torn by a crash
    for number, line in enumerate(lines, start=1):
        try:
            payload = json.loads(line)
        except ValueError:
            payload = None
        if not _valid_payload(payload):
            files.problems.append(("seal_invalid", f"{path} line {number} is not a seal"))
            return
        files.history.append(payload)


def _check_history(files: SealFiles) -> None:
    """The history is one chain of seals, and it leads to the newest seal."""
    for before, after in zip(files.history, files.history[1:], strict=False):
        if after["previous"] != digest(before) or after["number"] != before["number"] + 1:
            files.problems.append(
                ("seal_invalid", f"the seal history is broken at seal {after['number']}")
            )
            return
    head, history = files.head, files.history
    changed = _unrecorded_signer_change(files.sealed())
    if changed is not None:
        files.problems.append(("seal_invalid", changed))
        return
    if head is None:
        if history:
            files.problems.append(("seal_invalid", f"{HEAD} is missing but seals were made"))
        return
    if head in history:
        newest = history[-1]["number"]
        if head != history[-1]:
            files.problems.append(
                (
                    "seal_rollback",
                    f"{HEAD} is seal {head['number']} but seal {newest} was made after it: "
                    "an older seal was put back",
                )
            )
        return
    last = history[-1] if history else None
    follows = (
        head["previous"] == digest(last) and head["number"] == last["number"] + 1
        if last is not None
        else head["previous"] is None and head["number"] == 1
    )
    if not follows:  # (one seal ahead of its history is a crash between the two writes)
        files.problems.append(("seal_invalid", f"the seal history does not lead to {HEAD}"))


def _unrecorded_signer_change(seals: list[Payload]) -> str | None:
    """Where a seal is signed by another key than the one before it without recording the
    change (``rotated_from``, written by ``digitizer audit seal --rotate``), if anywhere.
    Seals made before signers were recorded name none, and are not compared."""
    for before, after in itertools.pairwise(seals):
        old, new = before.get("signer"), after.get("signer")
        if old is None or new is None or old == new or after.get("rotated_from") == old:
            continue
        return (
            f"seal {after['number']} is signed by another key than seal {before['number']} "
            "without recording a rotation ('digitizer audit seal --rotate')"
        )
    return None


def load(folder: Path) -> SealFiles:
    """The seal folder as it is, for a caller holding the seal lock (the writer).

    The history is read before the head: a writer replaces the head and then appends its
    line, so a head read first could be followed by a history already past it, a false
    ``seal_rollback``; read the other way a seal landing in between is a head one ahead of
    its history, which is accepted. Readers without the lock use :func:`load_shared`."""
    files = SealFiles()
    _read_history(folder / HISTORY, files)
    _read_head(folder / HEAD, files)
    if not files.problems:
        _check_history(files)
    return files


def load_shared(folder: Path) -> SealFiles:
    """:func:`load` under the seal lock taken shared: no seal is written while it reads
    (a writer mending a crashed history appends two lines, which no order of reads
    alone sees whole). A folder without a lock file that is one (none yet, a read-only
    copy an inspector was given, or a FIFO or link put in its place, which must not hang
    the reader) is read as it is."""
    try:
        fd = os.open(folder / _LOCK, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return load(folder)
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            fcntl.flock(fd, fcntl.LOCK_SH)
        return load(folder)
    finally:
        os.close(fd)


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """A seal's signature: the problem (None: good), who signed, with which certificate
    (DER), the timestamp's time, whether the signature matches whatever its trust, and
    when its certificate expired if it has by now."""

    problem: str | None
    signer: str = ""
    certificate: bytes = b""
    timestamp: str | None = None
    genuine: bool = False
    expired_on: dt.datetime | None = None


def check_signature(
    files: SealFiles, trust_roots: list[Any], *, moment: dt.datetime | None = None
) -> SignatureCheck:
    """The newest seal's signature: intact, valid, trusted (at ``moment``, default now),
    its timestamp too if any, and made by the signer its payload names."""
    check = _validated(files, trust_roots, moment)
    if check.problem is not None and moment is None:
        check = _judged_when_made(files, trust_roots, check)
    assert files.head is not None
    named = files.head.get("signer")
    if check.problem is None and named not in (None, fingerprint(check.certificate)):
        problem = "the seal names another signer than the one that signed it"
        return dataclasses.replace(check, problem=problem)
    return check


def _judged_when_made(
    files: SealFiles, trust_roots: list[Any], check: SignatureCheck
) -> SignatureCheck:
    """A genuine seal whose certificate has expired since is judged at the time its
    timestamp proves: made while the certificate was valid, it stays good. Without a
    timestamp nothing proves when it was made, which the problem says, with the way out."""
    if not check.genuine or check.expired_on is None:
        return check
    if check.timestamp is None:
        problem = (
            f"the seal's certificate ({check.signer}) expired on {check.expired_on:%Y-%m-%d} "
            "and no timestamp proves the seal was made before: with the renewed key, run "
            "'digitizer audit seal --rotate'"
        )
        return dataclasses.replace(check, problem=problem)
    stamped = dt.datetime.fromisoformat(check.timestamp)
    return dataclasses.replace(_validated(files, trust_roots, stamped), expired_on=check.expired_on)


def _validated(
    files: SealFiles, trust_roots: list[Any], moment: dt.datetime | None
) -> SignatureCheck:
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms
    from pyhanko_certvalidator import ValidationContext

    from digitizer.timestamping import verification_context

    assert files.head is not None
    context = (
        verification_context(trust_roots)
        if moment is None
        else ValidationContext(trust_roots=trust_roots, moment=moment, revocation_mode="soft-fail")
    )
    try:
        signed = cms.ContentInfo.load(files.signature)["content"]
        status = asyncio.run(
            async_validate_detached_cms(
                canonical(files.head), signed, signer_validation_context=context
            )
        )
    except Exception as exc:  # a damaged signature breaks the parser in many ways
        return SignatureCheck(f"the seal's signature cannot be read: {one_line(exc)}")
    cert = status.signing_cert
    name, der = cert.subject.human_friendly, cert.dump()
    ts = status.timestamp_validity
    stamped = ts.timestamp.isoformat() if ts is not None else None
    not_after = cert["tbs_certificate"]["validity"]["not_after"].native
    expired = not_after if not_after < dt.datetime.now(dt.UTC) else None
    if not (status.intact and status.valid):
        return SignatureCheck("the seal's signature does not match it", name, der)
    if not status.trusted:
        problem = f"the seal is signed by {name}, which does not chain to a trust root"
        return SignatureCheck(problem, name, der, stamped, True, expired)
    if ts is not None and not (ts.intact and ts.valid and ts.trusted):
        return SignatureCheck(
            "the seal's timestamp is not valid", name, der, stamped, True, expired
        )
    return SignatureCheck(None, name, der, stamped, True, expired)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """The seal lock, exclusive: one writer at a time, and no reader of :func:`load_shared`
    while it writes."""
    fd = os.open(folder / _LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def write(folder: Path, files: SealFiles, payload: Payload, signature: bytes) -> None:
    """The newest seal first, then its history line (a crash between the two leaves a
    seal one ahead of its history, which :func:`_check_history` accepts and this mends)."""
    record = {"payload": payload, "signature": base64.b64encode(signature).decode("ascii")}
    history = folder / HISTORY
    _trim_torn_line(history)
    if files.head is not None and (not files.history or files.history[-1] != files.head):
        _append(history, files.head)
    _replace(folder / HEAD, json.dumps(record, sort_keys=True).encode("ascii") + b"\n")
    _append(history, payload)


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _append(path: Path, payload: Payload) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, canonical(payload) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def _trim_torn_line(path: Path) -> None:
    """Cut a last line a crash left without its newline."""
    with contextlib.suppress(FileNotFoundError), path.open("r+b") as fh:
        if fh.seek(0, os.SEEK_END) == 0:
            return
        fh.seek(-1, os.SEEK_END)
        if fh.read(1) == b"\n":
            return
        fh.seek(0)
        fh.truncate(fh.read().rfind(b"\n") + 1)
        os.fsync(fh.fileno())
