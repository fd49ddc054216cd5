#!/usr/bin/env bash
# Install the peer tools bench/peers.py compares against (parliament, cloudsplaining) into their
# own virtual environment, outside the repository, from PyPI. Idempotent: a second run with the
# same pins does nothing. Not part of the product or of the test run.
#
#   bash bench/peers_setup.sh            # or: PEERS_DIR=/somewhere bash bench/peers_setup.sh
#
# Versions are pinned to the ones surveyed in shared/reference/peers.md section 1.1.
set -euo pipefail

PEERS_DIR="${PEERS_DIR:-/var/tmp/pipeline-policy-bench/peers-venv}"
PYTHON="${PEERS_PYTHON:-python3}"
PINS=("parliament==1.6.4" "cloudsplaining==0.9.1")
STAMP="$PEERS_DIR/.bench-pins"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "${PINS[*]}" ]]; then
  echo "peers venv ready: $PEERS_DIR (${PINS[*]})"
  exit 0
fi

mkdir -p "$(dirname "$PEERS_DIR")"
"$PYTHON" -m venv "$PEERS_DIR"
timeout 600 "$PEERS_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
"$PEERS_DIR/bin/python" -c "import parliament, cloudsplaining"
echo "${PINS[*]}" >"$STAMP"
echo "peers venv installed: $PEERS_DIR (${PINS[*]})"
