"""The archive's sanity check (``digitizer check``, and the last step of ``reindex``).

Disks rot, files get copied over by hand, a restore brings back the wrong folder: the
signed PDF is what the office keeps in place of the paper, so it must be provably the one
the store registered. For every document the check asks: is its signed PDF there, are its
bytes the ones registered (SHA-256 against ``documents.output_sha256``), does its signature
verify (:func:`digitizer.verify.verify_file`)? Then it lists files in the archive folder no
record knows, and walks the audit chain. It only reads: a damaged or stray file is reported,
never deleted or moved, since deciding what to do with it is a person's job.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from digitizer.digest import sha256_of
from digitizer.store import Store
from digitizer.store.audit import verify_chain_report
from digitizer.store.models import Document

log = logging.getLogger(__name__)

_BATCH = 500


@dataclass(frozen=True, slots=True)
class Damage:
    """One damaged document: its id, its signed PDF and what is wrong with it."""

    document_id: str
    path: str
    problem: str  # missing | sha256_mismatch | signature
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

    @property
    def ok(self) -> bool:
        return not self.damaged and not self.unknown_files and self.audit_broken is None

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "verified": self.verified,
            "damaged": [d.to_json() for d in self.damaged],
            "unknown_files": self.unknown_files,
            "audit_entries": self.audit_entries,
            "audit_broken": self.audit_broken,
        }


def _documents(store: Store) -> Iterator[tuple[str, str, str]]:
    """(id, output_path, output_sha256) of every document, a batch at a time."""
    after = ""
    with store.session() as s:
        while True:
            rows = s.execute(
                select(Document.id, Document.output_path, Document.output_sha256)
                .where(Document.id > after)
                .order_by(Document.id)
                .limit(_BATCH)
            ).all()
            if not rows:
                return
            for doc_id, path, sha in rows:
                yield str(doc_id), str(path), str(sha)
            after = rows[-1][0]


def count_documents(store: Store) -> int:
    with store.session() as s:
        return int(s.scalar(select(func.count()).select_from(Document)) or 0)


def check_archive(
    store: Store,
    archive: Path,
    trust_roots: list[object],
    *,
    on_document: Callable[[str], None] | None = None,
) -> CheckReport:
    """Check every document's signed PDF, the archive folder and the audit chain.

    ``trust_roots``: the certificates (asn1crypto) signatures must chain to. The same
    signed file registered under several records (copies) is verified once.
    """
    from digitizer.verify import verify_file  # heavy: pyHanko

    report = CheckReport()
    known: set[Path] = set()
    verdicts: dict[tuple[Path, str], list[str]] = {}
    for doc_id, output, expected in _documents(store):
        report.documents += 1
        path = Path(output)
        known.add(path.resolve())
        if on_document is not None:
            on_document(doc_id)
        if not path.is_file():
            report.damaged.append(Damage(doc_id, output, "missing", "the signed PDF is not there"))
            continue
        try:
            actual = sha256_of(path)
        except OSError as exc:
            report.damaged.append(Damage(doc_id, output, "missing", f"cannot read: {exc}"))
            continue
        if actual != expected:
            report.damaged.append(
                Damage(
                    doc_id,
                    output,
                    "sha256_mismatch",
                    f"its SHA-256 is {actual[:16]}…, the record says {expected[:16]}…",
                )
            )
            continue
        key = (path.resolve(), actual)
        if key not in verdicts:
            file_report = verify_file(path, trust_roots, None)
            verdicts[key] = file_report.problems + [
                f"{sig.name}: {p}" for sig in file_report.signatures for p in sig.problems
            ]
        problems = verdicts[key]
        if problems:
            report.damaged.append(Damage(doc_id, output, "signature", "; ".join(problems)))
        else:
            report.verified += 1
    if archive.is_dir():
        report.unknown_files = sorted(
            str(p) for p in archive.rglob("*") if p.is_file() and p.resolve() not in known
        )
    chain = verify_chain_report(store)
    report.audit_entries = chain.entries
    if chain.broken is not None:
        report.audit_broken = f"entry {chain.broken.entry_id}: {chain.broken.reason}"
    log.info(
        "check: %d documents, %d damaged, %d unknown files",
        report.documents,
        len(report.damaged),
        len(report.unknown_files),
    )
    return report
