"""The process of roles caps SQLite's memory, every thread's connection together: with a
dozen connections each reading the whole database, SQLite holds about the cap, not a cache
per connection (bench/README.md, "Memory")."""

from __future__ import annotations

import ctypes
import ctypes.util
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from veilleur.embedded import SQLITE_SOFT_HEAP_LIMIT_BYTES, limit_sqlite_memory

pytestmark = pytest.mark.django_db


def sqlite_library() -> ctypes.CDLL:
    # The library Python's sqlite3 module uses; its heap is the process's, shared by every connection.
    name = ctypes.util.find_library("sqlite3")
    if name is None:
        pytest.skip("Python's sqlite3 module is not linked to a shared SQLite library here")
    library = ctypes.CDLL(name)
    library.sqlite3_memory_used.restype = ctypes.c_int64
    library.sqlite3_soft_heap_limit64.restype = ctypes.c_int64
    library.sqlite3_soft_heap_limit64.argtypes = [ctypes.c_int64]
    return library


@pytest.fixture
def restored_limit() -> Iterator[ctypes.CDLL]:
    library = sqlite_library()
    before = library.sqlite3_soft_heap_limit64(-1)  # a negative value only reads it
    yield library
    library.sqlite3_soft_heap_limit64(before)


def a_database(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE page (id INTEGER PRIMARY KEY, body TEXT)")
        db.executemany("INSERT INTO page (body) VALUES (?)", [("x" * 200,) for _ in range(rows)])
    db.close()


def memory_after_reading_with(connections: int, path: Path, library: ctypes.CDLL) -> int:
    opened = [sqlite3.connect(path) for _ in range(connections)]
    try:
        for db in opened:
            db.execute("SELECT count(*), sum(length(body)) FROM page").fetchall()
        return int(library.sqlite3_memory_used())
    finally:
        for db in opened:
            db.close()


def test_the_roles_cap_what_sqlite_keeps(tmp_path: Path, restored_limit: ctypes.CDLL) -> None:
    if connection.vendor != "sqlite":
        limit_sqlite_memory()  # nothing to do on PostgreSQL; it must not fail either
        assert restored_limit.sqlite3_soft_heap_limit64(-1) != SQLITE_SOFT_HEAP_LIMIT_BYTES
        return
    # 60,000 rows of 200 bytes: some 14 MiB of pages, more than each connection's 2 MiB cache.
    a_database(tmp_path / "pages.sqlite3", 60_000)
    restored_limit.sqlite3_soft_heap_limit64(0)  # no limit
    uncapped = memory_after_reading_with(12, tmp_path / "pages.sqlite3", restored_limit)
    limit_sqlite_memory()
    assert restored_limit.sqlite3_soft_heap_limit64(-1) == SQLITE_SOFT_HEAP_LIMIT_BYTES
    capped = memory_after_reading_with(12, tmp_path / "pages.sqlite3", restored_limit)
    assert uncapped > 12 * 1024 * 1024  # a cache per connection
    assert capped < SQLITE_SOFT_HEAP_LIMIT_BYTES * 1.5
