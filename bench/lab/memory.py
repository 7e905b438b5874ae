"""Memory and time of one lab page measurement (``probes.lab.measure``): headless Chromium with
its helper processes, the Playwright driver, started for one page and closed after it.

Serves a page on 127.0.0.1 (an 1.8 MB image, a script, some text), measures it N times and, while
each runs, samples every 50 ms the proportional set size (PSS, ``/proc/PID/smaps_rollup``) of all
the processes started under this one (the driver, Chromium and its renderer, GPU and network
processes). Prints the peak per run and the wall time. Run from the repository root:

    VEILLEUR_ALLOW_PRIVATE_TARGETS=1 .venv/bin/python bench/lab/memory.py --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from veilleur.probes.guard import AddressGuard
from veilleur.probes.lab import measure

PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bench</title>'
    '<script src="/app.js" defer></script></head><body><h1>A shop</h1>'
    '<img src="/hero.bmp" width="1000" height="600" alt=""><p>Some text.</p></body></html>'
)


def hero() -> bytes:
    """A 1000 x 600 BMP of noise: 1.8 MB that does not compress."""
    width, height = 1000, 600
    pixels = random.Random(7).randbytes(width * height * 3)
    size = 54 + len(pixels)
    header = b"BM" + size.to_bytes(4, "little") + bytes(4) + (54).to_bytes(4, "little")
    info = (40).to_bytes(4, "little") + width.to_bytes(4, "little") + height.to_bytes(4, "little")
    info += (1).to_bytes(2, "little") + (24).to_bytes(2, "little") + bytes(24)
    return header + info + pixels


def serve() -> int:
    ready = threading.Event()
    port: list[int] = []
    image = hero()

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def script(request: web.Request) -> web.Response:
        return web.Response(text="document.title = 'ready';", content_type="text/javascript")

    async def picture(request: web.Request) -> web.Response:
        return web.Response(body=image, content_type="image/bmp")

    def run() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/", page)
        app.router.add_get("/app.js", script)
        app.router.add_get("/hero.bmp", picture)
        runner = web.AppRunner(app, access_log=None)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(10)
    return port[0]


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{serve()}/"
    guard = AddressGuard(allow_private=True)
    peaks, walls = [], []
    for _ in range(args.runs):
        peak = [0]
        done = threading.Event()

        def sample(peak: list[int] = peak, done: threading.Event = done) -> None:
            while not done.is_set():
                peak[0] = max(peak[0], sum(pss_kib(pid) for pid in descendants(os.getpid())))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        metrics = measure(url, executable_path=args.chromium, guard=guard)
        walls.append(time.perf_counter() - started)
        done.set()
        sampler.join()
        peaks.append(peak[0] / 1024)
        assert metrics.request_count == 3, metrics
    left = descendants(os.getpid())
    print(f"runs: {args.runs}; processes left after the runs: {len(left)}")
    median, largest = statistics.median(peaks), max(peaks)
    print(f"peak PSS of the browser's processes: median {median:.0f} MiB, max {largest:.0f} MiB")
    print(f"wall time per page: median {statistics.median(walls):.1f} s")


if __name__ == "__main__":
    main()
