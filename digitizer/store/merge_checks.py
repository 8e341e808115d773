"""What ``digitizer store merge`` believes of a source store: nothing it has not checked.

The source of a merge is a home copied from a workstation, which anyone could have edited:
its database is plain SQLite and its archive a folder. So a document row is data to check,
never an instruction:

* its id must have the form the product gives ids (the first 16 lowercase hex digits of the
  scan's SHA-256, :func:`digitizer.stages.document_id_for`) and agree with the row's own
  SHA-256; nothing else from the row (``output_path``, unit or dossier codes, field names)
  is ever made into a path;
* its PDF is read only from the source home's ``archive/`` folder, at the place the
  product's own rule gives for that id: whatever resolves outside that folder (a symbolic
  link, ``..``) is refused, and so is anything but a regular file (a FIFO, a device), opened
  so that opening never blocks; a file above a size bound is refused unread;
* the bytes are copied into the target's archive under a private (0600) temporary name and
  checked *there*, where the source can no longer change them: the SHA-256 recorded for
  them, every signature (:func:`digitizer.verify.verify_file`: intact, valid, covering the
  file, chaining to a trust root), the PDF/A claim, and the document id written in the XMP
  (:mod:`digitizer.pdfa.xmp`) against the row's id. Only then does the file take its name.

Each check that fails raises :class:`Refused` with one line saying why; the merge reports it
for that document and goes on with the next.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from digitizer.durable import fsync_dir

log = logging.getLogger(__name__)

MAX_PDF_BYTES = 1 << 30
"""The largest signed PDF a merge reads (1 GiB): the biggest document the profiles allow
(500 colour pages at scan resolution) is about half of that."""
MAX_CA_BYTES = 1 << 20
_CHUNK = 1 << 20
_DOCUMENT_ID = re.compile(r"[0-9a-f]{16}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_OPEN_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NOCTTY


class Refused(Exception):
    """A document of the source that is not merged; ``str()`` is the one-line reason."""


def shown(value: object, limit: int = 80) -> str:
    """A value from the source fit for one line of a report: control characters escaped
    (a terminal must not act on them), long values cut."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_identity(row: Any) -> None:
    """The row's id is one the product could have made, from the row's own content hash."""
    from digitizer.stages import document_id_for  # heavy: the pipeline's imports

    doc_id, sha256, output_sha256 = row.id, row.sha256, row.output_sha256
    if not isinstance(doc_id, str) or not _DOCUMENT_ID.fullmatch(doc_id):
        raise Refused("its id is not a document id (16 lowercase hex digits): not merged")
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise Refused("its recorded scan SHA-256 is not 64 lowercase hex digits: not merged")
    if document_id_for(sha256) != doc_id:
        raise Refused("its id does not agree with its recorded scan SHA-256: not merged")
    if not isinstance(output_sha256, str) or not _SHA256.fullmatch(output_sha256):
        raise Refused("its recorded PDF SHA-256 is not 64 lowercase hex digits: not merged")


def archive_pdf(archive: Path, document_id: str) -> Path:
    """Where the product files a document's PDF in an archive folder (its own rule, as
    :func:`digitizer.commit.output_path` applies it for this home's layout)."""
    return archive / document_id[:2] / f"{document_id}.pdf"


