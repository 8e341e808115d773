"""The archive's sanity check (``digitizer check``, and the last step of ``reindex``).

Disks rot, files get copied over by hand, a restore brings back the wrong folder, and a
store can be edited behind the program's back: the signed PDF is what the office keeps in
place of the paper, so it must be provably the one the store registered, and the record
must say what the audit trail says it does. For every document the check asks:

* is its signed PDF there (``missing``), are its bytes the ones registered
  (``sha256_mismatch``), does its signature verify (``signature``,
  :func:`digitizer.verify.verify_file`), is it this document's PDF at all: the document id
  written in its XMP must be the record's (``id_mismatch``: a row pointing at another
  document's signed PDF)?
* are its status, type and fields the state its newest audit entry recorded
  (``state_mismatch``, :func:`digitizer.store.audit_state.document_state_digest`)?
  Documents created before the store was upgraded to state entries (the time it recorded,
  :func:`~digitizer.store.audit_state.states_since`, not the first remaining entry's: those
  can all be deleted), and not changed since, are only counted ("not tied").

Then it lists files in the archive folder no record knows, walks the audit chain
(``audit_broken``) and checks it against the seal outside the database
(:mod:`digitizer.seal`: ``audit_truncated``, ``audit_rewritten``, ``seal_invalid``,
``seal_missing``, ``seal_rollback``; entries after the seal are a warning). It only reads:
what it finds is reported, never deleted or moved, since deciding what to do is a
person's job. Documents are read a batch at a time, with one query each for their fields
and for the states their entries recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from digitizer.config import Layout, resolve_recorded
from digitizer.digest import sha256_of
from digitizer.store import Store
from digitizer.store.audit import verify_chain_report
from digitizer.store.audit_state import (
    audited,
    recorded_states,
    state_digests,
    states_since,
    untied_is_legacy,
)
from digitizer.store.models import Document

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass(frozen=True, slots=True)
class Damage:
    """One problem with a document: its id, its signed PDF, the problem's name and why."""

    document_id: str
    path: str
    problem: str  # missing | sha256_mismatch | signature | id_mismatch | state_mismatch
    detail: str

    def to_json(self) -> dict[str, str]:
        return {
            "document_id": self.document_id,
            "path": self.path,
            "problem": self.problem,
            "detail": self.detail,
        }


@dataclass(slots=True)
class CheckReport:
    documents: int = 0
    verified: int = 0
    damaged: list[Damage] = field(default_factory=list)
    unknown_files: list[str] = field(default_factory=list)
    audit_entries: int = 0
    audit_broken: str | None = None  # "entry N: reason"
    # the chain and its seal: (problem, detail), e.g. ("audit_truncated", "…")
    audit_problems: list[tuple[str, str]] = field(default_factory=list)
    not_tied: int = 0  # documents from before state entries, unchanged since
    seal: dict[str, object] | None = None  # digitizer.seal.SealReport.to_json(); None: unchecked

    @property
    def ok(self) -> bool:
        return not (self.damaged or self.unknown_files or self.audit_broken or self.audit_problems)

    def problems(self) -> list[dict[str, str]]:
        """Every problem by name, documents' first: what ``--json`` and the table list."""
        found = [d.to_json() for d in self.damaged]
        found += [{"problem": "unknown_file", "path": p, "detail": ""} for p in self.unknown_files]
        if self.audit_broken is not None:
            found.append({"problem": "audit_broken", "detail": self.audit_broken})
        found += [{"problem": code, "detail": detail} for code, detail in self.audit_problems]
        return found

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "verified": self.verified,
            "damaged": [d.to_json() for d in self.damaged],
            "unknown_files": self.unknown_files,
            "audit_entries": self.audit_entries,
            "audit_broken": self.audit_broken,
            "not_tied": self.not_tied,
            "seal": self.seal,
            "problems": self.problems(),
        }


def _batches(store: Store) -> Iterator[tuple[Session, Sequence[Any]]]:
    """Every document's (id, output_path, output_sha256, status, doc_type, created_at), a
    batch at a time, with the session that read them (for the batch's other queries)."""
    after = ""
    with store.session() as s:
        while True:
            rows = s.execute(
                select(
                    Document.id,
                    Document.output_path,
                    Document.output_sha256,
                    Document.status,
                    Document.doc_type,
                    Document.created_at,
                )
                .where(Document.id > after)
                .order_by(Document.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                return
            yield s, rows
            after = rows[-1][0]


def count_documents(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Document)) or 0)


@dataclass(frozen=True, slots=True)
class _Verdict:
    """What verifying one signed file found: its problems, and the id in its XMP."""

    problems: list[str]
    embedded_id: str | None


