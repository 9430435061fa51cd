"""DLV's error hierarchy and its mapping to RFC 9457 problem details.

Every error response is ``application/problem+json`` with ``status``, ``title`` and a
``detail`` sentence that says what was wrong and what to send instead; validation errors
add ``errors``: one entry per offending field.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from advanced_alchemy.exceptions import DuplicateKeyError, NotFoundError, RepositoryError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, OperationalError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

logger = logging.getLogger("dlv")

PROBLEM_JSON = "application/problem+json"


class DLVError(HTTPException):
    """Base for errors DLV raises on purpose; ``detail`` is shown to the user as is.

    ``field`` names what was wrong (a body field, a query parameter, a JSON path) and
    ``source`` where it was sent (body, query, path, header): the problem document's
    ``errors`` holds one entry for it, which is how clients point at it. Without them the
    entry names the class's ``default_field``."""

    status_code = 400
    default_field: tuple[str, str] = ("body", "body")

    def __init__(self, detail: str = "", *, field: str | None = None, source: str | None = None, **kwargs: Any) -> None:
        if field is not None:
            entry = {"field": field, "message": detail, "source": source or self.default_field[1]}
            kwargs["extra"] = {**(kwargs.get("extra") or {}), "errors": [entry]}
        super().__init__(detail=detail, **kwargs)


class BadRequest(DLVError):
    status_code = 400


class InvalidFields(BadRequest):
    """A 400 naming each offending field: ``errors`` is [(field, what is wrong)]."""

    def __init__(self, errors: list[tuple[str, str]], *, source: str = "body", detail: str | None = None) -> None:
        named = "; ".join(f"{field}: {message}" for field, message in errors)
        super().__init__(
            detail or f"The request has invalid fields ({named}). Fix them and send the request again.",
            extra={"errors": [{"field": field, "message": message, "source": source} for field, message in errors]},
        )


def invalid(field: str, message: str, source: str = "body") -> InvalidFields:
    return InvalidFields([(field, message)], source=source)


class Conflict(DLVError):
    status_code = 409


class NotFound(DLVError):
    status_code = 404
    default_field = ("id", "path")


class PayloadTooLarge(DLVError):
    status_code = 413


class TooManyRequests(DLVError):
    status_code = 429
    default_field = ("request", "request")


class Unavailable(DLVError):
    status_code = 503


