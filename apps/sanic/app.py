"""Sanic system under test (Sanic's own server and worker manager), asyncpg pool per worker.

Implements apps-contract.md: /ping, /json, /db-read, /db-write, /upload, /stream, /ws-echo,
and the original's four extras /query, /user/<id>/info, /json-large, /html (their answers come
from apps/shared/python/extra_endpoints.py).

Run: python3 app.py (see serve.sh; reads PORT, BIND, WORKERS). Not `python -m sanic app:app`:
Sanic's command line cannot set the listen backlog, and its default (100) drops connections
under the spike's 500 (measured: 138 of 500 never connected) where uvicorn and gunicorn (2048)
queue them. app.run() takes it.
"""

import hashlib
import logging
import math
import os
import re
from datetime import datetime, timezone
from decimal import Decimal

import asyncpg
from sanic import Sanic
from sanic.response import raw, text

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))

PORT = int(os.environ.get("PORT", "8080"))
BIND = os.environ.get("BIND", "127.0.0.1")
WORKERS = int(os.environ.get("WORKERS", "0") or "0") or (os.cpu_count() or 1)
LISTEN_BACKLOG = 2048  # uvicorn's and gunicorn's default

MAX_BODY = 64 * 1024 * 1024  # above the contract's 50 MiB
STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = $1"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES ($1, $2, $3) RETURNING id"

SANIC_LOGGERS = ("sanic.root", "sanic.error", "sanic.access", "sanic.server", "sanic.websockets")

app = Sanic("shootout")
app.config.REQUEST_MAX_SIZE = MAX_BODY
app.config.WEBSOCKET_MAX_SIZE = MAX_BODY
app.config.ACCESS_LOG = False
app.config.MOTD = False


def quiet_logs():
    # Sanic (re)configures its loggers when the server starts, so this runs from
    # the start-up listeners rather than at import time.
    for name in SANIC_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


@app.main_process_start
async def main_quiet(app):
    quiet_logs()


@app.before_server_start
async def open_pool(app):
    quiet_logs()
    app.ctx.pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=DB_POOL_MAX)


@app.after_server_stop
async def close_pool(app):
    pool = getattr(app.ctx, "pool", None)
    if pool is not None:
        await pool.close()


def json_response(obj, status=200):
    return raw(dumps(obj), status=status, content_type="application/json")


def parse_item(body):
    """Validated (name, description, price) from a JSON body, or None."""
    try:
        data = orjson.loads(body)
    except ValueError:  # orjson.JSONDecodeError, invalid UTF-8 included
        return None
    if not isinstance(data, dict):
        return None
    name = data.get("name")
    if not isinstance(name, str) or len(name) > 255:
        return None
    description = data.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        return None
    price = data.get("price", 0)
    if price is None:
        price = 0
    if isinstance(price, bool) or not isinstance(price, (int, float)):
        return None
    if not math.isfinite(price) or abs(price) >= 1e8:
        return None
    return name, description, Decimal(str(price))


@app.get("/ping")
async def ping(request):
    return text("pong")  # text/plain; charset=utf-8


@app.get("/json")
async def json_endpoint(request):
    return json_response({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})


@app.get("/db-read")
async def db_read(request):
    value = request.args.get("id", "")
    if not INT_RE.fullmatch(value):
        return json_response({"error": "invalid id"}, 400)
    item_id = int(value)
    if not INT4_MIN <= item_id <= INT4_MAX:
        return json_response({"error": "not found"}, 404)
    row = await request.app.ctx.pool.fetchrow(SELECT_ITEM, item_id)
    if row is None:
        return json_response({"error": "not found"}, 404)
    return json_response(
        {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "price": float(row["price"]),
            "created_at": row["created_at"].isoformat(),
        }
    )


@app.post("/db-write")
async def db_write(request):
    item = parse_item(request.body)
    if item is None:
        return json_response({"error": "invalid body"}, 400)
    # No explicit transaction: the INSERT autocommits before fetchval returns.
    new_id = await request.app.ctx.pool.fetchval(INSERT_ITEM, *item)
    return json_response({"id": new_id}, 201)


@app.post("/upload")
async def upload(request):
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        f = request.files.get("file")
        if f is not None:
            data = f.body
        elif request.form.get("file") is not None:
            data = request.form.get("file").encode("utf-8")
        else:
            return json_response({"error": "invalid body"}, 400)
    else:
        data = request.body
    return json_response({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})


@app.get("/stream")
async def stream(request):
    # No Content-Length: Sanic sends the body with chunked transfer encoding,
    # one chunk per send().
    response = await request.respond(content_type="application/octet-stream")
    sent = 0
    while sent < STREAM_TOTAL:
        n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
        await response.send(STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n])
        sent += n
    await response.eof()


@app.get("/query")
async def query(request):
    # request.args drops blank values (limit= would read as absent); the contract makes it a 400.
    args = request.get_args(keep_blank_values=True)
    status, body = extra_endpoints.query(args.getlist("q", []), args.getlist("limit", []), args.getlist("offset", []))
    return raw(body, status=status, content_type=extra_endpoints.JSON_CONTENT_TYPE)


# unquote: Sanic routes on the raw path and would hand over "%41b"; the others decode it to "Ab".
@app.get("/user/<user_id:str>/info", unquote=True)
async def user_info(request, user_id):
    status, body = extra_endpoints.user_info(user_id)
    return raw(body, status=status, content_type=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/json-large")
async def json_large(request):
    return raw(extra_endpoints.json_large(), content_type=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/html")
async def html(request):
    return raw(extra_endpoints.HTML_BODY, content_type=extra_endpoints.HTML_CONTENT_TYPE)


@app.websocket("/ws-echo")
async def ws_echo(request, ws):
    # recv() returns str for text frames and bytes for binary frames; send() keeps the type.
    async for message in ws:
        await ws.send(message)


if __name__ == "__main__":
    # Sanic's worker manager starts WORKERS worker processes, each importing this module and
    # serving `app`; this process only manages them.
    app.run(host=BIND, port=PORT, workers=WORKERS, backlog=LISTEN_BACKLOG, access_log=False, motd=False)
