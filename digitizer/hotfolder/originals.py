"""Where an original goes once its fate is known — never before, and never to nowhere.

Success: ``processed/YYYY/MM/DD/<name>`` (or left where it is, per profile), only after the
signed PDF and its record are durable. Failure: ``failed/<name>`` with ``<name>.error.txt``
beside it saying why, in words an operator can act on. A name already taken gets a numbered
suffix: two scanners both writing ``scan0001.pdf`` on the same day lose nothing.

Names are kept within the file system's limit (255 bytes on most): a scanner or a user may
write a name of 250 bytes, and ``<name>.error.txt`` or ``<stem>-2<suffix>`` beside it must
still fit, or filing fails every time. The stem is shortened, at a character boundary (a
Vietnamese letter is two or three bytes, and its accent may be a character of its own), and
the suffix kept.

Originals hold names and ID numbers: what is filed, and the notes, are readable by the
service's user only (0600, folders 0700), whatever the umask. A move opens the original
without blocking and checks it is a regular file first (:mod:`digitizer.regular`).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import errno
import itertools
import logging
import os
import shutil
import stat
import unicodedata
from pathlib import Path

from digitizer.durable import fsync_dir
from digitizer.profiles import OriginalsSettings
from digitizer.regular import open_regular

log = logging.getLogger(__name__)

NOTE_SUFFIX = ".error.txt"
FILE_MODE = 0o600
FOLDER_MODE = 0o700
_DEFAULT_NAME_MAX = 255
_MAX_SUFFIX_BYTES = 16  # longer "suffixes" are part of the name (``a.very long note``)
_AT_FDCWD = -100
_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def name_max(folder: Path) -> int:
    """The longest file name ``folder``'s file system takes, in bytes."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return _DEFAULT_NAME_MAX


def shorten(text: str, max_bytes: int) -> str:
    """The longest start of ``text`` that encodes in ``max_bytes``, whole characters only,
    and never a letter cut off from the accents that follow it."""
    kept: list[str] = []
    size = 0
    for char in text:
        size += len(os.fsencode(char))
        if size > max_bytes:
            break
        kept.append(char)
    while kept and len(kept) < len(text) and unicodedata.combining(text[len(kept)]):
        kept.pop()
    return "".join(kept)


def fitted_name(name: str, limit: int, number: int = 1) -> str:
    """``name`` (``stem-N.suffix`` for N > 1) in at most ``limit`` bytes, suffix kept."""
    suffix = Path(name).suffix
    if len(os.fsencode(suffix)) > _MAX_SUFFIX_BYTES:
        suffix = ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    tail = (f"-{number}" if number > 1 else "") + suffix
    room = limit - len(os.fsencode(tail))
    return (shorten(stem, room) or "original") + tail


def free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.suffix`` … when that is taken; short enough that
    ``<name>.error.txt`` fits beside it too."""
    limit = name_max(folder) - len(NOTE_SUFFIX)
    for number in itertools.count(1):
        candidate = folder / fitted_name(name, limit, number)
        if not (_exists(candidate) or _exists(_note_of(candidate))):
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst`` in one step that never replaces: FileExistsError when the
    name is taken (another watcher filing the same name at the same instant keeps its own
    original). ``renameat2(RENAME_NOREPLACE)``: nothing is left behind by a crash at any
    point; where the file system lacks it (some network shares), a hard link then the
    removal of the old name (a crash between the two leaves the original under both)."""
    libc = ctypes.CDLL(None, use_errno=True)
    done = libc.renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), 1)
    if done == 0:
        return
    err = ctypes.get_errno()
    if err == errno.EEXIST:
        raise FileExistsError(err, os.strerror(err), str(dst))
    if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        raise OSError(err, os.strerror(err), str(src))
    os.link(src, dst)  # FileExistsError when taken, as above
    os.unlink(src)


def _note_of(target: Path) -> Path:
    return target.with_name(target.name + NOTE_SUFFIX)