class _Walk:
    """One pass over the documents: their files, their states, the archive folder."""

    def __init__(
        self, store: Store, home: Path, trust_roots: list[object], report: CheckReport
    ) -> None:
        self.store = store
        self.home = home  # records name their PDFs relative to it
        self.trust_roots = trust_roots
        self.report = report
        self.known: set[Path] = set()
        self.verdicts: dict[tuple[Path, str], _Verdict] = {}
        with store.session() as s:
            self.states_since = states_since(s)

    def run(self, on_document: Callable[[str], None] | None) -> None:
        for s, rows in _batches(self.store):
            states = state_digests(s, [(r[0], r[3], r[4]) for r in rows])
            recorded = recorded_states(s, [r[0] for r in rows])
            with_entries = audited(s, [r[0] for r in rows])
            for doc_id, output, expected, _status, _type, created in rows:
                self.report.documents += 1
                found = len(self.report.damaged)
                self._file(doc_id, output, expected)
                legacy = untied_is_legacy(created, self.states_since, doc_id in with_entries)
                self._state(doc_id, output, states[doc_id], recorded.get(doc_id), legacy)
                self.report.verified += len(self.report.damaged) == found
                if on_document is not None:
                    on_document(doc_id)

    def _damage(self, doc_id: str, path: str, problem: str, detail: str) -> None:
        self.report.damaged.append(Damage(doc_id, path, problem, detail))

    def _file(self, doc_id: str, output: str, expected: str) -> None:
        path = resolve_recorded(self.home, output)
        self.known.add(path.resolve())
        if not path.is_file():
            self._damage(doc_id, output, "missing", "the signed PDF is not there")
            return
        try:
            actual = sha256_of(path)
        except OSError as exc:
            self._damage(doc_id, output, "missing", f"cannot read: {exc}")
            return
        if actual != expected:
            detail = f"its SHA-256 is {actual[:16]}…, the record says {expected[:16]}…"
            self._damage(doc_id, output, "sha256_mismatch", detail)
            return
        verdict = self._verdict(path, actual)
        if verdict.problems:
            self._damage(doc_id, output, "signature", "; ".join(verdict.problems))
        if verdict.embedded_id != doc_id:
            detail = (
                f"the PDF is document {verdict.embedded_id}'s (the id in its XMP), not this "
                "record's: a record points at another document's signed PDF"
                if verdict.embedded_id
                else "the PDF carries no document id in its XMP"
            )
            self._damage(doc_id, output, "id_mismatch", detail)

    def _verdict(self, path: Path, sha256: str) -> _Verdict:
        """The same signed file registered under several records is verified once."""
        from digitizer.verify import verify_file  # heavy: pyHanko

        key = (path.resolve(), sha256)
        if key not in self.verdicts:
            file_report = verify_file(path, self.trust_roots, None)
            problems = file_report.problems + [
                f"{sig.name}: {p}" for sig in file_report.signatures for p in sig.problems
            ]
            self.verdicts[key] = _Verdict(problems, file_report.embedded_id)
        return self.verdicts[key]

    def _state(
        self,
        doc_id: str,
        output: str,
        current: str,
        recorded: str | None,
        legacy: bool,
    ) -> None:
        if recorded is None:
            if legacy:
                self.report.not_tied += 1
                return
            detail = (
                "no audit entry records its state: a record written behind the program's "
                "back (or by a digitizer older than its store)"
            )
            self._damage(doc_id, output, "state_mismatch", detail)
        elif recorded != current:
            detail = (
                "its status or fields are not what its last audit entry recorded: changed in "
                "the database behind the program's back"
            )
            self._damage(doc_id, output, "state_mismatch", detail)

    def unknown_files(self, archive: Path) -> list[str]:
        if not archive.is_dir():
            return []
        return sorted(
            str(p) for p in archive.rglob("*") if p.is_file() and p.resolve() not in self.known
        )


def _check_chain(
    store: Store, layout: Layout | None, trust_roots: list[object], report: CheckReport
) -> None:
    """The audit chain, and with ``layout`` its seal (:func:`digitizer.seal.verify`)."""
    if layout is None:
        chain = verify_chain_report(store)
    else:
        from digitizer.seal import verify  # heavy: pyHanko

        chain, seal = verify(store, layout, list(trust_roots))
        report.seal = seal.to_json()
        report.audit_problems = list(seal.problems)
    report.audit_entries = chain.entries
    if chain.broken is not None:
        report.audit_broken = f"entry {chain.broken.entry_id}: {chain.broken.reason}"


def check_archive(
    store: Store,
    archive: Path,
    trust_roots: list[object],
    *,
    layout: Layout | None = None,
    on_document: Callable[[str], None] | None = None,
) -> CheckReport:
    """Check every document's signed PDF and state, the archive folder and the audit chain
    (and its seal, given the home's ``layout``).

    ``trust_roots``: the certificates (asn1crypto) signatures and the seal must chain to.
    """
    report = CheckReport()
    walk = _Walk(store, layout.home if layout else archive.parent, trust_roots, report)
    walk.run(on_document)
    report.unknown_files = walk.unknown_files(archive)
    _check_chain(store, layout, trust_roots, report)
    log.info(
        "check: %d documents, %d problems with documents, %d unknown files, %d not tied",
        report.documents,
        len(report.damaged),
        len(report.unknown_files),
        report.not_tied,
    )
    return report
