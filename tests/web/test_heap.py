"""Start-up objects are left out of the collector's walks; later garbage is still collected."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from veilleur.heap import freeze_start_up_objects
from veilleur.web_server import _Gunicorn


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


def test_objects_made_after_the_freeze_are_still_collected() -> None:
    freeze_start_up_objects()
    assert gc.get_freeze_count() > 0
    first, second = Node(), Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    gone = weakref.ref(first)
    del first, second
    gc.collect()
    assert gone() is None


def test_cyclic_garbage_left_by_start_up_is_freed_not_frozen() -> None:
    node = Node()
    node.other = node
    gone = weakref.ref(node)
    del node
    freeze_start_up_objects()
    assert gone() is None


def test_the_web_servers_master_freezes_what_it_loaded_before_forking() -> None:
    _Gunicorn({"bind": "127.0.0.1:0", "preload_app": True}).load()
    assert gc.get_freeze_count() > 0
