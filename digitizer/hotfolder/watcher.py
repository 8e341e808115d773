"""``digitizer watch``: the unattended service behind a scanner's hot folder.

File events (inotify through watchdog, or polling for network shares) and a periodic full
scan feed a :class:`SettleTracker`; complete files go to the same :class:`Run` as
``digitizer process`` (a process pool on every core, crash isolation, registration by
content hash). Only once a file's result is committed is the original moved: to
``processed/YYYY/MM/DD/`` on success, to ``failed/`` with its reason otherwise.

Why this is crash-safe: every step is idempotent. The signed PDF is named by content and
written by atomic rename; registration is keyed by the SHA-256 of the original; the original
is moved last. A watcher killed at any point finds, on restart, the originals still in the
hot folder and takes them again: an already registered one is recognised by its hash and
just filed away, anything else is processed again. Nothing is lost or registered twice.

SIGTERM or Ctrl-C: nothing new starts, the files in flight finish and are committed, the
watcher exits 0. A second signal exits at once (the files stay queued in the hot folder).

Why nothing in the folder can stop it: only regular files are candidates (a FIFO, a socket
or a device is named once in the log and left alone), nothing is ever opened in a way that
can block, and nothing over the pipeline's limits is decoded here. An original that cannot
be filed (a full disk, a folder without permission) is left in the hot folder, logged and
journaled once, and not taken again until it changes or the watcher restarts: a failure to
file ends in one clear state, never in a loop.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from digitizer.hotfolder.arrivals import SettleTracker, is_ignored
from digitizer.hotfolder.folders import HotFolderLayout, inside
from digitizer.hotfolder.originals import Originals
from digitizer.hotfolder.stack_desk import StackDesk
from digitizer.pkcs11_token import retry_later
from digitizer.profiles import ScannerProfile
from digitizer.records import DocumentResult
from digitizer.regular import kind_of
from digitizer.runner import Run
from digitizer.stackfile import read_manifest
from digitizer.stages import stacks_folder
from digitizer.store import Store

log = logging.getLogger(__name__)

_RESCAN_SECONDS = 30.0  # a full scan now and then: missed events, a share that came back


class _Events(FileSystemEventHandler):
    """Hands the paths of file events to the watcher's thread (watchdog calls from its own)."""

    def __init__(self, inbox: queue.Queue[Path]) -> None:
        self.inbox = inbox

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        for raw in (event.src_path, getattr(event, "dest_path", "")):
            if raw:
                self.inbox.put(Path(raw if isinstance(raw, str) else raw.decode()))


@dataclass
class WatchStats:
    """What a watcher did, for its log line at exit and for tests."""

    by_status: dict[str, int] = field(default_factory=dict)
    pages: int = 0

    def add(self, result: DocumentResult) -> None:
        self.by_status[result.status] = self.by_status.get(result.status, 0) + 1
        self.pages += len(result.pages)


