"""Aquilia system under test: a real Aquilia controller app served by uvicorn (httptools, uvloop).

Implements apps-contract.md, the original's four extras (/query, /user/<id>/info, /json-large,
/html, whose answers come from apps/shared/python/extra_endpoints.py) included. Every HTTP endpoint is an Aquilia Controller route
(@GET / @POST on ShootoutController), registered through an AppManifest and served
by AquiliaServer's ASGI application, with its middleware stack, router, DI-scoped
request context and Response objects.

One deliberate exception, /ws-echo: Aquilia's WebSocket runtime (AquilaSockets,
@Socket/SocketController) speaks its own event-envelope protocol. Checked again in
Aquilia 1.4.2 (aquilia/sockets/runtime.py): the ASGI adapter hands every WebSocket
connection to that runtime, which decodes every frame with its codec (JSON by
default) into an envelope before any handler runs, answers a frame that is not an
envelope with an error message, ignores empty frames, and sends every reply as a
text frame. A plain echo that returns any text as text and binary as binary cannot
be expressed with it, so this module wraps the Aquilia ASGI app and answers the
/ws-echo WebSocket itself, at the ASGI level (under the same uvicorn, so the
WebSocket protocol code is uvicorn's, as for FastAPI). Everything else, including
lifespan, goes to Aquilia.
"""

import asyncio
import hashlib
import logging
import math
import os
import re
from datetime import datetime, timezone
from decimal import Decimal

import asyncpg
from aquilia import GET, POST, AppManifest, Controller, RequestCtx, Response
from aquilia.config import ConfigLoader
from aquilia.server import AquiliaServer

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))

BODY_LIMIT = 64 * 1024 * 1024  # above the contract's 50 MiB (Aquilia's default is 10 MiB)
STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = $1"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES ($1, $2, $3) RETURNING id"

MODULE_NAME = "shootout"

logger = logging.getLogger("shootout.aquilia")


# --------------------------------------------------------------------------------------
# asyncpg pool: one per worker process, opened at ASGI lifespan startup (or lazily).
# --------------------------------------------------------------------------------------
_pool = None
_pool_lock = None


async def get_pool():
    global _pool, _pool_lock
    if _pool is None:
        if _pool_lock is None:
            _pool_lock = asyncio.Lock()
        async with _pool_lock:
            if _pool is None:
                _pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=DB_POOL_MAX)
    return _pool


async def close_pool():
    global _pool
    if _pool is not None:
        pool, _pool = _pool, None
        await pool.close()


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------
def json_response(obj, status=200):
    return Response(content=dumps(obj), status=status, media_type="application/json")


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


def raise_body_limits(request):
    """Lift Aquilia's per-request body limits (10 MiB by default) for /upload."""
    for attr, value in (
        ("max_body_size", BODY_LIMIT),
        ("json_max_size", BODY_LIMIT),
        ("max_file_size", BODY_LIMIT),
        ("form_memory_threshold", BODY_LIMIT),  # keep the uploaded file in memory
    ):
        try:
            setattr(request, attr, value)
        except AttributeError:
            pass


async def x_chunks():
    sent = 0
    while sent < STREAM_TOTAL:
        n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
        yield STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n]
        sent += n


