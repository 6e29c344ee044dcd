#!/bin/sh
# Start the Tornado app: app.py binds the socket, then forks WORKERS processes
# (tornado.process.fork_processes). The same command runs locally and in Docker.
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (nproc),
#              DATABASE_URL, DB_POOL_MAX (10), PYTHON (/usr/bin/python3).
# Tornado has no access log here (log_function is a no-op) and logs at WARNING.
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
exec "$PYTHON" "$HERE/app.py"
