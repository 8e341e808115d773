"""The hot folder: scanners drop files, the workstation digitizes them unattended.

:mod:`arrivals` decides when a file is complete, :mod:`originals` where it goes after its
result is durable, :mod:`folders` checks the folder layout is safe, and :mod:`watcher` runs
the service (``digitizer watch``).
"""
