"""What a process loads at start-up, kept out of the cyclic garbage collector's walks.

Once Django and Veilleur's code are loaded a process tracks some 60,000 objects (modules,
classes, functions, the models' tables) that live as long as it does. Each full
pass of the collector walks all of them again, and a page that allocates much (a status page of
hundreds of components) sets off full passes: a tenth of its rendering time was spent walking
objects that could not be garbage (bench/README.md, "Pages with many components").
``gc.freeze`` moves what exists now to a generation the collector never walks; objects made
later are collected as before.
"""

from __future__ import annotations

import gc


def freeze_start_up_objects() -> None:
    """Call once the code is loaded: in the process of roles once its roles have started, in the
    web server's master before it forks its workers (which then share those pages untouched)."""
    gc.collect()  # start-up's own garbage is freed first, not kept for the process's life
    gc.freeze()
