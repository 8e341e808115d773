"""The audit chain's head, signed into files outside the database: the seal.

Why: the chain's hashes show an entry changed or removed in the middle, but a chain cut
short at its end, or re-hashed from the genesis after a change, holds by itself, and
whoever can write the database can do both. So at the end of every run that changes the
store (process, batch, watch and every few minutes while it watches, reindex, a review
session, store merge) the head (the number of entries, the last one's id and hash) is
signed with the office's signing key, the profile's own signer (PKCS#12 or token): a
detached CMS signature, with an RFC 3161 timestamp where the profile names a timestamp
server. It goes to ``$DIGITIZER_HOME/audit-seal/``:

* ``head.json``: the newest seal, ``{"payload": {...}, "signature": base64 DER CMS}``;
* ``history.jsonl``: every seal's payload, oldest first, one a line. Each payload holds the
  SHA-256 of the one before (``previous``), so the signed newest seal vouches for them all,
  and an older seal put back in place of the newest is caught (``seal_rollback``).

Both are written atomically (a temporary file, fsync, rename; the history by appending a
whole line), 0600, under a lock file, so two runs of one home seal one after the other. A
new seal is written only if it extends the previous one: the chain must still hold the
previous head at its position with its hash, and link on from it, and the previous seal
must be this key's own (each payload names its ``signer``). Otherwise the run says so and
leaves everything as it is, for a person to look at. A new key takes over only through
:func:`rotate_seal` (``digitizer audit seal --rotate``), which records the change.

:func:`verify` (``digitizer check``, ``digitizer audit verify``) checks the newest seal's
signature and timestamp against the trust roots, that the history leads to it, and that
the chain holds every sealed head at its position: fewer entries than sealed is
``audit_truncated``, another entry there ``audit_rewritten``. Entries after the newest
seal are "not yet sealed", a warning.

It cannot stop someone who can write the database *and* this folder *and* sign with the
office's key: they can rewrite everything and seal it again. Keep a copy of the folder
elsewhere (it is small) and the key on a token.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from digitizer.config import Layout
from digitizer.errors import DigitizerError
from digitizer.profiles import ScannerProfile
from digitizer.seal_files import (
    Payload,
    SealFiles,
    canonical,
    check_signature,
    digest,
    load,
    load_shared,
    locked,
    one_line,
    write,
)
from digitizer.seal_keys import (
    OpenKey,
    SealError,
    SealKey,
    opened,
    require_own_seal,
    require_rotatable,
    sign,
)
from digitizer.store import Store
from digitizer.store.audit import (
    ChainReport,
    chain_head,
    position_of,
    verify_chain_report,
    verify_since,
)
from digitizer.store.models import AuditEntry, Document

__all__ = [
    "SealError",
    "SealKey",
    "SealOutcome",
    "SealReport",
    "periodic_sealer",
    "rotate_seal",
    "seal_chain",
    "seal_folder",
    "verify",
]

log = logging.getLogger(__name__)

FOLDER = "audit-seal"
_YOUNG = dt.timedelta(days=1)  # a chain this young may get its first seal from a run


def seal_folder(layout: Layout) -> Path:
    return layout.home / FOLDER


# ----------------------------------------------------------------- verifying


@dataclass(slots=True)
class SealReport:
    """What :func:`verify` found about the seal; ``problems``: (code, detail) pairs."""

    sealed_entries: int | None = None
    sealed_at: str | None = None
    number: int = 0
    signer: str | None = None
    timestamp: str | None = None
    unsealed: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "sealed_entries": self.sealed_entries,
            "sealed_at": self.sealed_at,
            "seals": self.number,
            "signer": self.signer,
            "timestamp": self.timestamp,
            "not_yet_sealed": self.unsealed,
            "problems": [{"problem": c, "detail": d} for c, d in self.problems],
        }


def _compare(chain: ChainReport, sealed: list[Payload], report: SealReport) -> None:
    """Every sealed head must be in the chain at its position, with its id and hash."""
    newest = max(sealed, key=lambda p: p["entries"])
    if newest["entries"] > chain.entries:
        report.problems.append(
            (
                "audit_truncated",
                f"the chain has {chain.entries} entries but {newest['entries']} were sealed "
                f"on {newest['sealed_at']}: entries were deleted",
            )
        )
    for payload in sorted(sealed, key=lambda p: p["entries"]):
        position = payload["entries"]
        if position == 0 or position > chain.entries:
            continue
        if chain.at.get(position) != (payload["last_id"], payload["last_hash"]):
            report.problems.append(
                (
                    "audit_rewritten",
                    f"entry {position} of the chain is not the one sealed on "
                    f"{payload['sealed_at']} (id {payload['last_id']}): the chain was rewritten",
                )
            )
            return


def verify(store: Store, layout: Layout, trust_roots: list[Any]) -> tuple[ChainReport, SealReport]:
    """Walk the chain and check it against the seal (see the module docstring)."""
    files = load_shared(seal_folder(layout))
    sealed = files.sealed()
    chain = verify_chain_report(store, {p["entries"] for p in sealed})
    report = SealReport(problems=list(files.problems))
    if files.head is None:
        if (chain.entries or _has_documents(store)) and not files.problems:
            report.problems.append(
                (
                    "seal_missing",
                    f"no seal of the audit chain in {seal_folder(layout)} (deleted, or a store "
                    "from before seals); if the chain is known to be intact, run "
                    "'digitizer audit seal'",
                )
            )
        report.unsealed = chain.entries
        _compare_if(chain, sealed, report)
        return chain, report
    head = files.head
    report.sealed_entries, report.sealed_at = head["entries"], head["sealed_at"]
    report.number = head["number"]
    signature = check_signature(files, trust_roots)
    report.signer, report.timestamp = signature.signer or None, signature.timestamp
    if signature.problem is not None:
        report.problems.append(("seal_invalid", signature.problem))
    _compare_if(chain, sealed, report)
    report.unsealed = max(0, chain.entries - head["entries"])
    return chain, report


def _has_documents(store: Store) -> bool:
    """Whether the store holds any document: a store with documents and no seal is
    unsealed even when its chain is empty (every entry deleted along with the seal)."""
    with store.session() as s:
        return s.scalars(select(Document.id).limit(1)).first() is not None


def _compare_if(chain: ChainReport, sealed: list[Payload], report: SealReport) -> None:
    if sealed:
        _compare(chain, sealed, report)


# ----------------------------------------------------------------- sealing


@dataclass(frozen=True, slots=True)
class SealOutcome:
    """Whether the chain is sealed up to its head now, and one line saying what happened."""

    sealed: bool
    detail: str


def seal_chain(store: Store, layout: Layout, key: SealKey, *, start: bool = False) -> SealOutcome:
    """Seal the chain's head with ``key`` (the run's profile, its signer spec, or an open
    signer) if it moved since the last seal. Never raises for a seal it cannot make: a
    run's work is done by then; the reason is logged as a warning, with what to do.

    The first seal of a store older than a day (its first entry or its oldest document),
    or of an empty chain beside documents, is made only with ``start`` (by a person:
    ``digitizer audit seal``): a run must not start sealing anew a chain whose seal was
    deleted, which would seal in whatever was done to the chain meanwhile."""
    try:
        return _seal(store, layout, key, start)
    except (DigitizerError, OSError, SQLAlchemyError) as exc:
        reason = one_line(exc)
        detail = f"audit chain not sealed: {reason}; fix it, then run 'digitizer audit seal'"
        log.warning("%s", detail)
        return SealOutcome(False, detail)


def _seal(store: Store, layout: Layout, key: SealKey, start: bool) -> SealOutcome:
    folder = seal_folder(layout)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with locked(folder):
        files = _sound(folder)
        with store.session() as s:
            entries, last_id, last_hash = chain_head(s)
        previous = files.head
        if previous is not None and (previous["entries"], previous["last_hash"]) == (
            entries,
            last_hash,
        ):
            return SealOutcome(True, f"already sealed at {entries} entries")
        if entries == 0 and previous is None and not _has_documents(store):
            return SealOutcome(True, "nothing to seal: the store is empty")
        if previous is None and not start:
            _require_young_chain(store, folder, entries)
        with opened(key, layout) as open_key:
            if previous is not None:
                require_own_seal(
                    files, open_key, key.name if isinstance(key, ScannerProfile) else "NAME"
                )
                _require_continued(store, previous, entries)
            payload = _payload(previous, (entries, last_id, last_hash), open_key)
            signature = sign(open_key.signer, canonical(payload))
        write(folder, files, payload, signature)
    log.info(
        "audit chain sealed: %d entries, head %s (seal %d)", entries, last_hash, payload["number"]
    )
    return SealOutcome(True, f"sealed {entries} entries (seal {payload['number']})")


def _sound(folder: Path) -> SealFiles:
    """The seal folder read by its writer, which builds on it only if nothing is wrong."""
    files = load(folder)
    if files.problems:
        raise SealError(f"{files.problems[0][1]} ({files.problems[0][0]})")
    return files


def _payload(previous: Payload | None, head: tuple[int, int, str], key: OpenKey) -> Payload:
    """The next seal's content: the chain's head, the seal before and who signs it."""
    entries, last_id, last_hash = head
    return {
        "v": 1,
        "number": previous["number"] + 1 if previous else 1,
        "entries": entries,
        "last_id": last_id,
        "last_hash": last_hash,
        "sealed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "previous": digest(previous) if previous else None,
        "signer": key.fingerprint,
    }


def rotate_seal(store: Store, layout: Layout, key: SealKey) -> SealOutcome:
    """Seal the chain with ``key``, a new signing key, after a seal made by another one
    (the office's certificate renewed, or expired): a person's ``digitizer audit seal
    --rotate``, never a run. The previous seal must verify and chain to ``key``'s trust
    roots (see :func:`digitizer.seal_keys.require_rotatable`) and the chain must still
    hold it; the new seal records the signer it replaces (``rotated_from``)."""
    try:
        return _rotate(store, layout, key)
    except (DigitizerError, OSError, SQLAlchemyError) as exc:
        return SealOutcome(False, f"seal not rotated: {one_line(exc)}")


def _rotate(store: Store, layout: Layout, key: SealKey) -> SealOutcome:
    folder = seal_folder(layout)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with locked(folder):
        files = _sound(folder)
        previous = files.head
        if previous is None:
            raise SealError(f"no seal in {folder} to rotate from: run 'digitizer audit seal'")
        with store.session() as s:
            head = chain_head(s)
        with opened(key, layout) as open_key:
            replaced, caveat = require_rotatable(files, open_key)
            _require_continued(store, previous, head[0])
            payload = {**_payload(previous, head, open_key), "rotated_from": replaced}
            signature = sign(open_key.signer, canonical(payload))
        write(folder, files, payload, signature)
    detail = f"sealed {head[0]} entries with the new key (seal {payload['number']}, a rotation)"
    log.info("%s%s", detail, f"; {caveat}" if caveat else "")
    return SealOutcome(True, f"{detail}; {caveat}" if caveat else detail)


def _require_young_chain(store: Store, folder: Path, entries: int) -> None:
    """A run may make the first seal of a store begun within the last day (a new home):
    its first entry and its oldest document both that young, and at least one entry (every
    registration makes one, so documents without any are an old store's or a wiped chain's).
    Anything else gets its first seal from a person, after 'digitizer audit verify'."""
    way_out = (
        "check it with 'digitizer audit verify', restore the seal from its backup or "
        "start one with 'digitizer audit seal'"
    )
    if entries == 0:
        raise SealError(
            f"no seal in {folder} and no audit entry, but the store holds documents (a store "
            f"from before seals, or the chain and its seal were deleted): {way_out}"
        )
    with store.session() as s:
        first = s.scalars(select(AuditEntry.at).order_by(AuditEntry.id).limit(1)).first()
        oldest = s.scalar(select(func.min(Document.created_at)))
    now = dt.datetime.now(dt.UTC)
    for begun, what in (
        (first, "the audit chain began on"),
        (oldest, "its oldest document dates from"),
    ):
        at = begun.replace(tzinfo=dt.UTC) if begun and begun.tzinfo is None else begun
        if at is not None and now - at > _YOUNG:
            raise SealError(
                f"no seal in {folder} but {what} {at:%Y-%m-%d} (a store from before seals, "
                f"or the seal was deleted): {way_out}"
            )


def _require_continued(store: Store, previous: Payload, entries: int) -> None:
    """The chain still holds what ``previous`` sealed, and links on from it."""
    sealed = previous["entries"]
    with store.session() as s:
        entry = s.get(AuditEntry, previous["last_id"]) if sealed else None
        position = position_of(s, previous["last_id"]) if sealed else 0
    if entries < sealed or (
        sealed and (entry is None or entry.hash != previous["last_hash"] or position != sealed)
    ):
        raise SealError(
            f"the audit chain no longer holds what seal {previous['number']} sealed "
            f"({sealed} entries): run 'digitizer audit verify'"
        )
    broken = verify_since(store, previous["last_id"], previous["last_hash"])
    if broken is not None:
        raise SealError(f"the audit chain is broken at entry {broken.entry_id}: {broken.reason}")


def periodic_sealer(
    store: Store, layout: Layout, key: SealKey, every_s: float = 300.0
) -> Callable[[], None]:
    """A function that seals when called at least ``every_s`` seconds after the last seal
    it made (a long-running watch calls it after each document)."""
    last = time.monotonic()

    def maybe_seal() -> None:
        nonlocal last
        if time.monotonic() - last >= every_s:
            seal_chain(store, layout, key)
            last = time.monotonic()

    return maybe_seal