_AT = re.compile(r"^(?P<message>.*?)(?: - at `(?P<key>key` in `)?(?P<path>\$[^`]*)`)?$", re.DOTALL)
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `([^`]+)`")


def validation_location(error: msgspec.ValidationError | str) -> tuple[str, str]:
    """The one reading of msgspec's validation messages: "Expected `int` <= 65535 - at
    `$.port`" -> ("$.port", "Expected `int` <= 65535"). A missing or unknown field is named in
    the path ("$.run.runId"); a problem with a dict key says so ("(in a key)")."""
    match = _AT.match(str(error))
    message = match.group("message") if match else str(error)
    path = (match.group("path") if match else None) or "$"
    if match and match.group("key"):
        message = f"{message} (in a key)"
    named = _NAMED_FIELD.search(message)
    if named:
        path = f"{path}.{named.group(1)}"
    return path, message


# The field (and where it is sent) a 4xx names when the code that refused the request named
# none: Litestar's own refusals (no login, no permission, no route) and DLV's defaults.
_DEFAULT_FIELDS = {
    401: ("Authorization", "header"),
    403: ("Authorization", "header"),
    404: ("path", "path"),
    405: ("method", "request"),
    413: ("body", "body"),
    415: ("Content-Type", "header"),
    429: ("request", "request"),
}


def problem(
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    field: tuple[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """The problem document. A 4xx always has ``errors``: when the caller lists none, one entry
    names ``field`` (field, source), else the default for the status."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "status": status,
        "title": HTTPStatus(status).phrase,
        "detail": detail,
    }
    body.update({key: value for key, value in extra.items() if value is not None})
    if 400 <= status < 500 and not body.get("errors"):
        name, source = field or _DEFAULT_FIELDS.get(status, ("body", "body"))
        body["errors"] = [{"field": name, "message": detail, "source": source}]
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_errors(extra: Any) -> list[dict[str, Any]]:
    errors = []
    for item in extra if isinstance(extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {
                    "field": item.get("key") or item.get("field") or "body",
                    "message": item.get("message", ""),
                    "source": item.get("source", "body"),
                }
            )
    return errors


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    """Litestar's own refusals of a body or parameter that does not match the schema."""
    errors = _field_errors(exc.extra)
    if errors:
        named = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        detail = f"The request has invalid fields ({named}). Fix them and send the request again."
    else:
        detail = f"{exc.detail}. Send a JSON body that matches the schema at /schema."
    return problem(400, detail, errors=errors or None)


def http_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    field = exc.default_field if isinstance(exc, DLVError) else None
    return problem(exc.status_code, exc.detail, headers=exc.headers, field=field, **extra)


def repository_handler(request: Request[Any, Any, Any], exc: RepositoryError) -> Response[dict[str, Any]]:
    if isinstance(exc, NotFoundError):
        return _refused(404, "No such item: check the id in the URL.", "id", "path")
    if isinstance(exc, DuplicateKeyError):
        return _refused(409, "An item with the same unique key already exists: choose another name or update it instead.", "name")
    cause = exc.__cause__
    # advanced-alchemy wraps every StatementError, DBAPIError included: an unreachable
    # database must still be a 503, not a 500.
    if isinstance(cause, DBAPIError):
        return database_unavailable_handler(request, cause)
    if isinstance(cause, PoolTimeout):
        return pool_timeout_handler(request, cause)
    if isinstance(cause, StatementError) and (bad := _unconvertible_value(cause)) is not None:
        return _wrong_format(bad)
    if isinstance(cause, AttributeError) and cause.name is not None:
        # The only attribute names a request reaches the repository with are sort fields.
        return _refused(400, f"There is no field {cause.name!r} to sort by: send orderBy with one of the fields of the listed items.", "orderBy", "query")
    logger.exception("repository error on %s %s", request.method, request.url.path)
    return problem(500, "The database rejected the request.")


def _database_unavailable(request: Request[Any, Any, Any], cause: str) -> Response[dict[str, Any]]:
    logger.warning("database unavailable on %s %s: %s", request.method, request.url.path, cause)
    return problem(503, "The database is unavailable right now; retry in a few seconds.", headers={"Retry-After": "5"})


def pool_timeout_handler(request: Request[Any, Any, Any], exc: PoolTimeout) -> Response[dict[str, Any]]:
    # Every pooled connection stayed busy past the pool's timeout: the server is overloaded,
    # not broken, and the same request shortly after will most likely succeed.
    return _database_unavailable(request, "connection pool exhausted")


def _unconvertible_value(exc: BaseException) -> BaseException | None:
    """The ValueError/TypeError behind a statement the driver could not even send (a query
    argument it cannot convert, e.g. `?ids=abc` where ids are UUIDs): the request's fault."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (ValueError, TypeError)):
            return seen
        seen = seen.__cause__ or (seen.orig if isinstance(seen, StatementError) else None)
    return None


def _wrong_format(error: BaseException) -> Response[dict[str, Any]]:
    return _refused(400, f"A value in the request has the wrong format ({error}): ids are UUIDs; check the query and the body.", "body")


def _refused(status: int, detail: str, field: str, source: str = "body") -> Response[dict[str, Any]]:
    return problem(status, detail, field=(field, source))


def database_unavailable_handler(request: Request[Any, Any, Any], exc: DBAPIError) -> Response[dict[str, Any]]:
    if isinstance(exc, OperationalError) or exc.connection_invalidated:
        return _database_unavailable(request, type(exc.orig).__name__)
    if (bad := _unconvertible_value(exc)) is not None:
        return _wrong_format(bad)
    logger.exception("database error on %s %s", request.method, request.url.path)
    return problem(500, "The database rejected the request.")


def _raised_by_database_driver(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        if traceback.tb_frame.f_globals.get("__name__", "").startswith(("sqlalchemy.", "asyncpg.", "aiosqlite.")):
            return True
        traceback = traceback.tb_next
    return False


def connection_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    # While the pool (re)connects, asyncpg's errors reach us unwrapped by SQLAlchemy:
    # "connection refused" as a plain OSError, "the database system is starting up" as its
    # own CannotConnectNowError. A database that is down or restarting, not a bug.
    if _raised_by_database_driver(exc):
        return _database_unavailable(request, type(exc).__name__)
    return internal_handler(request, exc)


def internal_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "DLV hit an internal error; the server log has the details.")


try:
    from asyncpg.exceptions import OperatorInterventionError, PostgresConnectionError

    _DRIVER_CONNECTION_ERRORS: tuple[type[Exception], ...] = (PostgresConnectionError, OperatorInterventionError)
except ImportError:  # pragma: no cover - asyncpg is a dependency; SQLite-only installs may lack it
    _DRIVER_CONNECTION_ERRORS = ()

exception_handlers = {
    ValidationException: validation_handler,
    HTTPException: http_handler,
    RepositoryError: repository_handler,
    DBAPIError: database_unavailable_handler,
    PoolTimeout: pool_timeout_handler,
    ConnectionError: connection_error_handler,
    **{error: connection_error_handler for error in _DRIVER_CONNECTION_ERRORS},
    Exception: internal_handler,
}

__all__ = [
    "BadRequest",
    "InvalidFields",
    "Conflict",
    "DLVError",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unavailable",
    "exception_handlers",
    "invalid",
    "problem",
    "validation_location",
]
