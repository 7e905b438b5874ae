"""``veilleur checker``: run the checker role until SIGTERM or SIGINT, then drain and exit."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import timedelta

from django.conf import settings

from veilleur.checker.probing import HttpProber
from veilleur.checker.runner import Checker, CheckerSettings

log = logging.getLogger("veilleur.checker")


def run_checker(region: str) -> int:
    return asyncio.run(_run(region))


def build_checker(region: str) -> Checker:
    checker_settings = CheckerSettings(
        region=region,
        max_in_flight=settings.VEILLEUR_CHECKER_CONCURRENCY,
        per_host=settings.VEILLEUR_CHECKER_PER_HOST,
        confirm_delay=timedelta(milliseconds=settings.VEILLEUR_CONFIRM_DELAY_MS),
    )
    return Checker(HttpProber(), checker_settings)


async def run_until_stopped(checker: Checker) -> None:
    log.info("checker %s started (region %s)", checker.settings.owner, checker.settings.region or "default")
    await checker.run()


async def _run(region: str) -> int:
    checker = build_checker(region)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, checker.stop)
    await run_until_stopped(checker)
    return 0
