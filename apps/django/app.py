"""Django system under test (gunicorn, gthread worker), a single-module project.

Implements apps-contract.md: /ping, /json, /db-read, /db-write, /upload, /stream, and the
original's four extras /query, /user/<id>/info, /json-large, /html (their answers come from
apps/shared/python/extra_endpoints.py).
No WebSocket (would need Channels): /ws-echo is simply not routed (404).

Database access goes through Django's own connection handling (a raw cursor on
django.db.connection): one persistent connection per worker thread (CONN_MAX_AGE=None),
so a worker holds at most THREADS connections.
"""

import hashlib
import logging
import math
import os
import re
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

import django
from django.conf import settings

import extra_endpoints
import orjson

# orjson writes and reads every JSON body (the lock file installs it): compact, no spaces.
dumps = orjson.dumps


DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://bench:bench@127.0.0.1:5432/bench")


def database_settings(url):
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": None,  # persistent connections
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
    }


UPLOAD_LIMIT = 64 * 1024 * 1024  # above the contract's 50 MiB

settings.configure(
    DEBUG=False,
    SECRET_KEY="shootout-not-secret",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],  # no CSRF / sessions / common middleware: plain request -> view
    DATABASES={"default": database_settings(DATABASE_URL)},
    USE_TZ=False,
    USE_I18N=False,
    # The defaults (2.5 MB) would turn every 5 MB upload into a 400.
    DATA_UPLOAD_MAX_MEMORY_SIZE=UPLOAD_LIMIT,
    FILE_UPLOAD_MAX_MEMORY_SIZE=UPLOAD_LIMIT,
    LOGGING_CONFIG=None,
)
django.setup()

# django.request logs every 4xx as a WARNING (one line per request, an access log in
# all but name); keep only real errors from it.
logging.getLogger("django.request").setLevel(logging.ERROR)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.http import require_GET, require_POST  # noqa: E402

STREAM_TOTAL = 10 * 1024 * 1024
STREAM_CHUNK = 64 * 1024
STREAM_BLOCK = b"X" * STREAM_CHUNK

INT_RE = re.compile(r"-?[0-9]+")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1

SELECT_ITEM = "SELECT id, name, description, price, created_at FROM items WHERE id = %s"
INSERT_ITEM = "INSERT INTO items (name, description, price) VALUES (%s, %s, %s) RETURNING id"


def plain_response(body, content_type, status=200):
    # With no middleware, nothing sets Content-Length, and gunicorn would fall back
    # to chunked encoding for these small fixed bodies.
    response = HttpResponse(body, status=status, content_type=content_type)
    response["Content-Length"] = str(len(body))
    return response


def json_response(obj, status=200):
    return plain_response(dumps(obj), "application/json", status)


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


def body_stream(request):
    """A file-like body. Django (5.2 too) reads a request without Content-Length as empty;
    gunicorn's wsgi.input already ends at the end of a chunked body, so read that."""
    meta = request.META
    if not meta.get("CONTENT_LENGTH") and meta.get("wsgi.input_terminated"):
        return meta["wsgi.input"]
    return request


@require_GET
def ping(request):
    return plain_response(b"pong", "text/plain; charset=utf-8")


@require_GET
def json_endpoint(request):
    return json_response({"message": "hello", "ts": datetime.now(timezone.utc).isoformat()})


@require_GET
def db_read(request):
    raw = request.GET.get("id", "")
    if not INT_RE.fullmatch(raw):
        return json_response({"error": "invalid id"}, 400)
    item_id = int(raw)
    if not INT4_MIN <= item_id <= INT4_MAX:
        return json_response({"error": "not found"}, 404)
    with connection.cursor() as cur:
        cur.execute(SELECT_ITEM, (item_id,))
        row = cur.fetchone()
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


@require_POST
def db_write(request):
    item = parse_item(body_stream(request).read())
    if item is None:
        return json_response({"error": "invalid body"}, 400)
    # Autocommit mode: the INSERT is committed when execute() returns.
    with connection.cursor() as cur:
        cur.execute(INSERT_ITEM, item)
        new_id = cur.fetchone()[0]
    return json_response({"id": new_id}, 201)


@require_POST
def upload(request):
    if request.content_type == "multipart/form-data":
        f = request.FILES.get("file")
        if f is not None:
            digest = hashlib.sha256()
            size = 0
            for chunk in f.chunks(STREAM_CHUNK):
                digest.update(chunk)
                size += len(chunk)
            return json_response({"sha256": digest.hexdigest(), "size": size})
        if "file" in request.POST:
            data = request.POST["file"].encode("utf-8")
            return json_response({"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
        return json_response({"error": "invalid body"}, 400)
    digest = hashlib.sha256()
    size = 0
    stream = body_stream(request)
    while True:
        chunk = stream.read(STREAM_CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    return json_response({"sha256": digest.hexdigest(), "size": size})


@require_GET
def stream(request):
    def generate():
        sent = 0
        while sent < STREAM_TOTAL:
            n = min(STREAM_CHUNK, STREAM_TOTAL - sent)
            yield STREAM_BLOCK if n == STREAM_CHUNK else STREAM_BLOCK[:n]
            sent += n

    return StreamingHttpResponse(generate(), content_type="application/octet-stream")


@require_GET
def query(request):
    args = request.GET  # a QueryDict: blank values and repeated keys kept
    status, body = extra_endpoints.query(args.getlist("q"), args.getlist("limit"), args.getlist("offset"))
    return plain_response(body, extra_endpoints.JSON_CONTENT_TYPE, status)


@require_GET
def user_info(request, user_id):
    status, body = extra_endpoints.user_info(user_id)
    return plain_response(body, extra_endpoints.JSON_CONTENT_TYPE, status)


@require_GET
def json_large(request):
    return plain_response(extra_endpoints.json_large(), extra_endpoints.JSON_CONTENT_TYPE)


@require_GET
def html(request):
    return plain_response(extra_endpoints.HTML_BODY, extra_endpoints.HTML_CONTENT_TYPE)


urlpatterns = [
    path("ping", ping),
    path("json", json_endpoint),
    path("db-read", db_read),
    path("db-write", db_write),
    path("upload", upload),
    path("stream", stream),
    path("query", query),
    path("user/<str:user_id>/info", user_info),
    path("json-large", json_large),
    path("html", html),
]

application = get_wsgi_application()
