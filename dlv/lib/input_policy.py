"""What every request's input is held to before a handler sees it, checked once at the edge
(``before_request`` on every route) instead of in each handler:

- no NUL character in a query parameter, path parameter, JSON string or form field:
  PostgreSQL cannot store one in text and refuses the whole statement;
- JSON nested at most MAX_JSON_DEPTH levels: deeper documents exhaust the decoder's stack
  (and PostgreSQL's) long before they mean anything;
- a date-time in the query must be expressible in UTC (``0001-01-01T00:00:00+14:00`` is not).

Each refusal is a 400 naming the field and what to send instead. Routes that read their
body themselves (OpenLineage, gzip-compressed) opt out with ``opt={READS_OWN_BODY: True}``
and call :func:`check_json_body` on what they decoded.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from itertools import accumulate
from typing import Annotated, Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.params import QueryParameter

from dlv.lib.exceptions import BadRequest

MAX_JSON_DEPTH = 256
READS_OWN_BODY = "reads_own_body"
# Far beyond any real listing, and far inside every database's 64-bit OFFSET.
MAX_OFFSET = 1_000_000_000
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET, description="Items to skip (0 to 1,000,000,000).")]

_NUL_HINT = "remove the NUL character (\\u0000): text fields cannot hold one"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _nul_in(field: str, where: str) -> BadRequest:
    return BadRequest(
        f"Invalid {where} {field}: {_NUL_HINT}.",
        extra={"errors": [{"field": field, "message": "contains a NUL character", "source": where.split()[0]}]},
    )


def _check_query_datetime(name: str, value: str) -> None:
    if len(value) < 16 or "T" not in value.upper():
        return
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return
    if moment.tzinfo is None:
        return
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:
        raise BadRequest(
            f"Invalid query parameter {name}={value}: this instant lies outside the years 1 to 9999 in UTC; "
            "send a date-time between 0001-01-02 and 9999-12-30."
        ) from None


def check_url(request: Request[Any, Any, Any]) -> None:
    """Path and query parameters: no NUL, date-times that exist in UTC."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and "\x00" in value:
            raise _nul_in(name, "path parameter")
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            raise _nul_in(name.replace("\x00", "\\u0000"), "query parameter")
        _check_query_datetime(name, value)


# A JSON string (escapes included), written so the regex engine never backtracks.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _max_depth(body: bytes) -> int:
    """How deeply the JSON text nests, without decoding it: strings are dropped (they may hold
    brackets), then the brackets left are summed up; all of it at C speed."""
    # Without escaped quotes every other piece between quotes is a string: splitting is
    # much faster than the regex, which only bodies with escaped quotes need.
    outside = b"".join(body.split(b'"')[0::2]) if b'\\"' not in body else _JSON_STRING.sub(b"", body)
    brackets = outside.translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def _first_problem(document: Any, look_for_nul: bool) -> tuple[str, str] | None:
    """(JSON path, problem) of the first string holding NUL or container nested too deeply.

    Iterative, so the walk itself cannot run out of stack on the documents it refuses."""
    stack: list[tuple[Any, str, int]] = [(document, "$", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, list):
            items = ((f"[{index}]", item) for index, item in enumerate(value))
        else:
            if look_for_nul and isinstance(value, str) and "\x00" in value:
                return path, "nul"
            continue
        if depth > MAX_JSON_DEPTH:
            return path, "depth"
        for key, item in items:
            if look_for_nul and "\x00" in key:
                return f"{path}.{key!r}", "nul"
            child = f"{path}{key}" if key.startswith("[") and isinstance(value, list) else f"{path}.{key}"
            if isinstance(item, (dict, list)) or (look_for_nul and isinstance(item, str)):
                stack.append((item, child, depth + 1))
    return None


def _too_deep(path: str) -> BadRequest:
    return BadRequest(
        f"Invalid JSON body at {path}: nested more than {MAX_JSON_DEPTH} levels deep; send a flatter document.",
        extra={"errors": [{"field": path, "message": f"nested more than {MAX_JSON_DEPTH} levels", "source": "body"}]},
    )


def check_json_body(body: bytes) -> None:
    """No NUL in any string or key, at most MAX_JSON_DEPTH levels. Cheap for ordinary bodies:
    a byte scan decides; the document is decoded and walked (for the path to name) only
    when it could fail."""
    look_for_nul = b"\\u0000" in body
    if not look_for_nul and (
        body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH or _max_depth(body) <= MAX_JSON_DEPTH
    ):
        return
    try:
        document = msgspec.json.decode(body)
    except RecursionError:
        raise _too_deep("$") from None
    except msgspec.DecodeError:
        return  # not JSON at all: the handler says so in its own words
    problem = _first_problem(document, look_for_nul)
    if problem is None:
        return
    path, kind = problem
    if kind == "depth":
        raise _too_deep(path)
    raise _nul_in(path, "field")


def _check_form_body(body: bytes) -> None:
    if b"%00" not in body and b"\x00" not in body:
        return
    for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            raise _nul_in(name.replace("\x00", "\\u0000"), "form field")


async def check_input(request: Request[Any, Any, Any]) -> None:
    """``before_request`` of every route (runs after authentication and guards)."""
    check_url(request)
    if request.method not in _BODY_METHODS or request.route_handler.opt.get(READS_OWN_BODY):
        return
    body = await request.body()
    if not body:
        return
    if request.content_type[0].startswith("multipart/"):
        return
    if request.content_type[0] == "application/x-www-form-urlencoded":
        _check_form_body(body)
    else:
        check_json_body(body)
