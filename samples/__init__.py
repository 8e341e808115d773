"""Synthetic sample scans of Vietnamese one-stop-shop documents, with ground truth.

Run ``python -m samples.generate --help``. Modules: :mod:`samples.data` (vocabulary),
:mod:`samples.vntext` (Vietnamese dates, numbers, IDs), :mod:`samples.content` (people,
places, offices, common blocks), the document builders :mod:`samples.civil`,
:mod:`samples.land`, :mod:`samples.business`, :mod:`samples.citizen`, :mod:`samples.unknown`
(registered in :mod:`samples.doctypes`), :mod:`samples.layout` (blocks to positioned text and
truth lines), :mod:`samples.render` (drawing, QR, seal, signature), :mod:`samples.degrade`
(paper and scanner effects), :mod:`samples.writers` (TIFF/JPEG/PNG/PDF) and
:mod:`samples.generate` (CLI and presets).
"""