# --------------------------------------------------------------------------------------
# The controller
# --------------------------------------------------------------------------------------
class ShootoutController(Controller):
    prefix = ""
    tags = ["shootout"]

    @GET("/ping")
    async def ping(self, ctx: RequestCtx):
        return Response(content=b"pong", media_type="text/plain; charset=utf-8")

    @GET("/json")
    async def json_endpoint(self, ctx: RequestCtx):
        return json_response({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})

    @GET("/db-read")
    async def db_read(self, ctx: RequestCtx):
        raw = ctx.request.query_param("id") or ""
        if not INT_RE.fullmatch(raw):
            return json_response({"error": "invalid id"}, 400)
        item_id = int(raw)
        if not INT4_MIN <= item_id <= INT4_MAX:
            return json_response({"error": "not found"}, 404)
        pool = await get_pool()
        row = await pool.fetchrow(SELECT_ITEM, item_id)
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

    @POST("/db-write")
    async def db_write(self, ctx: RequestCtx):
        item = parse_item(await ctx.request.body())
        if item is None:
            return json_response({"error": "invalid body"}, 400)
        pool = await get_pool()
        # No explicit transaction: the INSERT autocommits before fetchval returns.
        new_id = await pool.fetchval(INSERT_ITEM, *item)
        return json_response({"id": new_id}, 201)

    @POST("/upload")
    async def upload(self, ctx: RequestCtx):
        request = ctx.request
        raise_body_limits(request)
        content_type = request.header("content-type") or ""
        if content_type.split(";")[0].strip().lower() == "multipart/form-data":
            form = await request.multipart()
            try:
                upload = form.get_file("file")
                if upload is not None:
                    data = await upload.read()
                else:
                    value = form.get_field("file")
                    if value is None:
                        return json_response({"error": "invalid body"}, 400)
                    data = value.encode("utf-8") if isinstance(value, str) else bytes(value)
            finally:
                cleanup = getattr(form, "cleanup", None)
                if cleanup is not None:
                    await cleanup()
            return json_response({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        digest = hashlib.sha256()
        size = 0
        async for chunk in request.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
        return json_response({"sha256": digest.hexdigest(), "size": size})

    @GET("/stream")
    async def stream(self, ctx: RequestCtx):
        # An async iterator body: no Content-Length, so uvicorn sends it chunked,
        # one chunk per yielded block.
        return Response.stream(x_chunks(), media_type="application/octet-stream")

    @GET("/query")
    async def query(self, ctx: RequestCtx):
        args = ctx.request.query_params  # parse_qsl(keep_blank_values=True): repeated keys kept
        status, body = extra_endpoints.query(args.get_all("q"), args.get_all("limit"), args.get_all("offset"))
        return Response(content=body, status=status, media_type=extra_endpoints.JSON_CONTENT_TYPE)

    @GET("/user/{user_id}/info")
    async def user_info(self, ctx: RequestCtx, user_id: str):
        status, body = extra_endpoints.user_info(user_id)
        return Response(content=body, status=status, media_type=extra_endpoints.JSON_CONTENT_TYPE)

    @GET("/json-large")
    async def json_large(self, ctx: RequestCtx):
        return Response(content=extra_endpoints.json_large(), media_type=extra_endpoints.JSON_CONTENT_TYPE)

    @GET("/html")
    async def html(self, ctx: RequestCtx):
        return Response(content=extra_endpoints.HTML_BODY, media_type=extra_endpoints.HTML_CONTENT_TYPE)


# --------------------------------------------------------------------------------------
# Manifest and server
# --------------------------------------------------------------------------------------
manifest = AppManifest(
    name=MODULE_NAME,
    version="1.0.0",
    description="Framework shootout endpoints",
    controllers=[f"{__name__}:ShootoutController"],
    auto_discover=False,
)

config = ConfigLoader()
for key, value in (("debug", False), ("docs_enabled", False)):
    try:
        config.set(key, value)
    except Exception:  # older/newer ConfigLoader without set(): defaults are already off
        pass

try:
    # Mount the module at "/" (without a workspace, Aquilia mounts it at "/<name>").
    server = AquiliaServer(
        manifests=[manifest],
        config=config,
        workspace_modules={MODULE_NAME: {"route_prefix": "/"}},
    )
except TypeError:
    server = AquiliaServer(manifests=[manifest], config=config)

aquilia_app = server.get_asgi_app()
logging.getLogger("aquilia").setLevel(logging.WARNING)


# --------------------------------------------------------------------------------------
# ASGI entry point: Aquilia for HTTP and lifespan; the /ws-echo WebSocket at ASGI level.
# --------------------------------------------------------------------------------------
async def ws_echo(scope, receive, send):
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                await send({"type": "websocket.send", "text": text})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
        elif kind == "websocket.disconnect":
            return


async def app(scope, receive, send):
    kind = scope["type"]
    if kind == "websocket" and scope.get("path") == "/ws-echo":
        await ws_echo(scope, receive, send)
    elif kind == "lifespan":

        async def lifespan_receive():
            message = await receive()
            if message["type"] == "lifespan.startup":
                # Open the pool early, but never let a database that is not up yet
                # break Aquilia's own startup (controllers load there): the first
                # request retries.
                try:
                    await get_pool()
                except Exception as exc:  # noqa: BLE001
                    logger.warning("database pool not opened at startup: %s", exc)
            elif message["type"] == "lifespan.shutdown":
                await close_pool()
            return message

        await aquilia_app(scope, lifespan_receive, send)
    else:
        await aquilia_app(scope, receive, send)
