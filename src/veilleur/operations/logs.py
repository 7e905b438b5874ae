"""Log lines as text (the default) or, with ``VEILLEUR_LOG_FORMAT=json``, one JSON object per line
for a log collector (docs/operations.md).

A formatter of our own rather than python-json-logger: the fields are few and fixed (time in UTC,
level, logger, message, role, the record's extra fields), and this one knows the role of the
thread that logs, which a generic formatter would need the same code for.

Plain Python: the supervisor of ``veilleur up`` logs with it before (and without) Django.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")

# What every LogRecord carries; anything else on a record came as ``extra=`` and is logged too.
_STANDARD_ATTRIBUTES = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None)).keys() | {"message", "asctime"}
)

_process_role = "cli"


def set_role(role: str) -> None:
    """The process's role (``web``, ``checker``, ``worker``, ``up``, a command's name)."""
    global _process_role
    _process_role = role


def role_of_current_thread() -> str:
    """The process's role; in the process that runs every role of ``veilleur up``, the role of
    the thread that logs (the checker's and the worker's threads are named after them)."""
    if _process_role != "roles":
        return _process_role
    name = threading.current_thread().name
    if name == "veilleur-checker" or name.startswith("checker-"):
        return "checker"
    if name == "veilleur-worker" or name.startswith("outbox-"):
        return "worker"
    return "web"


def log_format_from_env() -> str:
    """VEILLEUR_LOG_FORMAT, checked: ``text`` (the default) or ``json``."""
    chosen = os.environ.get("VEILLEUR_LOG_FORMAT", "").strip().lower() or "text"
    if chosen not in FORMATS:
        raise ValueError(f"VEILLEUR_LOG_FORMAT must be text or json, got {chosen!r}")
    return chosen


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, role, then the
    record's extra fields and, after an error, its traceback as ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "role": role_of_current_thread(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        # Never fails on a value JSON does not know (a datetime, a path): its text is logged.
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter_config(log_format: str) -> dict[str, Any]:
    """The formatter's entry for ``logging.config.dictConfig``."""
    if log_format == "json":
        return {"()": "veilleur.operations.logs.JsonFormatter"}
    return {"format": TEXT_FORMAT}


def configure_without_django(level: str) -> None:
    """Logging for the supervisor of ``veilleur up``, which runs without Django's settings."""
    handler = logging.StreamHandler()
    if log_format_from_env() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.INFO), handlers=[handler])
