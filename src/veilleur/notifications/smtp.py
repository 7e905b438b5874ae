"""Handing one message to the SMTP server, within a deadline.

One connection per message: a failing or slow server then costs each row at most its own
deadline, and an error belongs to exactly one row. Every socket operation has the configured
timeout, and a watchdog cuts the connection when the whole exchange overruns, because a server
that answers each step just under the timeout would otherwise hold the row past its lease.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from veilleur.notifications.smtp_url import SmtpConfig


class SendTimedOut(OSError):
    """The whole exchange with the server took longer than the send deadline."""


def send_over_smtp(config: SmtpConfig, sender: str, recipient: str, message: bytes) -> None:
    """Deliver ``message`` to the server for ``recipient``; raises on any failure.

    Returns once the server accepted the message. A failure while saying goodbye afterwards is
    ignored: the message is accepted, and reporting an error would only send it again."""
    with _watchdog(config.send_deadline_seconds) as watchdog:
        try:
            smtp = _connect(config, watchdog)
            try:
                if config.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if config.username:
                    smtp.login(config.username, config.password)
                smtp.sendmail(sender, [recipient], message)
            except BaseException:
                _close(smtp)
                raise
        except (OSError, smtplib.SMTPException) as exc:
            if watchdog.fired:
                raise SendTimedOut(f"no complete answer within {config.send_deadline_seconds:g} s") from exc
            raise
    _say_goodbye(smtp)


def _connect(config: SmtpConfig, watchdog: _Watchdog) -> smtplib.SMTP:
    if config.implicit_tls:
        return _WatchedSMTPS(
            watchdog,
            host=config.host,
            port=config.port,
            timeout=config.timeout_seconds,
            context=ssl.create_default_context(),
        )
    return _WatchedSMTP(watchdog, host=config.host, port=config.port, timeout=config.timeout_seconds)


def _say_goodbye(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    with suppress(OSError):
        smtp.close()


class _Watchdog:
    """Shuts the connection's socket down when the deadline passes: a blocked read then fails
    at once instead of waiting for the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._smtp: smtplib.SMTP | None = None
        self.fired = False

    def watch(self, smtp: smtplib.SMTP) -> None:
        with self._lock:
            self._smtp = smtp

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            self._shut_down()

    def cut_if_late(self) -> None:
        """For a socket that appeared after the deadline passed."""
        with self._lock:
            if self.fired:
                self._shut_down()

    def _shut_down(self) -> None:
        # The connection's current socket: STARTTLS replaces it with a wrapped one.
        sock = getattr(self._smtp, "sock", None)
        if sock is not None:
            with suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class _WatchedSMTP(smtplib.SMTP):
    """An SMTP connection known to the watchdog before it connects, so that even the server's
    greeting, read while connecting, is cut at the deadline."""

    def __init__(self, watchdog: _Watchdog, **options: Any) -> None:
        self._watchdog = watchdog
        watchdog.watch(self)
        super().__init__(**options)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        self.sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        self._watchdog.cut_if_late()
        return self.sock


class _WatchedSMTPS(_WatchedSMTP, smtplib.SMTP_SSL):
    """The same for smtps://, where the socket is TLS from the start."""


@contextmanager
def _watchdog(seconds: float) -> Iterator[_Watchdog]:
    watchdog = _Watchdog()
    timer = threading.Timer(seconds, watchdog.fire)
    timer.daemon = True
    timer.start()
    try:
        yield watchdog
    finally:
        timer.cancel()
