"""A real SMTP server on 127.0.0.1 that keeps every message it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

# The server logs every SMTP command at INFO; the tests' output needs none of it.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    """A loopback port nothing listens on (yet)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        # Long encoded subjects are folded right after "Subject:", which the parser keeps as a
        # leading space; mail clients drop it.
        return str(self.message["Subject"]).strip()


class MailSink:
    """Accepts every message. ``reply_delay_seconds`` holds the answer to the end of DATA: the
    message is already here (a real server may have queued it) while the client still waits."""

    def __init__(self, port: int | None = None, reply_delay_seconds: float = 0.0) -> None:
        self.port = port or free_port()
        self.reply_delay_seconds = reply_delay_seconds
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        if self.reply_delay_seconds:
            await asyncio.sleep(self.reply_delay_seconds)
        return "250 2.0.0 accepted"

    def start(self) -> MailSink:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def to(self, address: str) -> list[Received]:
        return [item for item in self.messages() if address in item.recipients]

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages()) >= count:
                return self.messages()
            time.sleep(0.05)
        raise AssertionError(f"{count} messages expected, {len(self.messages())} received")