def _exists(path: Path) -> bool:
    """Is the name taken (a dangling link too)? Errors other than "no such file" are
    raised: a folder we cannot read is no reason to overwrite anything."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return False
    return True


def private_folder(folder: Path) -> None:
    """Make ``folder`` and any missing parents, each 0700 whatever the umask."""
    missing: list[Path] = []
    here = folder
    while not here.exists():
        missing.append(here)
        here = here.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, FOLDER_MODE)
            os.chmod(path, FOLDER_MODE)  # the umask may have taken bits off


def write_note(note: Path, text: str) -> None:
    """Write a new ``.error.txt`` (never over anything), 0600, durably."""
    fd = os.open(note, _CREATE_FLAGS, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def move_original(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst`` so that ``dst`` is complete and on disk, 0600, or not there at
    all, and ``src`` is gone only once ``dst`` is durable (across file systems too: a hot
    folder on a network share, the originals on a local disk). Only a regular file moves."""
    with open_regular(src) as fh:
        os.fsync(fh.fileno())
        _make_private(fh.fileno(), src)
        try:
            rename_noreplace(src, dst)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            _copy_across(fh.fileno(), src, dst)
            return
    fsync_dir(dst.parent)
    if src.parent != dst.parent:
        fsync_dir(src.parent)


def _make_private(fd: int, src: Path) -> None:
    try:
        os.fchmod(fd, FILE_MODE)
    except PermissionError:  # the scanner's user owns it: it keeps the mode it was given
        log.debug("cannot make %s private (not its owner)", src)


def _copy_across(fd: int, src: Path, dst: Path) -> None:
    """The file system boundary: copy what was opened, then remove the very same file."""
    staging = dst.with_name(f".{shorten(dst.name, 200)}.{os.getpid()}.tmp")
    st = os.fstat(fd)
    try:
        out = os.open(staging, _CREATE_FLAGS, FILE_MODE)
        with os.fdopen(out, "wb") as target, os.fdopen(os.dup(fd), "rb") as source:
            source.seek(0)
            shutil.copyfileobj(source, target, 1 << 20)
            os.fchmod(target.fileno(), FILE_MODE)
            os.utime(target.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns))
            target.flush()
            os.fsync(target.fileno())
        rename_noreplace(staging, dst)
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    fsync_dir(dst.parent)
    now = os.lstat(src)
    if (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino) or stat.S_ISLNK(now.st_mode):
        src.unlink()
        fsync_dir(src.parent)
    else:  # swapped meanwhile: what is there now is not what was filed, and stays
        log.warning("%s changed while being filed; the new file stays", src)


class Originals:
    """Moves originals per the profile's ``[originals]`` settings (paths already expanded)."""

    def __init__(self, settings: OriginalsSettings, processed: Path, failed: Path) -> None:
        self.settings = settings
        self.processed = processed
        self.failed = failed

    def done(self, original: Path, when: dt.datetime | None = None) -> Path:
        """The result is durable: file the original under today's date (or keep it)."""
        if self.settings.after_success == "keep":
            return original
        when = when or dt.datetime.now()
        folder = self.processed / f"{when:%Y}" / f"{when:%m}" / f"{when:%d}"
        private_folder(folder)
        while True:  # a name another watcher takes meanwhile: the next one
            target = free_name(folder, original.name)
            with contextlib.suppress(FileExistsError):
                move_original(original, target)
                break
        log.info("%s -> %s", original, target)
        return target

    def failed_with(self, original: Path, reason: str) -> Path:
        """The pipeline rejected the file: keep it, with the reason beside it."""
        private_folder(self.failed)
        stamp = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        while True:  # a name another watcher takes meanwhile: the next one
            target = free_name(self.failed, original.name)
            note = _note_of(target)
            try:
                write_note(note, f"{original}\n{stamp}\n{reason}\n")
            except FileExistsError:
                continue  # another watcher's note
            try:
                move_original(original, target)
            except FileExistsError:
                note.unlink(missing_ok=True)  # ours, without its file
                continue
            except BaseException:
                if os.path.lexists(original):  # not moved: no note without its file
                    note.unlink(missing_ok=True)
                raise
            break
        fsync_dir(note.parent)
        log.warning("%s failed (%s) -> %s", original, reason, target)
        return target
