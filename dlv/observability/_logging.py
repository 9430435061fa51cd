"""Structured logs: one JSON object per line (DLV_LOG_FORMAT=json) or readable console lines.

structlog loggers hand their events to the stdlib ``logging`` module, and one stdlib
handler renders every record — DLV's own ``logging.getLogger`` calls, uvicorn, Litestar,
SQLAlchemy — with the same processors. So everything comes out in one format, carries the
request id bound while a request is handled, and goes through the redaction step; and
pytest's ``caplog`` still sees every record, because records are still emitted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

import structlog
from structlog.types import EventDict, Processor

REDACTED = "[redacted]"
# A key containing one of these (any case, "-" or "_") holds something that must not be logged.
SECRET_KEY_PARTS = (
    "password", "passwd", "secret", "token", "authorization", "api_key", "apikey", "passphrase", "private_key", "cookie",
)


def _is_secret_key(key: Any) -> bool:
    normalized = str(key).lower().replace("-", "_")
    return any(part in normalized for part in SECRET_KEY_PARTS)


def _redacted(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: REDACTED if _is_secret_key(key) else _redacted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redacted(item) for item in value]
    if type(value) is tuple:  # e.g. exc_info, which must stay a tuple
        return tuple(_redacted(item) for item in value)
    return value


def redact_secrets(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Replace the value of every secret-looking key, at any depth, with "[redacted]"."""
    return {key: REDACTED if _is_secret_key(key) else _redacted(value) for key, value in event_dict.items()}


# Run on every event, from structlog or from a stdlib record.
_SHARED: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
]


class _DLVHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """DLV's handler on the root logger (a class of its own, so reconfiguring replaces only
    it). It writes to whatever ``sys.stderr`` is at the time, as ``logging.lastResort``
    does, so a replaced stderr (pytest's capture) is never written to after it closed."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _: Any) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "json") -> None:
    """Route structlog and stdlib logging to stderr in ``fmt`` at ``level``.

    Safe to call more than once (each app creation does, and so does ``dlv serve``): it
    replaces only the handler it installed, leaving others (pytest's) in place.
    """
    renderer: Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *_SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_SHARED,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # JSON gets the traceback as a string field; the console renderer prints it itself.
            *([structlog.processors.format_exc_info] if fmt == "json" else []),
            renderer,
        ],
    )
    handler = _DLVHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [existing for existing in root.handlers if isinstance(existing, _DLVHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Python's warnings (a dependency's deprecation notice, say) become log records of the
    # "py.warnings" logger, so they come out in DLV_LOG_FORMAT like every other line instead of
    # as raw text between JSON lines.
    logging.captureWarnings(True)
    # uvicorn's loggers pass their records up to the root handler instead of printing their own
    # (uvicorn configures them before it imports the app); its access lines are left out, as
    # DLV's own "dlv.access" line says the same plus route, duration and request id.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # Alembic announces each of its autogenerate plugins at INFO on every migration run.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
