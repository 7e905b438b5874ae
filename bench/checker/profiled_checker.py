"""``veilleur checker`` under cProfile, for ``run.py --profile``: one profile of the event-loop
thread (``PREFIX.loop.prof``) and one of the database thread (``PREFIX.db.prof``).

    python bench/checker/profiled_checker.py PREFIX checker --no-migrate ...
"""

from __future__ import annotations

import cProfile
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import django

T = TypeVar("T")


def run(prefix: str, argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    django.setup()
    from veilleur.checker import runner
    from veilleur.cli import main

    database = cProfile.Profile()
    on_db = runner.Checker._on_db

    async def profiled_on_db(self: Any, function: Callable[..., T], *args: Any) -> T:
        def call(*inner: Any) -> T:
            database.enable()
            try:
                return function(*inner)
            finally:
                database.disable()

        return await on_db(self, call, *args)

    runner.Checker._on_db = profiled_on_db  # type: ignore[method-assign]
    loop = cProfile.Profile()
    loop.enable()
    try:
        return main(argv)
    finally:
        loop.disable()
        loop.dump_stats(f"{prefix}.loop.prof")
        database.dump_stats(f"{prefix}.db.prof")


if __name__ == "__main__":
    sys.exit(run(sys.argv[1], sys.argv[2:]))
