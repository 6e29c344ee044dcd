"""Tornado system under test: sockets bound once, then tornado.process.fork_processes(WORKERS).

Implements apps-contract.md: /ping, /json, /db-read, /db-write, /upload, /stream, /ws-echo,
and the original's four extras /query, /user/<id>/info, /json-large, /html (their answers come
from apps/shared/python/extra_endpoints.py).
Each forked worker runs its own asyncio loop with its own asyncpg pool (max DB_POOL_MAX).

Run: python3 app.py   (reads PORT, BIND, WORKERS, DATABASE_URL, DB_POOL_MAX)
"""

import asyncio
import ctypes
import hashlib
import logging
import math
import os
import re
import signal
import sys
from datetime import datetime, timezone
from decimal import Decimal

import asyncpg
import tornado.httpserver
import tornado.iostream
import tornado.netutil
import tornado.process
import tornado.web
import tornado.websocket

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))
PORT = int(os.environ.get("PORT", "8080"))
BIND = os.environ.get("BIND", "127.0.0.1")
WORKERS = int(os.environ.get("WORKERS", "0") or "0") or (os.cpu_count() or 1)

LISTEN_BACKLOG = 2048
MAX_BODY = 64 * 1024 * 1024  # above the contract's 50 MiB
STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = $1"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES ($1, $2, $3) RETURNING id"


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
    return name, description, Decimal(str(price))


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, db):
        self.db = db

    def compute_etag(self):
        return None  # no per-response SHA-1 Etag: the other apps do not hash their bodies

    def send_json(self, obj, status=200):
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(obj))


class PingHandler(BaseHandler):
    def get(self):
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(b"pong")


class JsonHandler(BaseHandler):
    def get(self):
        self.send_json({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})


class DbReadHandler(BaseHandler):
    async def get(self):
        raw = self.get_query_argument("id", "")
        if not INT_RE.fullmatch(raw):
            return self.send_json({"error": "invalid id"}, 400)
        item_id = int(raw)
        if not INT4_MIN <= item_id <= INT4_MAX:
            return self.send_json({"error": "not found"}, 404)
        row = await self.db["pool"].fetchrow(SELECT_ITEM, item_id)
        if row is None:
            return self.send_json({"error": "not found"}, 404)
        self.send_json(
            {
                "id": row["id"],
                "name": row["name"],
                "description": row["description"],
                "price": float(row["price"]),
                "created_at": row["created_at"].isoformat(),
            }
        )


class DbWriteHandler(BaseHandler):
    async def post(self):
        item = parse_item(self.request.body)
        if item is None:
            return self.send_json({"error": "invalid body"}, 400)
        # No explicit transaction: the INSERT autocommits before fetchval returns.
        new_id = await self.db["pool"].fetchval(INSERT_ITEM, *item)
        self.send_json({"id": new_id}, 201)


class UploadHandler(BaseHandler):
    def post(self):
        content_type = self.request.headers.get("Content-Type", "")
        if content_type.split(";")[0].strip().lower() == "multipart/form-data":
            # Tornado has already parsed the multipart body into files / arguments.
            files = self.request.files.get("file")
            if files:
                data = files[0]["body"]
            elif "file" in self.request.body_arguments:
                data = self.request.body_arguments["file"][0]
            else:
                return self.send_json({"error": "invalid body"}, 400)
        else:
            data = self.request.body
        self.send_json({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})


class StreamHandler(BaseHandler):
    async def get(self):
        # No Content-Length and an explicit flush before finish(): Tornado sends
        # the body with chunked transfer encoding, one chunk per flush.
        self.set_header("Content-Type", "application/octet-stream")
        sent = 0
        try:
            while sent < STREAM_TOTAL:
                n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
                self.write(STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n])
                await self.flush()
                sent += n
        except tornado.iostream.StreamClosedError:
            return  # the client went away mid-stream
        self.finish()


class ExtraHandler(BaseHandler):
    def decode_argument(self, value, name=None):
        # Tornado answers invalid UTF-8 in an argument with its own HTML 400; the other frameworks
        # decode it to U+FFFD, which extra_endpoints refuses with the contract's JSON 400.
        return value.decode("utf-8", errors="replace")

    def send_extra(self, status, body, content_type=extra_endpoints.JSON_CONTENT_TYPE):
        self.set_status(status)
        self.set_header("Content-Type", content_type)
        self.finish(body)


class QueryHandler(ExtraHandler):
    def values(self, name):
        # Not get_query_arguments(): it strips whitespace and turns control characters into
        # spaces, which no other framework does. query_arguments keeps blank values and repeats.
        return [self.decode_argument(value) for value in self.request.query_arguments.get(name, [])]

    def get(self):
        self.send_extra(*extra_endpoints.query(self.values("q"), self.values("limit"), self.values("offset")))


class UserInfoHandler(ExtraHandler):
    def get(self, user_id):
        self.send_extra(*extra_endpoints.user_info(user_id))


class JsonLargeHandler(ExtraHandler):
    def get(self):
        self.send_extra(200, extra_endpoints.json_large())


class HtmlHandler(ExtraHandler):
    def get(self):
        self.send_extra(200, extra_endpoints.HTML_BODY, extra_endpoints.HTML_CONTENT_TYPE)


class EchoSocket(tornado.websocket.WebSocketHandler):
    def check_origin(self, origin):
        return True

    async def on_message(self, message):
        try:
            await self.write_message(message, binary=isinstance(message, bytes))
        except tornado.websocket.WebSocketClosedError:
            pass


def make_app(db):
    args = {"db": db}
    return tornado.web.Application(
        [
            (r"/ping", PingHandler, args),
            (r"/json", JsonHandler, args),
            (r"/db-read", DbReadHandler, args),
            (r"/db-write", DbWriteHandler, args),
            (r"/upload", UploadHandler, args),
            (r"/stream", StreamHandler, args),
            (r"/query", QueryHandler, args),
            (r"/user/([^/]+)/info", UserInfoHandler, args),
            (r"/json-large", JsonLargeHandler, args),
            (r"/html", HtmlHandler, args),
            (r"/ws-echo", EchoSocket),
        ],
        debug=False,
        autoreload=False,
        compress_response=False,
        websocket_max_message_size=MAX_BODY,
        log_function=lambda handler: None,  # no access log
    )


async def serve(sockets):
    db = {"pool": await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=DB_POOL_MAX)}
    server = tornado.httpserver.HTTPServer(make_app(db), max_body_size=MAX_BODY, max_buffer_size=MAX_BODY)
    server.add_sockets(sockets)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    try:
        await asyncio.wait_for(db["pool"].close(), 5)
    except asyncio.TimeoutError:
        db["pool"].terminate()


def die_with_parent(parent_pid):
    """Ask Linux to SIGTERM this worker when the parent (the fork_processes supervisor) dies.

    fork_processes keeps its children to itself; without this, a SIGTERM to the
    parent would leave the workers running.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent is already gone
        sys.exit(0)


def main():
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("tornado.access").disabled = True
    # The listen backlog uvicorn and gunicorn use by default (Tornado's own is 128), so no
    # framework drops connections under the spike's 500 that another would have queued.
    sockets = tornado.netutil.bind_sockets(PORT, address=BIND, backlog=LISTEN_BACKLOG)
    parent_pid = os.getpid()
    # An explicit SIGTERM handler: as PID 1 in a container, a process without one
    # ignores SIGTERM. The workers replace it with their own in serve().
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if WORKERS > 1:
        tornado.process.fork_processes(WORKERS)  # returns only in the children
        die_with_parent(parent_pid)
    asyncio.run(serve(sockets))


if __name__ == "__main__":
    main()
