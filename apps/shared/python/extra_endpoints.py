"""The answers of the four endpoints the original suite measured beyond its README
(apps-contract.md, endpoints 8 to 11), shared by the six apps so that they cannot drift apart.

Each app does the framework's part (routing, parsing the query string and the path, sending the
response) and hands the parsed values here; what comes back is the status and the exact body.
None of the four touches the database: like the original's, they measure what a framework does
around a handler (query-string parsing, path routing, serialising a large list, a text
response), which /db-read and /db-write would bury under PostgreSQL's time.

serve.sh puts this directory on PYTHONPATH (the Docker image copies it to /shared/python).
"""

import re

import orjson

Q_MAX_CHARS = 255
LIMIT_DEFAULT, LIMIT_MIN, LIMIT_MAX = 10, 1, 100
OFFSET_DEFAULT, OFFSET_MIN, OFFSET_MAX = 0, 0, 2**31 - 1  # PostgreSQL's int4, for a future SQL OFFSET
# No sign, no spaces, at most 10 digits: int() never sees a huge or odd string.
DIGITS = re.compile(r"[0-9]{1,10}")
USER_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# What every framework's query-string decoder makes of invalid UTF-8 (Tornado's raises instead,
# and its app passes this character on): a q holding it is refused, so all six agree.
REPLACEMENT_CHARACTER = "\ufffd"

JSON_LARGE_ITEMS = 1000

HTML_BODY = b"<html><body><h1>Hello World</h1></body></html>"
HTML_CONTENT_TYPE = "text/html; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"


def _error(message):
    return 400, orjson.dumps({"error": message})


def _bounded_int(values, default, low, high):
    """The one value of a query parameter as an int in [low, high], its default if absent, or None."""
    if not values:
        return default
    if len(values) != 1 or not DIGITS.fullmatch(values[0]):
        return None
    number = int(values[0])
    return number if low <= number <= high else None


def query(q_values, limit_values, offset_values):
    """/query: (status, body) from every value each parameter was given, already percent-decoded
    (a list: a parameter given twice is an error, since frameworks disagree on which one wins)."""
    if len(q_values) > 1:
        return _error("invalid q")
    q = q_values[0] if q_values else ""
    if len(q) > Q_MAX_CHARS or REPLACEMENT_CHARACTER in q:
        return _error("invalid q")
    limit = _bounded_int(limit_values, LIMIT_DEFAULT, LIMIT_MIN, LIMIT_MAX)
    if limit is None:
        return _error("invalid limit")
    offset = _bounded_int(offset_values, OFFSET_DEFAULT, OFFSET_MIN, OFFSET_MAX)
    if offset is None:
        return _error("invalid offset")
    return 200, orjson.dumps({"q": q, "limit": limit, "offset": offset})


def user_info(user_id):
    """/user/<id>/info: (status, body) from the path segment, already percent-decoded. The id is
    echoed as the string it was (leading zeros kept), as the original did."""
    if not USER_ID.fullmatch(user_id):
        return _error("invalid id")
    return 200, orjson.dumps({"id": user_id})


def json_large():
    """/json-large: the 1,000-item list, built and serialised on every call (caching the bytes
    would measure nothing): 38,891 bytes."""
    return orjson.dumps([{"id": i, "name": "item", "active": True} for i in range(JSON_LARGE_ITEMS)])
