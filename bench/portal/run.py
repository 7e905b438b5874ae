"""The client portal's overview for a client with 20 sites and 90 days of history: time to first byte.

Target: under 150 ms to the first byte of ``/portal/`` for a signed-in client user.

In a fresh data directory (a temporary directory; with ``--database-url``, the PostgreSQL database
``veilleur_bench_portal`` is created on that server and dropped at the end) this script:

1. runs ``veilleur migrate`` and writes the status-page bench's client (``bench/statuspage/run.py``,
   ``build_page``): 20 sites of one monitor created 120 days ago, 2 to 5 incidents per monitor
   over 90 days with public updates, one outage still open, no-data gaps, a weekly maintenance
   window and a coming one; then one portal user of that client and a signed-in session;
2. renders the overview in this process ``--repeat`` times each way with Django's test client,
   the first with the overview's figures computed (cache emptied before each), then from the
   cache (the figures are kept a minute, or until an incident changes: ``portal/data.py``);
3. starts the web role as ``veilleur web`` runs it (gunicorn), and requests ``/portal/`` ``--requests``
   times one after the other with the session cookie, timing each from the request's first byte
   sent to the answer's first byte received (Django answers once the page is rendered, so this is
   the page's whole server time plus the loopback); shows min, median, p90 and max.

Every process started here is stopped at the end; the temporary directory and the database are removed.

    .venv/bin/python bench/portal/run.py [--requests 50] [--repeat 5]
        [--database-url postgres://root@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "statuspage"))
# The status page bench: its client with 20 sites and 90 days of history, and its web role.
import run as statuspage_bench

BIN = Path(sys.executable).parent
BENCH_DB = "veilleur_bench_portal"
TARGET_MS = 150.0


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="timed requests to the web role")
    parser.add_argument("--repeat", type=int, default=5, help="renders timed in this process")
    parser.add_argument(
        "--profile", action="store_true", help="print where one render spends its time, and stop"
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server (127.0.0.1) to create the bench database on"
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    statuspage_bench.BENCH_DB = BENCH_DB
    with tempfile.TemporaryDirectory(prefix="veilleur-bench-portal-") as data_dir:
        os.environ["VEILLEUR_DATA_DIR"] = data_dir
        os.environ.pop("DATABASE_URL", None)
        if args.database_url:
            server = urlsplit(args.database_url)
            if server.hostname not in ("127.0.0.1", "localhost", "::1"):
                sys.exit("--database-url must point at a server on 127.0.0.1")
            os.environ["DATABASE_URL"] = server._replace(path="/" + BENCH_DB).geturl()
            statuspage_bench.create_database(args.database_url)
        try:
            run("PostgreSQL" if args.database_url else "SQLite", Path(data_dir), args)
        finally:
            statuspage_bench.close_connections()
            if args.database_url:
                statuspage_bench.drop_database(args.database_url)


def run(backend: str, data_dir: Path, args: argparse.Namespace) -> None:
    subprocess.run([str(BIN / "veilleur"), "migrate"], check=True, capture_output=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    summary = statuspage_bench.build_page()
    session_key = signed_in_session()
    print(f"{backend}: {summary}; one portal user signed in", flush=True)

    if args.profile:
        profile_one_render(session_key)
        return
    cold, cached, queries, size = render_in_process(session_key, args.repeat)
    print(
        f"in this process: overview computed (cache empty) min {min(cold):.0f} ms, median "
        f"{statistics.median(cold):.0f} ms; from the cache min {min(cached):.0f} ms, median "
        f"{statistics.median(cached):.0f} ms, {queries} SQL queries; {size // 1024} KiB of HTML",
        flush=True,
    )
    statuspage_bench.close_connections()
    port = statuspage_bench.free_port()
    workers = statuspage_bench.default_web_workers()
    with statuspage_bench.web_role(port, workers, data_dir / "web.log"):
        first_bytes = [first_byte_ms(port, session_key) for _ in range(args.requests)]
    first_bytes.sort()
    p90 = first_bytes[max(0, int(len(first_bytes) * 0.9) - 1)]
    verdict = "met" if statistics.median(first_bytes) < TARGET_MS else "MISSED"
    print(
        f"web role ({workers} workers), {args.requests} requests: first byte min {first_bytes[0]:.0f} ms, "
        f"median {statistics.median(first_bytes):.0f} ms, p90 {p90:.0f} ms, max {first_bytes[-1]:.0f} ms "
        f"(target {TARGET_MS:.0f} ms: {verdict})"
    )


def signed_in_session() -> str:
    from django.contrib.sessions.backends.db import SessionStore

    from veilleur.clients.models import Client
    from veilleur.portal.access import SESSION_KEY
    from veilleur.portal.models import ClientUser

    client = Client.objects.get(key="bench-client")
    user = ClientUser(client=client, email="bench@client.example")
    user.set_password("a long bench password")
    user.save()
    session = SessionStore()
    session[SESSION_KEY] = {"id": user.pk, "hash": user.get_session_auth_hash()}
    session.create()
    assert session.session_key is not None
    return session.session_key


def render_in_process(session_key: str, repeat: int) -> tuple[list[float], list[float], int, int]:
    """Times of the overview with its figures computed (cache emptied first), then from the cache."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client as Browser
    from django.test.utils import CaptureQueriesContext

    browser = Browser(HTTP_HOST="127.0.0.1")
    browser.cookies[settings.SESSION_COOKIE_NAME] = session_key
    browser.get("/portal/")  # templates compiled

    def timed() -> float:
        began = time.perf_counter()
        response = browser.get("/portal/")
        if response.status_code != 200:
            raise SystemExit(f"/portal/ answered {response.status_code}")
        return (time.perf_counter() - began) * 1000

    cold = []
    for _ in range(repeat):
        cache.clear()
        cold.append(timed())
    cached = [timed() for _ in range(repeat)]
    with CaptureQueriesContext(connection) as captured:
        size = len(browser.get("/portal/").content)
    return cold, cached, len(captured), size


def profile_one_render(session_key: str) -> None:
    import cProfile
    import pstats

    from django.conf import settings
    from django.test import Client as Browser

    browser = Browser(HTTP_HOST="127.0.0.1")
    browser.cookies[settings.SESSION_COOKIE_NAME] = session_key
    browser.get("/portal/")  # templates compiled
    profiler = cProfile.Profile()
    profiler.runcall(browser.get, "/portal/")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def first_byte_ms(port: int, session_key: str) -> float:
    request = (
        f"GET /portal/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={session_key}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        began = time.perf_counter()
        sock.sendall(request)
        first = sock.recv(1)
        elapsed = (time.perf_counter() - began) * 1000
        head = first + sock.recv(64)
        if not head.startswith(b"HTTP/1.1 200"):
            raise SystemExit(f"/portal/ answered {head!r}")
        while sock.recv(65536):
            pass
    return elapsed


if __name__ == "__main__":
    main()
