#!/bin/sh
# Start the Sanic app with Sanic's own server and worker manager.
# The same command runs locally and in Docker.
# Environment: PORT (8080), BIND (127.0.0.1), WORKERS (nproc),
#              DATABASE_URL, DB_POOL_MAX (10),
#              PYTHON (the app's venv, .venvs/sanic/bin/python, that scripts/setup.sh builds
#              from requirements.txt; the Docker image sets its own python3).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
PORT=${PORT:-8080}
BIND=${BIND:-127.0.0.1}
WORKERS=${WORKERS:-$(nproc)}
DATABASE_URL=${DATABASE_URL:-postgresql://bench:bench@127.0.0.1:5432/bench}
DB_POOL_MAX=${DB_POOL_MAX:-10}
PYTHON=${PYTHON:-$(cd "$HERE/../.." && pwd)/.venvs/sanic/bin/python}
if [ ! -x "$PYTHON" ]; then
  echo "apps/sanic/serve.sh: no Python at $PYTHON: run scripts/setup.sh (it builds .venvs/sanic from apps/sanic/requirements.txt), or set PYTHON" >&2
  exit 127
fi
# The four extra endpoints' answers (apps/shared/python/extra_endpoints.py); the Docker image
# copies that directory to /shared/python, which is $HERE/../shared/python there too. Appended,
# so that a profiler's sitecustomize the launcher put first stays first.
PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$HERE/../shared/python
export PORT BIND WORKERS DATABASE_URL DB_POOL_MAX PYTHONPATH
# app.py calls app.run() itself (the listen backlog is not on Sanic's command line).
exec "$PYTHON" "$HERE/app.py"
