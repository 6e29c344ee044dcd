"""Flask system under test (gunicorn, gthread worker).

Implements apps-contract.md: /ping, /json, /db-read, /db-write, /upload, /stream, and the
original's four extras /query, /user/<id>/info, /json-large, /html (their answers come from
apps/shared/python/extra_endpoints.py).
No WebSocket (Flask has none natively): /ws-echo is simply not routed (404).
"""

import hashlib
import math
import os
import re
import threading
from datetime import datetime, timezone
from urllib.parse import parse_qsl

import psycopg_pool
from flask import Flask, Request, Response, request
from werkzeug.utils import cached_property

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))
THREADS = int(os.environ.get("THREADS", "4"))  # gunicorn --threads, set by serve.sh
# Only THREADS requests run at once in a worker, so more connections than that would sit idle;
# opening that many up front (never more than DB_POOL_MAX) spares the first requests the connects.
DB_POOL_KEEP = max(1, min(THREADS, DB_POOL_MAX))

STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = %s"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES (%s, %s, %s) RETURNING id"


class ContractRequest(Request):
    @cached_property
    def args(self):
        # Werkzeug (2.3 on) leaves invalid UTF-8 percent-encoded ("%FF" stays "%FF", the same as
        # a "%25FF" sent on purpose); the other five frameworks decode it to U+FFFD, which
        # /query refuses (apps-contract.md). The same parse_qsl call, with that error handler.
        return self.parameter_storage_class(
            parse_qsl(self.query_string.decode(), keep_blank_values=True, errors="replace")
        )


app = Flask(__name__)
app.request_class = ContractRequest

# One pool per worker process, created lazily (gunicorn forks before the first request).
_pool = None
_pool_pid = None
_pool_lock = threading.Lock()


def get_pool():
    global _pool, _pool_pid
    pid = os.getpid()
    if _pool is None or _pool_pid != pid:
        with _pool_lock:
            if _pool is None or _pool_pid != pid:
                # psycopg 3's pool (psycopg_pool): threads borrow a connection per query.
                # Autocommit: a read is one round trip, and an INSERT is committed by the
                # time execute() returns (no BEGIN/COMMIT pair around single statements).
                _pool = psycopg_pool.ConnectionPool(
                    DATABASE_URL,
                    min_size=DB_POOL_KEEP,
                    max_size=DB_POOL_MAX,
                    kwargs={"autocommit": True},
                    open=True,
                )
                _pool_pid = pid
    return _pool


def run_query(sql, params):
    with get_pool().connection() as conn:
        return conn.execute(sql, params).fetchone()


def json_response(obj, status=200):
    return Response(dumps(obj), status=status, mimetype="application/json")


def parse_item(raw):
    """Validated (name, description, price) from a JSON body, or None."""
    try:
        data = orjson.loads(raw)
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
    return name, description, price


@app.get("/ping")
def ping():
    return Response(b"pong", mimetype="text/plain")


@app.get("/json")
def json_endpoint():
    return json_response({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})


@app.get("/db-read")
def db_read():
    raw = request.args.get("id", "")
    if not INT_RE.fullmatch(raw):
        return json_response({"error": "invalid id"}, 400)
    item_id = int(raw)
    if not INT4_MIN <= item_id <= INT4_MAX:
        return json_response({"error": "not found"}, 404)
    row = run_query(SELECT_ITEM, (item_id,))
    if row is None:
        return json_response({"error": "not found"}, 404)
    return json_response(
        {
            "id": row[0],
            "name": row[1],
            "description": row[2],
            "price": float(row[3]),
            "created_at": row[4].isoformat(),
        }
    )


@app.post("/db-write")
def db_write():
    item = parse_item(request.get_data(cache=False))
    if item is None:
        return json_response({"error": "invalid body"}, 400)
    row = run_query(INSERT_ITEM, item)
    return json_response({"id": row[0]}, 201)


@app.post("/upload")
def upload():
    if request.mimetype == "multipart/form-data":
        f = request.files.get("file")
        if f is not None:
            data = f.read()
        elif "file" in request.form:
            data = request.form["file"].encode("utf-8")
        else:
            return json_response({"error": "invalid body"}, 400)
        return json_response({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    digest = hashlib.sha256()
    size = 0
    stream = request.stream
    while True:
        chunk = stream.read(STREAM_CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    return json_response({"sha256": digest.hexdigest(), "size": size})


@app.get("/stream")
def stream():
    def generate():
        sent = 0
        while sent < STREAM_TOTAL:
            n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
            yield STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n]
            sent += n

    return Response(generate(), mimetype="application/octet-stream")


@app.get("/query")
def query():
    args = request.args  # werkzeug keeps blank values and repeated keys
    status, body = extra_endpoints.query(args.getlist("q"), args.getlist("limit"), args.getlist("offset"))
    return Response(body, status=status, mimetype=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/user/<user_id>/info")
def user_info(user_id):
    status, body = extra_endpoints.user_info(user_id)
    return Response(body, status=status, mimetype=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/json-large")
def json_large():
    return Response(extra_endpoints.json_large(), mimetype=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/html")
def html():
    return Response(extra_endpoints.HTML_BODY, content_type=extra_endpoints.HTML_CONTENT_TYPE)
