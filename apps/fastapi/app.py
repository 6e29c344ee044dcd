"""FastAPI system under test (uvicorn), asyncpg pool per worker process.

Implements apps-contract.md: /ping, /json, /db-read, /db-write, /upload, /stream, /ws-echo,
and the original's four extras /query, /user/<id>/info, /json-large, /html (their answers come
from apps/shared/python/extra_endpoints.py).
The pool is opened and closed by a lifespan handler (Starlette 1.0 removed the
on_event("startup") handlers older FastAPI apps used).
"""

import hashlib
import math
import os
import re
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from decimal import Decimal

import asyncpg
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from starlette.websockets import WebSocketDisconnect

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")
DB_POOL_MAX = int(os.environ.get("DB_POOL_MAX", "10"))

STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = $1"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES ($1, $2, $3) RETURNING id"

pool = None


@asynccontextmanager
async def lifespan(app):
    global pool
    pool = await asyncpg.create_pool(DATABASE_URL, min_size=1, max_size=DB_POOL_MAX)
    try:
        yield
    finally:
        await pool.close()


app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)


def json_response(obj, status=200):
    return Response(content=dumps(obj), status_code=status, media_type="application/json")


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


@app.get("/ping")
async def ping():
    return PlainTextResponse("pong")


@app.get("/json")
async def json_endpoint():
    return json_response({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})


@app.get("/db-read")
async def db_read(request: Request):
    raw = request.query_params.get("id", "")
    if not INT_RE.fullmatch(raw):
        return json_response({"error": "invalid id"}, 400)
    item_id = int(raw)
    if not INT4_MIN <= item_id <= INT4_MAX:
        return json_response({"error": "not found"}, 404)
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


@app.post("/db-write")
async def db_write(request: Request):
    item = parse_item(await request.body())
    if item is None:
        return json_response({"error": "invalid body"}, 400)
    # No explicit transaction: the INSERT autocommits before fetchval returns.
    new_id = await pool.fetchval(INSERT_ITEM, *item)
    return json_response({"id": new_id}, 201)


@app.post("/upload")
async def upload(request: Request):
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        form = await request.form()
        try:
            field = form.get("file")
            if field is None:
                return json_response({"error": "invalid body"}, 400)
            if isinstance(field, str):
                data = field.encode("utf-8")
            else:
                data = await field.read()
        finally:
            await form.close()
        return json_response({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
    digest = hashlib.sha256()
    size = 0
    async for chunk in request.stream():
        digest.update(chunk)
        size += len(chunk)
    return json_response({"sha256": digest.hexdigest(), "size": size})


async def x_chunks():
    sent = 0
    while sent < STREAM_TOTAL:
        n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
        yield STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n]
        sent += n


@app.get("/stream")
async def stream():
    return StreamingResponse(x_chunks(), media_type="application/octet-stream")


@app.get("/query")
async def query(request: Request):
    args = request.query_params  # Starlette keeps blank values and repeated keys
    status, body = extra_endpoints.query(args.getlist("q"), args.getlist("limit"), args.getlist("offset"))
    return Response(content=body, status_code=status, media_type=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/user/{user_id}/info")
async def user_info(user_id: str):
    status, body = extra_endpoints.user_info(user_id)
    return Response(content=body, status_code=status, media_type=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/json-large")
async def json_large():
    return Response(content=extra_endpoints.json_large(), media_type=extra_endpoints.JSON_CONTENT_TYPE)


@app.get("/html")
async def html():
    return Response(content=extra_endpoints.HTML_BODY, media_type=extra_endpoints.HTML_CONTENT_TYPE)


@app.websocket("/ws-echo")
async def ws_echo(ws: WebSocket):
    await ws.accept()
    try:
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is not None:
                await ws.send_text(text)
            else:
                await ws.send_bytes(message.get("bytes") or b"")
    except WebSocketDisconnect:
        pass
