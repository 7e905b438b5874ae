"""The roles of ``veilleur up`` in one process: the web role, the checker and the worker's jobs.

A Python process with Django and Veilleur's code loaded weighs some 60 MiB before it does any
work; three roles in three processes (and a web server's master and workers) paid it five or six
times. Here that code is loaded once: the web role is served by waitress (one process, a pool of
threads), the checker runs its asyncio loop in a thread, and the worker's periodic jobs in
another. Each role keeps its own database connection (Django's are per thread).

The roles are the same code as ``veilleur web|checker|worker``, which a multi-host install runs
on separate hosts. SIGTERM or SIGINT stops them in order: the web server finishes the requests in
flight, the checker finishes its checks in flight and releases its leases, the worker ends the
job it is running. A role that stops by itself (a bug) stops the process, with status 1, and the
supervisor of ``veilleur up`` starts it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from django.db import connections

log = logging.getLogger("veilleur.up")

# Requests served at once; a slow client (a phone on a poor network) holds one thread, not the
# process. The same total as the two processes of four threads `veilleur web` runs by default.
WEB_THREADS = 8
STOP_SECONDS = 25
# What SQLite may keep for the whole process, every thread's connection together (it is one
# heap for the process): past it, a page read reuses the least recently used cached page
# instead of growing. Left alone, each of the dozen connections keeps up to 2 MiB of pages;
# they are seldom warm anyway, since in WAL mode a connection drops its cache whenever another
# has written since its last read, and the checker writes every second. The pages stay in the
# system's file cache: a miss costs a read from memory, not from disk.
SQLITE_SOFT_HEAP_LIMIT_BYTES = 4 * 1024 * 1024


class _Roles:
    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.failed = threading.Event()
        self.threads: list[threading.Thread] = []
        self.checker: Any = None
        self.checker_loop: asyncio.AbstractEventLoop | None = None
        self.worker: Any = None

    def start(self, name: str, body: Callable[[], None]) -> None:
        def run() -> None:
            _name_os_thread(name)
            try:
                body()
            except Exception:
                log.exception("%s stopped on an error", name)
            finally:
                connections.close_all()  # this thread's own connections
                if not self.stopping.is_set():
                    log.error("%s stopped; stopping the process so that it is started again", name)
                    self.failed.set()
                    os.kill(os.getpid(), signal.SIGTERM)

        thread = threading.Thread(target=run, name=f"veilleur-{name}")
        thread.start()
        self.threads.append(thread)

    def run_checker(self, region: str) -> None:
        from veilleur.checker.command import build_checker, run_until_stopped

        async def main() -> None:
            self.checker = build_checker(region)
            self.checker_loop = asyncio.get_running_loop()
            if self.stopping.is_set():
                return
            await run_until_stopped(self.checker)

        asyncio.run(main())

    def run_worker(self) -> None:
        from veilleur.worker.command import jobs
        from veilleur.worker.loop import Worker

        self.worker = Worker(jobs())
        if not self.stopping.is_set():
            self.worker.run_until_stopped()

    def stop(self) -> None:
        self.stopping.set()
        if self.checker is not None and self.checker_loop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has already ended
                self.checker_loop.call_soon_threadsafe(self.checker.stop)
        if self.worker is not None:
            self.worker.stop()
        deadline = time.monotonic() + STOP_SECONDS  # within the supervisor's grace of 30 s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


def run_roles(bind: str | None, region: str) -> int:
    """Run the checker, the worker's jobs and, when ``bind`` is given, the web role on it, until
    SIGTERM or SIGINT. Returns the process's exit status."""
    from veilleur.bind_address import bind_problem
    from veilleur.heap import freeze_start_up_objects
    from veilleur.supervisor import EXIT_CANNOT_START

    server = None
    if bind is not None:
        problem = bind_problem(bind)
        if problem:
            print(f"error: {problem}; choose another address with --bind (or VEILLEUR_BIND)", file=sys.stderr)
            return EXIT_CANNOT_START
        from veilleur.wsgi import application

        try:
            server = web_server(bind, application)
        except OSError as exc:  # taken since the check above
            print(f"error: cannot listen on {bind}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_CANNOT_START

    limit_sqlite_memory()
    roles = _Roles()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one stop is enough
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise SystemExit(0)  # ends the web server's loop (or the wait below) in the main thread

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        roles.start("checker", lambda: roles.run_checker(region))
        roles.start("worker", roles.run_worker)
        _report_checker_demand(roles)
        freeze_start_up_objects()
        if server is not None:
            log.info("web role listening on %s (%d threads)", bind, WEB_THREADS)
            server.run()  # returns on SystemExit, after the requests in flight are answered
        else:
            threading.Event().wait()
    except SystemExit:
        pass
    finally:
        if server is not None:
            with contextlib.suppress(OSError):
                server.close()
        roles.stop()
    return 1 if roles.failed.is_set() else 0


def _report_checker_demand(roles: _Roles) -> None:
    """Under ``veilleur up``, tell the supervisor the monitors' due rate, from which it runs extra
    checker processes when one is not enough (checker/fleet.py)."""
    from veilleur.checker.fleet import DEMAND_FD_ENV, FleetSettings

    fd = os.environ.get(DEMAND_FD_ENV, "")
    if not fd.isdigit():
        return
    from veilleur.checker.demand import report_due_rate

    every = FleetSettings.from_env().every_seconds
    roles.start("due-rate", lambda: report_due_rate(int(fd), every, roles.stopping))


def limit_sqlite_memory() -> None:
    """Set SQLite's soft heap limit for this process (a setting of the library, not of one
    connection), when the database is SQLite."""
    from django.db import DatabaseError, connection

    if connection.vendor != "sqlite":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA soft_heap_limit = {SQLITE_SOFT_HEAP_LIMIT_BYTES}")
    except DatabaseError as exc:  # only memory is at stake: start anyway
        log.warning("could not limit SQLite's memory: %s", exc)
    finally:
        connection.close()  # the main thread serves no request: it keeps no connection


def _name_os_thread(title: str) -> None:
    """Name the running thread for the system too (``top -H``, ``ps -L``, /proc/PID/task)."""
    with contextlib.suppress(OSError):  # not Linux: only Python knows the name
        Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text(title[:15])


def web_server(bind: str, application: Any) -> Any:
    """The web role's waitress server on ``bind``, not yet running (``run()``, ``close()``)."""
    from waitress import create_server

    options: dict[str, Any] = {
        "threads": WEB_THREADS,
        "ident": "Veilleur",
        # As gunicorn does for `veilleur web`: a TLS proxy on this host (Caddy, nginx) says the
        # request came over https with X-Forwarded-Proto, so cookies, CSRF checks and links
        # follow. The other X-Forwarded-* headers reach the application untouched: it decides
        # whom to believe (VEILLEUR_TRUSTED_PROXIES), waitress would otherwise drop them.
        "trusted_proxy": "127.0.0.1",
        "trusted_proxy_headers": {"x-forwarded-proto"},
        "clear_untrusted_proxy_headers": False,
    }
    if bind.startswith("unix:"):
        options["unix_socket"] = bind.removeprefix("unix:")
    else:
        options["listen"] = bind
    return create_server(application, **options)
