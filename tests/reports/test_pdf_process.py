"""Reports drawn as PDF by a child process that ends with the worker's run (reports/pdf.py)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from veilleur.reports.pdf import PdfRenderer, PdfRenderingError

HTML = "<!doctype html><html lang='en'><title>t</title><h1>Uptime of {name}</h1></html>"


def test_documents_are_drawn_by_one_child_that_ends_with_close() -> None:
    renderer = PdfRenderer()
    first = renderer.render(HTML.format(name="Boulangerie Martin"))
    child = renderer._child
    assert child is not None
    second = renderer.render(HTML.format(name="Cabinet Durand"))
    assert renderer._child is child  # one process for the whole run
    assert first.startswith(b"%PDF") and second.startswith(b"%PDF") and first != second
    renderer.close()
    assert child.returncode == 0 and not Path(f"/proc/{child.pid}").exists()


def test_a_child_that_died_is_replaced_by_a_new_one() -> None:
    with PdfRenderer() as renderer:
        renderer.render(HTML.format(name="a"))
        child = renderer._child
        assert child is not None
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        assert renderer.render(HTML.format(name="b")).startswith(b"%PDF")
        assert renderer._child is not None and renderer._child.pid != child.pid


def test_a_child_that_dies_while_drawing_is_an_error() -> None:
    with PdfRenderer() as renderer:
        child = renderer._running_child()
        assert child.stdout is not None
        child.stdout.close()  # the answer can no longer be read: as if the child had died
        with pytest.raises(PdfRenderingError, match="ended"):
            renderer.render(HTML.format(name="a"))
        assert renderer._child is None
