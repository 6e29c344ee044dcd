#!/bin/sh
# Start the Tornado app: app.py binds the socket, then forks WORKERS processes
# (tornado.process.fork_processes). The same command runs locally and in Docker.
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (nproc),
#              DATABASE_URL, DB_POOL_MAX (10),
#              PYTHON (the app's venv, .venvs/tornado/bin/python, that scripts/setup.sh builds
#              from requirements.txt; the Docker image sets its own python3).
# Tornado has no access log here (log_function is a no-op) and logs at WARNING.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
WORKERS=${WORKERS:-$(nproc)}
DATABASE_URL=${DATABASE_URL:-postgresql://bench:bench@127.0.0.1:5432/bench}
DB_POOL_MAX=${DB_POOL_MAX:-10}
PYTHON=${PYTHON:-$(cd "$HERE/../.." && pwd)/.venvs/tornado/bin/python}
if [ ! -x "$PYTHON" ]; then
  echo "apps/tornado/serve.sh: no Python at $PYTHON: run scripts/setup.sh (it builds .venvs/tornado from apps/tornado/requirements.txt), or set PYTHON" >&2
  exit 127
fi
# The four extra endpoints' answers (apps/shared/python/extra_endpoints.py); the Docker image
# copies that directory to /shared/python, which is $HERE/../shared/python there too. Appended,
# so that a profiler's sitecustomize the launcher put first stays first.
PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$HERE/../shared/python
export PORT BIND WORKERS DATABASE_URL DB_POOL_MAX PYTHONPATH
exec "$PYTHON" "$HERE/app.py"
