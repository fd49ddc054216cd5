#!/bin/sh
# Container entrypoint. `serve` (the default): migrate, seed, then serve on HOST:PORT with WORKERS
# worker processes (extra arguments go to `pipeline-policy serve`). Anything else runs as given
# when it names a program, or as a `pipeline-policy` subcommand (`keys create --name me ...`).
set -eu

: "${HOST:=0.0.0.0}" "${PORT:=8000}" "${WORKERS:=1}"
export HOST PORT WORKERS

if [ "$#" -eq 0 ] || [ "$1" = serve ]; then
    if [ "$#" -gt 0 ]; then shift; fi
    pipeline-policy db upgrade
    pipeline-policy seed
    exec pipeline-policy serve --no-prepare --host "$HOST" --port "$PORT" --workers "$WORKERS" "$@"
fi

if command -v "$1" >/dev/null 2>&1; then
    exec "$@"
fi
exec pipeline-policy "$@"
