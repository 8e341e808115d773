"""What ``digitizer store merge`` believes of a source store: nothing it has not checked.

The source of a merge is a home copied from a workstation, which anyone could have edited:
its database is plain SQLite and its archive a folder. So a document row is data to check,
never an instruction:

* its id must have the form the product gives ids (the first 16 lowercase hex digits of the
  scan's SHA-256, :func:`digitizer.stages.document_id_for`) and agree with the row's own
  SHA-256; nothing else from the row (``output_path``, unit or dossier codes, field names)
  is ever made into a path;
* its status, type and fields must be the state the source's own audit chain recorded for it
  last (:func:`digitizer.store.audit_state.recorded_states`): a value edited in the database is
  not carried into the target and sealed there by the ``merged`` entry;
* its PDF is read only from the source home's ``archive/`` folder, at the place the
  product's own rule gives for that id (:func:`digitizer.commit.output_path`): whatever
  resolves outside that folder (a symbolic link, ``..``) is refused, and so is anything but
  a regular file (a FIFO, a device), opened so that opening never blocks; a file above a
  size bound is refused unread;
* the bytes are copied into the target's archive under a private (0600) temporary name and
  checked *there*, where the source can no longer change them: the SHA-256 recorded for
  them, every signature (:func:`digitizer.verify.verify_file`: intact, valid, covering the
  file, chaining to a trust root), the PDF/A claim, and the document id written in the XMP
  against the row's id. Only then does the file take its name.

The trust roots are the target's (what ``digitizer check`` of the target accepts) and the
CAs the operator names; never a CA found in the source home, which proves nothing.

Each check of a document that fails raises :class:`Refused` with one line saying why; the
merge reports it for that document and goes on with the next. The source's audit chain and
its seal are checked once, first (:func:`verify_source_chain`): when they do not hold,
nothing is merged.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from digitizer.config import Layout
from digitizer.digest import is_document_id, is_sha256_hex, sha256_of
from digitizer.display import printable
from digitizer.durable import fsync_dir
from digitizer.errors import DigitizerError, StoreError
from digitizer.regular import _OPEN_FLAGS as _NON_BLOCKING
from digitizer.regular import kind_of
from digitizer.store.audit import ChainReport, verify_chain_report
from digitizer.store.store import Store

log = logging.getLogger(__name__)

MAX_PDF_BYTES = 1 << 30
"""The largest signed PDF a merge reads (1 GiB): the biggest document the profiles allow
(500 colour pages at scan resolution) is about half of that."""
MAX_SEAL_FILE_BYTES = 64 << 20
"""The largest seal file of a source read (a seal adds about 200 bytes to its history)."""
_CHUNK = 1 << 20
_OPEN_FLAGS = _NON_BLOCKING | os.O_NOFOLLOW


class Refused(Exception):
    """A document of the source that is not merged; ``str()`` is the one-line reason."""


class SourceRefusedError(DigitizerError):
    """The source as a whole is not merged (its audit seal does not hold)."""

    exit_code = 1


def bounded(value: object, limit: int = 80) -> str:
    """A value from the source fit for one line of a report: control characters escaped
    (:func:`digitizer.display.printable`), a long value cut at ``limit`` characters."""
    text = printable(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------- the records


def check_identity(row: Any) -> None:
    """The row's id is one the product could have made, from the row's own content hash."""
    from digitizer.stages import document_id_for  # heavy: the pipeline's imports

    if not is_document_id(row.id):
        raise Refused("its id is not a document id (16 lowercase hex digits): not merged")
    if not is_sha256_hex(row.sha256):
        raise Refused("its recorded scan SHA-256 is not 64 lowercase hex digits: not merged")
    if document_id_for(row.sha256) != row.id:
        raise Refused("its id does not agree with its recorded scan SHA-256: not merged")
    if not is_sha256_hex(row.output_sha256):
        raise Refused("its recorded PDF SHA-256 is not 64 lowercase hex digits: not merged")


def check_state(current: str, recorded: str | None) -> bool:
    """Whether the document's state (``current``, :func:`digitizer.store.audit_state.state_digest`
    on the source) is tied to the source's chain: True when its newest state entry recorded
    it, False when it has no state entry at all (a workstation older than state entries),
    :class:`Refused` when the entry recorded another state (edited behind the program)."""
    if recorded is None:
        return False
    if recorded != current:
        raise Refused(
            "its status, type or fields are not the state its newest audit entry recorded "
            "(changed in the workstation's database): not merged"
        )
    return True


def verify_source_chain(source: Store, home: Path, trust_roots: Sequence[Any]) -> ChainReport:
    """The source's audit chain, walked: it must hold, and so must its seal when the source
    home has one (checked with the merge's own trust roots, as ``digitizer audit verify``
    would): an entry cut off its end, a re-hashed chain or a forged seal refuses the merge as
    a whole. A home without a seal folder (a workstation from before seals) is merged with
    a warning: its chain is then only as good as its hashes."""
    from digitizer.seal import seal_folder, verify  # heavy: pyHanko

    layout = Layout(home=home, config_root=home)
    folder = seal_folder(layout)
    if not os.path.lexists(folder):
        log.warning(
            "the workstation has no audit seal (%s): its audit chain is merged as its own "
            "hashes show it, nothing anchors its end",
            folder,
        )
        chain, problems = verify_chain_report(source), []
    else:
        _screen_seal_folder(folder)
        chain, seal = verify(source, layout, list(trust_roots))
        problems = seal.problems
    if chain.broken is not None:
        raise StoreError(
            f"the source's audit chain is broken at entry {chain.broken.entry_id} "
            f"({chain.broken.reason}): merge refused; see 'digitizer audit verify'"
        )
    if problems:
        code, detail = problems[0]
        raise SourceRefusedError(
            f"the workstation's audit seal does not hold ({code}: {bounded(detail, 300)}): "
            "merge refused; see 'digitizer audit verify' on the workstation"
        )
    return chain


def _screen_seal_folder(folder: Path) -> None:
    """The seal's reader opens its files by name, its lock file with a blocking open: only
    a real folder of small regular files gets that far (a FIFO named head.json or .lock
    would hold the merge for good, a link could lead to any file of this machine)."""
    _screen(folder, folder.lstat(), stat.S_ISDIR)
    with os.scandir(folder) as entries:
        for entry in entries:
            path = Path(entry.path)
            info = entry.stat(follow_symlinks=False)
            _screen(path, info, stat.S_ISREG)
            if info.st_size > MAX_SEAL_FILE_BYTES:
                raise SourceRefusedError(
                    f"the workstation's audit seal file {path} has {info.st_size} bytes, more "
                    f"than {MAX_SEAL_FILE_BYTES}: merge refused"
                )


def _screen(path: Path, info: os.stat_result, wanted: Callable[[int], bool]) -> None:
    if not wanted(info.st_mode):
        kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else kind_of(info.st_mode)
        raise SourceRefusedError(f"the workstation's audit seal {path} is {kind}: merge refused")


# ----------------------------------------------------------------- the PDFs


def source_pdf(source: Layout, document_id: str) -> Path:
    """Where the source home files the document's PDF: the product's one rule."""
    from digitizer.commit import output_path  # heavy: the pipeline's imports

    return output_path(source, document_id)


def open_source_pdf(source: Layout, document_id: str, limit: int = MAX_PDF_BYTES) -> int:
    """A read-only descriptor on the document's PDF in the ``source`` home's archive.

    The path is resolved, and must stay inside the (resolved) archive folder; it is then
    opened one component at a time from the archive folder without following links, so
    that nothing swapped in meanwhile leads out either. Opening is non-blocking (a FIFO
    cannot hold the merge) and only a regular file of at most ``limit`` bytes is kept.
    """
    pdf = source_pdf(source, document_id)
    try:
        root = source.archive.resolve(strict=True)
        real = pdf.resolve(strict=True)
    except FileNotFoundError:
        raise Refused(f"no PDF at {pdf} in the source archive") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        raise Refused(f"its PDF cannot be found in the source archive: {_why(exc)}") from exc
    if not real.is_relative_to(root) or real == root:
        raise Refused(
            f"its PDF {pdf} leads outside the source archive (to {bounded(real)}): not read"
        )
    fd = _open_beneath(root, real.relative_to(root).parts)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(
                f"its PDF {real} is not a regular file ({kind_of(info.st_mode)}): not read"
            )
        if info.st_size > limit:
            raise Refused(
                f"its PDF {real} has {info.st_size} bytes, more than the limit of {limit}: not read"
            )
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_beneath(root: Path, parts: Sequence[str]) -> int:
    """Open ``root/parts…`` following no symbolic link below ``root``."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise Refused(f"cannot open the source archive {root}: {_why(exc)}") from exc
    try:
        for part in parts[:-1]:
            parent, fd = fd, os.open(part, os.O_RDONLY | os.O_DIRECTORY | _OPEN_FLAGS, dir_fd=fd)
            os.close(parent)
        parent, fd = fd, os.open(parts[-1], _OPEN_FLAGS, dir_fd=fd)
        os.close(parent)
        return fd
    except OSError as exc:
        os.close(fd)
        if exc.errno == errno.ELOOP:
            raise Refused("its PDF became a symbolic link while being opened: not read") from exc
        raise Refused(f"cannot open its PDF in the source archive: {_why(exc)}") from exc


