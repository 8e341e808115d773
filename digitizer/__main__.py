"""``python -m digitizer`` runs the CLI."""

from digitizer.cli import main

main()
