"""Pool processes die with their run, even when the run is killed with SIGKILL.

A pool's workers are children of the forkserver, not of the run, so nothing else tells
them: orphans (250 MB each) would keep OCR'ing files nobody will commit and hold the run's
output pipes open. A thread of the worker waiting for the run to end is not enough: it never
runs while the main thread is in C code that keeps the GIL, and a program the worker started
(pdftoppm rendering a heavy page) outlives the worker.

So a worker of a forkserver is ended from outside itself:

* it leads a process group of its own (its programs are in it), and starts a *minder*
  (:mod:`digitizer.minder`), a tiny Python of its own that kills the whole group when the
  run's process ends or this worker does;
* the kernel kills it when the forkserver ends (``PR_SET_PDEATHSIG``). The forkserver ends
  once nobody holds its "alive" pipe; each child is handed that pipe too, so it is closed
  here: else the workers keep the forkserver alive, and it them.

Other callers (a Celery pool process) get a thread that kills this process's children and
then the process when the run ends, or at once if the run is gone already.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import subprocess
import sys
import threading
from pathlib import Path

from digitizer import minder

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def exit_with(parent_pid: int, *, forkserver_child: bool = False) -> None:
    """End this process, and the programs it started, when ``parent_pid`` ends."""
    if forkserver_child:
        _let_the_forkserver_go()
        if _start_minder(parent_pid):
            return
    try:
        pidfd = os.pidfd_open(parent_pid)
    except ProcessLookupError:
        _end_now()
    except (OSError, AttributeError):
        log.info("no pidfd for the run's process %d; looking every second instead", parent_pid)
        threading.Thread(
            target=_poll_then_exit, args=(parent_pid,), name="follow-parent", daemon=True
        ).start()
        return
    threading.Thread(
        target=_wait_then_exit, args=(pidfd,), name="follow-parent", daemon=True
    ).start()


def _let_the_forkserver_go() -> None:
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        log.warning("cannot tie this worker to its parent: %s", os.strerror(ctypes.get_errno()))


def _start_minder(parent_pid: int) -> bool:
    os.setpgid(0, 0)
    end, held = os.pipe()  # ``held`` stays open as long as this worker lives
    args = [str(parent_pid), str(os.getpid()), str(end)]
    try:
        subprocess.Popen(
            [sys.executable, "-I", "-S", minder.__file__, *args],
            pass_fds=(end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError as exc:
        log.warning("cannot start this worker's minder (%s); a thread follows the run", exc)
        os.close(held)
        return False
    finally:
        os.close(end)
    return True


def _end_now() -> None:
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):  # the programs this process started
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == me:
                os.kill(int(stat.parent.name), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to kill
    os._exit(70)


def _poll_then_exit(parent_pid: int) -> None:
    never = threading.Event()
    while not never.wait(1.0):
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            _end_now()
        except PermissionError:
            pass  # alive (another user's process would be a reused pid: rare, harmless)


def _wait_then_exit(pidfd: int) -> None:
    select.select([pidfd], [], [])
    _end_now()
