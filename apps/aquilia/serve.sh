#!/bin/sh
# Start the Aquilia app (AquiliaServer ASGI app) under uvicorn, like FastAPI.
# The same command runs locally and in Docker; Aquilia is not packaged in Debian 12,
# so in practice this app runs in Docker (python:3.11-slim, requirements.txt).
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (nproc),
#              DATABASE_URL, DB_POOL_MAX (10), PYTHON (/usr/bin/python3).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
WORKERS=${WORKERS:-$(nproc)}
DATABASE_URL=${DATABASE_URL:-postgresql://bench:bench@127.0.0.1:5432/bench}
DB_POOL_MAX=${DB_POOL_MAX:-10}
PYTHON=${PYTHON:-/usr/bin/python3}
export PORT BIND WORKERS DATABASE_URL DB_POOL_MAX
# --http h11: the same HTTP parser as the FastAPI app (Debian's httptools 0.1.1 is older than
# uvicorn 0.17 expects); the Docker image pins the same uvicorn and h11 as FastAPI's.
exec "$PYTHON" -m uvicorn app:app \
    --app-dir "$HERE" \
    --host "$BIND" \
    --port "$PORT" \
    --workers "$WORKERS" \
    --http h11 \
    --log-level warning \
    --no-access-log