def open_source_pdf(archive: Path, document_id: str, limit: int = MAX_PDF_BYTES) -> int:
    """A read-only descriptor on the document's PDF in the source ``archive``.

    The path is resolved, and must stay inside the (resolved) archive folder; it is then
    opened one component at a time from the archive folder without following links, so
    that nothing swapped in meanwhile leads out either. Opening is non-blocking (a FIFO
    cannot hold the merge) and only a regular file of at most ``limit`` bytes is kept.
    """
    try:
        root = archive.resolve(strict=True)
        real = archive_pdf(root, document_id).resolve(strict=True)
    except FileNotFoundError:
        raise Refused(
            f"no PDF at {archive_pdf(archive, document_id)} in the source archive"
        ) from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop
        raise Refused(f"its PDF cannot be found in the source archive: {_why(exc)}") from exc
    if not real.is_relative_to(root) or real == root:
        raise Refused(
            f"its PDF {archive_pdf(archive, document_id)} leads outside the source archive "
            f"(to {shown(str(real))}): not read"
        )
    fd = _open_beneath(root, real.relative_to(root).parts)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Refused(f"its PDF {real} is not a regular file: not read")
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
    source_archive: Path,
    target: Path,
    document_id: str,
    sha256: str,
    trust_roots: Sequence[Any],
    limit: int = MAX_PDF_BYTES,
) -> None:
    """Copy the document's PDF from the source archive to ``target`` (the place the target's
    own rule gives it), checked in a private copy beside ``target`` before it takes its name."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.merge")
    partial.unlink(missing_ok=True)  # left by a merge killed with this process number
    try:
        fd = open_source_pdf(source_archive, document_id, limit)
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
    """The copy at ``path`` is a PDF/A signed as it should be, of the document ``document_id``."""
    from digitizer.verify import verify_file  # heavy: pyHanko

    report = verify_file(path, list(trust_roots), None)
    problems = report.problems + [p for s in report.signatures for p in s.problems]
    if problems:
        raise Refused(f"its PDF is not a valid signed PDF/A ({shown(problems[0], 200)})")
    embedded = embedded_document_id(path)
    if embedded != document_id:
        raise Refused(
            f"its PDF is the signed PDF of document {shown(embedded or 'none')}, not of this "
            "one: not merged"
        )


def embedded_document_id(path: Path) -> str | None:
    """The document id the pipeline wrote in the PDF's XMP (``dgz:documentId``), if any."""
    import pikepdf

    from digitizer.pdfa.xmp import PROJECT_NS

    try:
        with pikepdf.open(path) as pdf:
            value = pdf.open_metadata().get(f"{{{PROJECT_NS}}}documentId")
    except Exception as exc:  # a hostile file breaks the parsers in many ways
        log.debug("%s: cannot read its XMP: %s", path, exc)
        return None
    return value if isinstance(value, str) else None


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
    return _sha256_file(a) == _sha256_file(b)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def load_trust_roots(target_home: Path, source_home: Path) -> list[Any]:
    """The CAs a merged PDF's signature must chain to when the caller names none: the demo CA
    of this home and that of the source home (read as untrusted: bounded, regular file).

    The source's own CA proves only that its PDFs were signed by the key of that home; a
    province that knows its offices' CAs passes them instead (a profile's ``trust_roots``).
    """
    from digitizer.timestamping import load_certificates  # heavy: pyHanko

    roots: list[Any] = []
    own = target_home / "keys" / "demo-ca.pem"
    if own.is_file():
        roots.extend(load_certificates([own]))
    roots.extend(_source_certificates(source_home / "keys" / "demo-ca.pem"))
    return roots


def _source_certificates(path: Path) -> list[Any]:
    """The certificates of a PEM/DER file of the source home; none when it is absent or not
    a small regular certificate file (its PDFs are then refused as untrusted)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return []
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CA_BYTES:
            log.warning("%s is not a certificate file: its CA is not trusted", path)
            return []
        data = os.read(fd, MAX_CA_BYTES)
    finally:
        os.close(fd)
    try:
        ders = [der for _, _, der in pem.unarmor(data, True)] if pem.detect(data) else [data]
        certs = [asn1_x509.Certificate.load(der) for der in ders]
        for cert in certs:
            cert.native  # noqa: B018 - parse fully now: a bad file is found here
    except (ValueError, TypeError) as exc:
        log.warning("%s is not a certificate file (%s): its CA is not trusted", path, exc)
        return []
    return certs


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return shown(str(exc) or type(exc).__name__, 120)
