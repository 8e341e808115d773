#!/usr/bin/env bash
# Set up (if needed) and run the main job on the bundled sample scans.
# State goes to $DIGITIZER_HOME (default ~/.local/share/digitizer); nothing to start by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/digitizer process samples/scans "$@"