def copy_into(source_fd: int, partial: Path, sha256: str, limit: int = MAX_PDF_BYTES) -> None:
    """Copy at most ``limit`` bytes from ``source_fd`` into the new private file ``partial``,
    durably, and check them against the recorded ``sha256``."""
    digest, size = hashlib.sha256(), 0
    fd = os.open(
        partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
    )
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        while chunk := _read(source_fd):
            size += len(chunk)
            if size > limit:
                raise Refused(f"its PDF grew past {limit} bytes while read: not merged")
            digest.update(chunk)
            _write_all(fd, chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    if digest.hexdigest() != sha256:
        raise Refused("its PDF does not match its recorded SHA-256: not merged")


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, _CHUNK)
    except BlockingIOError as exc:  # pragma: no cover - regular files never say so
        raise Refused("its PDF is not readable without waiting: not merged") from exc


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def copy_checked_pdf(
    source: Layout,
    target: Path,
    document_id: str,
    sha256: str,
    trust_roots: Sequence[Any],
    limit: int = MAX_PDF_BYTES,
) -> None:
    """Copy the document's PDF from the ``source`` home's archive to ``target`` (the place
    the target's own rule gives it), checked in a private copy beside ``target`` before it
    takes its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.merge")
    partial.unlink(missing_ok=True)  # left by a merge killed with this process number
    try:
        fd = open_source_pdf(source, document_id, limit)
        try:
            copy_into(fd, partial, sha256, limit)
        finally:
            os.close(fd)
        check_pdf(partial, document_id, trust_roots)
        if not place(partial, target):
            raise Refused(
                f"the target archive already has another file at {target} (a document being "
                "registered there now?): run the merge again later"
            )
    except OSError as exc:
        raise Refused(f"its PDF could not be copied: {_why(exc)}") from exc
    finally:
        partial.unlink(missing_ok=True)


def check_pdf(path: Path, document_id: str, trust_roots: Sequence[Any]) -> None:
    """The copy at ``path`` is a PDF/A signed as it should be, of the document ``document_id``
    (the id :func:`digitizer.verify.verify_file` reads from its XMP)."""
    from digitizer.verify import verify_file  # heavy: pyHanko

    report = verify_file(path, list(trust_roots), None)
    problems = report.problems + [p for s in report.signatures for p in s.problems]
    if problems:
        raise Refused(f"its PDF is not a valid signed PDF/A ({bounded(problems[0], 200)})")
    if report.embedded_id != document_id:
        raise Refused(
            f"its PDF is the signed PDF of document {bounded(report.embedded_id or 'none')}, "
            "not of this one: not merged"
        )


def place(partial: Path, target: Path) -> bool:
    """Give the checked copy its name in the archive; False when another file is there.

    A file already there with the same content (a merge run again) is kept as it is.
    """
    try:
        os.link(partial, target)  # never replaces: the target's own files are not touched
    except FileExistsError:
        return _same_content(partial, target)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if target.exists() or target.is_symlink():  # a share without hard links
            return _same_content(partial, target)
        os.replace(partial, target)
    fsync_dir(target.parent)
    return True


def _same_content(a: Path, b: Path) -> bool:
    if b.is_symlink() or not b.is_file():
        return False
    return sha256_of(a) == sha256_of(b)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return bounded(str(exc) or type(exc).__name__, 120)
