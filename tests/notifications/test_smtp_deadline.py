"""A server that answers, but slower and slower, is cut off at the send deadline."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from veilleur.notifications.smtp import SendTimedOut, send_over_smtp
from veilleur.notifications.smtp_url import parse_smtp_url


@pytest.fixture
def trickling_server() -> Iterator[int]:
    """Sends its greeting one byte every 0.3 s: each read gets data within the timeout, so only
    the deadline on the whole exchange can stop the client."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            for byte in b"220 " + b"slow " * 100:
                if stop.wait(0.3):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    listener.close()
    thread.join(5)


def test_a_trickling_server_is_cut_at_the_deadline(trickling_server: int) -> None:
    # SendTimedOut is raised only when the watchdog cut the connection (the greeting would
    # otherwise take 150 s to arrive, with no single read ever timing out).
    config = parse_smtp_url(f"smtp://127.0.0.1:{trickling_server}?timeout=0.5")
    with pytest.raises(SendTimedOut, match="no complete answer within 2 s"):
        send_over_smtp(
            config, "veilleur@atelier.example", "astreinte@atelier.example", b"Subject: x\r\n\r\nx"
        )
