"""The office's web workspace (``digitizer serve``): review, look-up, dossiers, rates.

Server-rendered pages on the same store and audit chain as the command line, in
Vietnamese first, served from the package alone (no CDN: an office may be offline).
"""
