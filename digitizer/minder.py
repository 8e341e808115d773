"""A pool worker's minder: kills the worker's process group when the run or the worker ends.

Run as its own small Python (``python -I -S minder.py RUN GROUP END_FD``), standard library
only, so that it shares no GIL with the worker it watches: a worker whose main thread sits
in C code (Tesseract, a decoder) could never run a thread of its own that notices the run is
gone. It waits on a pidfd of the run's process (no race with pid reuse; without pidfds it
looks every second) and on a pipe only the worker holds (end-of-file: the worker is gone),
then SIGKILLs the worker's whole group: the worker, the programs it started (pdftoppm on a
heavy page) and the minder itself.
"""

import contextlib
import os
import select
import signal
import sys


def main(run: int, group: int, end: int) -> None:
    ends = [end]
    with contextlib.suppress(OSError):  # no pidfds here: the loop looks every second
        ends.append(os.pidfd_open(run))
    while not select.select(ends, [], [], 1.0)[0]:
        try:
            os.kill(run, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            pass
    os.killpg(group, signal.SIGKILL)


if __name__ == "__main__":
    main(*map(int, sys.argv[1:4]))
