#!/bin/sh
# Start the FastAPI app under uvicorn. The same command runs locally and in Docker.
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
# --http h11: Debian's httptools (0.1.1) is older than uvicorn 0.17 expects, and the
# Docker image uses h11 too so both runs parse HTTP the same way.
exec "$PYTHON" -m uvicorn app:app \
    --app-dir "$HERE" \
    --host "$BIND" \
    --port "$PORT" \
    --workers "$WORKERS" \
    --http h11 \
    --log-level warning \
    --no-access-log
