"""What becomes of one file against the store: screened, claimed, committed.

Shared by every way a file is digitized (a local run's pool, the hot folder's watcher, a
distributed worker), so that a duplicate, a failure and a registration are recorded the same
way whoever did the work. The rule that names a document's signed PDF by its content lives
here too: a rerun after a crash, or a task redelivered to another worker, writes the same
file again.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from digitizer.config import Layout, resolve_recorded
from digitizer.digest import sha256_of
from digitizer.diskspace import disk_full, free_mb, is_disk_full
from digitizer.errors import InputFileError, StoreError
from digitizer.records import DocumentResult
from digitizer.stages import Job, document_id_for
from digitizer.store import Store
from digitizer.store.models import Document

if TYPE_CHECKING:
    from digitizer.runner import RunPlan

log = logging.getLogger(__name__)


def output_path(layout: Layout, document_id: str) -> Path:
    return layout.archive / document_id[:2] / f"{document_id}.pdf"


def job_for(layout: Layout, path: Path, sha256: str) -> Job:
    """The job of one file: its output is named by its content, so a rerun after a crash
    (or a task redelivered to another worker) writes the same file again."""
    document_id = document_id_for(sha256)
    return Job(path, sha256, document_id, output_path(layout, document_id))


def screen(
    store: Store, home: Path, path: Path, seen: set[str], max_file_mb: int
) -> DocumentResult | str:
    """Hash a file and settle it before any expensive work: its content hash when it is to
    be digitized (added to ``seen``, the contents already taken by this run), else its
    result: unreadable or over ``max_file_mb`` (failed: a sparse file of terabytes would
    keep the run hashing for hours), or a duplicate of a registered or already taken
    content."""
    source = str(path)
    try:
        if not path.is_file():
            raise InputFileError("not a regular file")
        size_mb = path.stat().st_size / 1_048_576
        if size_mb > max_file_mb:
            raise InputFileError(
                f"{size_mb:,.0f} MB, over the profile's max_file_mb ({max_file_mb:,} MB)"
            )
        sha = sha256_of(path)
    except (OSError, InputFileError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        result = DocumentResult(
            source=source, sha256="", status="failed", error=f"cannot read file: {reason}"
        )
        store.journal(source=source, event_name="failed", detail=result.error)
        return result
    existing = store.document_by_sha256(sha)
    if existing is not None or sha in seen:
        return duplicate_of(store, home, source, sha, existing)
    seen.add(sha)
    return sha


def duplicate_of(
    store: Store, home: Path, source: str, sha256: str, existing: Document | None
) -> DocumentResult:
    """The result (journaled) of a file whose content is registered already (``existing``)
    or taken by this run: reported, never digitized again."""
    result = DocumentResult(
        source=source,
        sha256=sha256,
        status="duplicate",
        document_id=existing.id if existing else document_id_for(sha256),
        doc_type=existing.doc_type if existing else "unknown",
        output=str(resolve_recorded(home, existing.output_path)) if existing else None,
    )
    store.journal(
        source=source, event_name="duplicate", sha256=sha256, document_id=result.document_id
    )
    return result


def commit(
    store: Store, plan: RunPlan, unit_id: int | None, result: DocumentResult
) -> DocumentResult:
    """Register a worker's result (its signed PDF is already durable), or journal its
    failure; a store that refuses the record turns the result into a failure, or, when it
    refused for want of space, raises :class:`DiskFullError` (the run stops).

    Either way the signed PDF it could not record is removed: no output is ever left without
    its record (the caller holds the content's claim, so no other run registered it
    meanwhile).
    """
    if result.status == "failed":
        _journal_failure(store, plan, result)
        return result
    try:
        store.register(
            result,
            profile=plan.profile.name,
            pdfa_level=plan.profile.pdfa_level,
            ocr_engine=plan.engine_version,
            unit_id=unit_id,
            recorded_output=plan.layout.recorded(result.output) if result.output else None,
        )
    except StoreError as exc:
        if result.output:  # no signed PDF is left in the archive without its record
            discard_unregistered(store, result.sha256, Path(result.output))
        _stop_if_full(plan, exc)
        result.status, result.error, result.output = "failed", str(exc), None
        _journal_failure(store, plan, result)
    return result


def _journal_failure(store: Store, plan: RunPlan, result: DocumentResult) -> None:
    try:
        store.journal(
            source=result.source, event_name="failed", sha256=result.sha256, detail=result.error
        )
    except StoreError as exc:
        _stop_if_full(plan, exc)
        raise


def _stop_if_full(plan: RunPlan, exc: StoreError) -> None:
    if short_of_space(plan, exc):
        raise disk_full(plan.layout.home, exc) from exc


def short_of_space(plan: RunPlan, exc: BaseException) -> bool:
    """Did the store refuse for want of space? (SQLite says "database or disk is full",
    PostgreSQL "could not extend file": the errno or the free space tells, not the words.)"""
    try:
        return is_disk_full(exc) or free_mb(plan.layout.home) < 1
    except OSError:
        return False


def discard_unregistered(store: Store, sha256: str, output: Path) -> None:
    """Remove the signed PDF of a content that no record names: its registration failed, or
    its run stopped before committing it. Only ever called by the holder of the content's
    claim (no other run is registering it); in doubt about the store, the file is kept
    (``check`` then lists it as unknown)."""
    try:
        if store.document_by_sha256(sha256) is not None:
            return
    except Exception:
        return
    if output.exists():
        output.unlink()
        log.info("%s: signed PDF removed, no record names it", output.name)
