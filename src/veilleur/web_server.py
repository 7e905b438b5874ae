"""The web role's HTTP server: gunicorn with threaded workers, run in-process."""

from __future__ import annotations

from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger


class _JsonLogger(Logger):
    """Gunicorn's own lines (its errors and the access log) as JSON too, with VEILLEUR_LOG_FORMAT=json."""

    def setup(self, cfg: Any) -> None:
        from veilleur.operations.logs import JsonFormatter

        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JsonFormatter())


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from veilleur.heap import freeze_start_up_objects
        from veilleur.wsgi import application

        freeze_start_up_objects()  # in the master, before the workers are forked (preload_app)
        return application


def serve(bind: str, *, workers: int = 2, threads: int = 4) -> int:
    from django.conf import settings

    from veilleur.bind_address import split_bind

    # Threaded workers keep a slow client from holding a whole process; the app is loaded before
    # forking so workers share its memory.
    _Gunicorn(
        {
            "bind": bind,
            "workers": max(1, workers),
            "threads": threads,
            "worker_class": "gthread",
            # Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
            # connections over them. On one shared socket, whichever worker woke first accepted a
            # burst of connections, and kept-alive connections (a proxy's, a load test's) stayed
            # with it: in about half of the runs one worker served everything while the other sat
            # idle, at half the requests/s (bench/statuspage). Not for a Unix socket, whose path
            # each worker would take from the one before.
            "reuse_port": split_bind(bind) is not None,
            "preload_app": True,
            "accesslog": "-",
            "graceful_timeout": 10,
            **({"logger_class": _JsonLogger} if settings.VEILLEUR_LOG_FORMAT == "json" else {}),
        }
    ).run()
    return 0
