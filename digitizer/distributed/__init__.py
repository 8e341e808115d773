"""Scale-out beyond one workstation: files enqueued on Celery (Redis broker), digitized and
registered by ``digitizer worker`` processes on any machine that sees the files, the
archive and the PostgreSQL store.

:mod:`~digitizer.distributed.queue` sets up the queue, :mod:`~digitizer.distributed.tasks`
is what a worker does with one file, :mod:`~digitizer.distributed.producer` is the
``batch --distributed`` side, :mod:`~digitizer.distributed.cli` the ``worker`` command.
"""