class Watcher:
    """One profile's hot folders, watched until stopped."""

    def __init__(
        self,
        profile: ScannerProfile,
        folders: HotFolderLayout,
        run: Run,
        store: Store,
        *,
        on_result: Callable[[DocumentResult], None] | None = None,
        idle_exit: float | None = None,
    ) -> None:
        self.profile = profile
        self.folders = folders
        self.run = run
        self.store = store
        self.on_result = on_result
        self.idle_exit = idle_exit
        self.originals = Originals(profile.originals, folders.processed, folders.failed)
        self.tracker = SettleTracker(profile.hot_folder.settle_seconds, profile.ingest_limits())
        self.inbox: queue.Queue[Path] = queue.Queue()
        self.taken: set[Path] = set()  # handed to the run, not yet filed away
        # done and left in place (after_success = "keep"): not taken again while unchanged
        self.kept: dict[Path, tuple[int, int]] = {}
        # could not be filed (no permission, disk full): left, and not taken again, likewise
        self.unfiled: dict[Path, tuple[int, int]] = {}
        self.stats = WatchStats()
        self._stop = threading.Event()
        self._signals = 0
        self._watches: dict[Path, ObservedWatch] = {}
        self._missing: set[Path] = set()
        self._refused: set[Path] = set()
        self._not_regular: set[Path] = set()  # FIFOs, sockets, devices: named once
        self._last_scan = 0.0
        self._last_activity = time.monotonic()
        # one-file-per-page scanners: complete pages wait here until their stack is complete
        self.stacks = (
            StackDesk(profile, run.plan.settings, self.tracker.busy_in)
            if profile.stacks.mode == "pages"
            else None
        )
        self.stack_dir = stacks_folder(run.plan.settings.work_dir)
        self._observer: BaseObserver = (
            PollingObserver(timeout=profile.hot_folder.poll_seconds)
            if profile.hot_folder.polling
            else Observer()
        )

    # ------------------------------------------------------------------ life cycle

    def serve(self) -> WatchStats:
        """Watch until SIGTERM/SIGINT (or ``idle_exit`` seconds with nothing to do)."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        self._observer.start()
        for stale in self.stack_dir.glob("*.stack"):  # cut again from the pages still queued
            stale.unlink()
        try:
            self._ensure_watches()
            self._scan_all()
            for result in self.run.stream(self._refill, self._stop.is_set):
                self._file_away(result)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._observer.stop()
            self._observer.join(timeout=5)
        return self.stats

    def stop(self) -> None:
        self._stop.set()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._signals += 1
        if self._signals > 1:
            raise KeyboardInterrupt  # asked twice: leave now, the files stay queued
        log.warning(
            "%s: finishing the files in flight, then exiting (again to leave now)",
            signal.Signals(signum).name,
        )
        self._stop.set()

    # ------------------------------------------------------------------ intake

    def _refill(self, wait_seconds: float) -> list[Path]:
        now = time.monotonic()
        if now - self._last_scan >= _RESCAN_SECONDS:
            self._ensure_watches()
            self._scan_all()
        try:
            first = self.inbox.get(timeout=max(wait_seconds, 0.05))
            self._see(first)
            while True:
                self._see(self.inbox.get_nowait())
        except queue.Empty:
            pass
        now = time.monotonic()
        found = self.tracker.take(now)
        self.taken.update(item.path for item in found)
        ready = [item.path for item in found]
        if self.stacks is not None:
            ready, sheets, left_out = self.stacks.take(found, now)
            self.taken.difference_update(left_out)
            for sheet in sheets:  # only separator sheets: filed at once
                self._file_original(sheet, None, None)
        if ready or len(self.tracker) or self.taken:
            self._last_activity = now
        elif self.idle_exit is not None and now - self._last_activity >= self.idle_exit:
            log.info("nothing to do for %.0f s: exiting", self.idle_exit)
            self._stop.set()
        return ready

    def _see(self, path: Path) -> None:
        folder = next((f for f in self.folders.inputs if path.is_relative_to(f)), None)
        if folder is None or path in self.taken or is_ignored(path.name):
            return
        if self._left_alone(path, self.kept) or self._left_alone(path, self.unfiled):
            return
        if path.is_symlink() and not inside(path, folder):
            if path not in self._refused:
                self._refused.add(path)
                log.warning("%s is a link to outside the hot folder: refused, left as is", path)
            return
        if self._is_regular(path):
            self.tracker.observe(path, time.monotonic())

    @staticmethod
    def _left_alone(path: Path, memory: dict[Path, tuple[int, int]]) -> bool:
        """Is ``path`` a file left in the hot folder on purpose, and unchanged since?"""
        if path not in memory:
            return False
        try:
            st = path.stat()
        except OSError:
            memory.pop(path, None)
            return True
        if memory[path] == (st.st_size, st.st_mtime_ns):
            return True
        del memory[path]  # the scanner wrote a new file under the same name
        return False

    def _is_regular(self, path: Path) -> bool:
        """Only a regular file (or a link to one inside the folder) can be a scan; anything
        else is named in the log once, and never opened (a FIFO would block for good)."""
        try:
            mode = os.stat(path).st_mode
        except OSError:
            self.tracker.forget(path)
            return False
        if stat.S_ISREG(mode):
            self._not_regular.discard(path)
            return True
        self.tracker.forget(path)
        if path not in self._not_regular:
            self._not_regular.add(path)
            log.warning("%s is %s, not a scan: ignored, left as is", path, kind_of(mode))
        return False

    def _scan_all(self) -> None:
        self._last_scan = time.monotonic()
        listed: set[Path] = set()
        for folder in self.folders.inputs:
            try:
                for path in sorted(folder.rglob("*")):
                    if any(part.startswith((".", "~")) for part in path.relative_to(folder).parts):
                        continue
                    if path.is_symlink() or not path.is_dir():  # FIFOs too: named once
                        listed.add(path)
                        self._see(path)
            except OSError as exc:
                log.warning("cannot list %s (%s); retrying", folder, exc.strerror or exc)
        self._not_regular &= listed  # one that went away is named again if it comes back

    def _ensure_watches(self) -> None:
        """Watch every hot folder that exists; say once when one goes missing or comes back."""
        for folder in self.folders.inputs:
            if folder.is_dir():
                if folder in self._missing:
                    self._missing.discard(folder)
                    log.warning("hot folder %s is back", folder)
                if folder not in self._watches:
                    try:
                        self._watches[folder] = self._observer.schedule(
                            _Events(self.inbox), str(folder), recursive=True
                        )
                    except OSError as exc:
                        log.warning("cannot watch %s (%s); retrying", folder, exc)
            else:
                if folder not in self._missing:
                    self._missing.add(folder)
                    log.warning(
                        "hot folder %s is not reachable (unplugged share?); retrying every %.0f s",
                        folder,
                        _RESCAN_SECONDS,
                    )
                watch = self._watches.pop(folder, None)
                if watch is not None:
                    with contextlib.suppress(KeyError, OSError):
                        self._observer.unschedule(watch)

    # ------------------------------------------------------------------ outcome

    def _file_away(self, result: DocumentResult) -> None:
        """The result is committed: now, and only now, the original(s) may move."""
        source = Path(result.source)
        self.stats.add(result)
        manifest = self.stacks.manifests.pop(source, None) if self.stacks is not None else None
        if manifest is None and source.parent == self.stack_dir:
            manifest = read_manifest(source)
        if manifest is None:
            self._file_original(source, result, result.sha256 or None)
        else:
            if manifest.dossier_code and result.status != "failed":
                self.store.journal(
                    source=source.name,
                    event_name="dossier_link",
                    sha256=result.sha256 or None,
                    document_id=result.document_id,
                    detail=manifest.dossier_code,
                )
            for original in manifest.originals:
                self._file_original(original, result, None)
            source.unlink(missing_ok=True)
        if self.on_result is not None:
            self.on_result(result)

    def _file_original(
        self, original: Path, result: DocumentResult | None, sha256: str | None
    ) -> None:
        if result is not None and result.status == "failed" and retry_later(result.error):
            # the token is unplugged or the timestamp server is down: not the file's fault.
            # It stays in the hot folder; the next full scan (every _RESCAN_SECONDS) takes
            # it again, so signing is retried until the token is back.
            log.warning(
                "%s stays queued, retried in %.0f s: %s", original, _RESCAN_SECONDS, result.error
            )
            self.taken.discard(original)
            self.tracker.forget(original)
            return
        document_id = result.document_id if result is not None else None
        try:
            if result is not None and result.status == "failed":
                target = self.originals.failed_with(original, result.error or "failed")
            else:
                target = self.originals.done(original)
                if target == original:
                    st = original.stat()
                    self.kept[original] = (st.st_size, st.st_mtime_ns)
        except OSError as exc:
            self._could_not_file(original, exc, sha256, document_id)
        else:
            self.store.journal(
                source=str(original),
                event_name="original_filed",
                sha256=sha256,
                document_id=document_id,
                detail=str(target),
            )
        finally:
            self.taken.discard(original)
            self.tracker.forget(original)

    def _could_not_file(
        self, original: Path, exc: OSError, sha256: str | None, document_id: str | None
    ) -> None:
        """Filing failed (no permission, disk full, a name the folder refuses): the original
        stays in the hot folder, said once, and is not taken again while unchanged. Its
        result is committed already; a restart (or a new file under its name) tries again."""
        reason = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        try:
            st = original.stat()
        except OSError:
            st = None
        if st is not None:
            self.unfiled[original] = (st.st_size, st.st_mtime_ns)
        log.error(
            "cannot file %s (%s); it stays in the hot folder, not taken again until it changes "
            "or the watcher restarts: fix the cause, then restart the watcher",
            original,
            reason,
        )
        self.store.journal(
            source=str(original),
            event_name="original_not_filed",
            sha256=sha256,
            document_id=document_id,
            detail=reason,
        )
