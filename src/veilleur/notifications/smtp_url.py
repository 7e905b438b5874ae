"""``VEILLEUR_SMTP_URL``: where mail goes, as one URL.

    smtp://127.0.0.1:25                          plain SMTP (the default: a local relay)
    smtp://user:secret@mail.example:587?starttls=1   submission with STARTTLS
    smtps://user:secret@mail.example:465         TLS from the first byte
    ...?timeout=20                               seconds allowed for each exchange with the server

Pure Python (no Django), so the settings can check the value when they load and stop the start
with a clear message. Error messages never repeat the password.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

SETTING = "VEILLEUR_SMTP_URL"
DEFAULT_SMTP_URL = "smtp://127.0.0.1:25"
DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
DEFAULT_TIMEOUT_SECONDS = 20.0
MAX_TIMEOUT_SECONDS = 300.0
KNOWN_OPTIONS = ("starttls", "timeout")
TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


class SmtpUrlError(ValueError):
    """The SMTP URL cannot be used; the message names the setting and the faulty part."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str = ""
    password: str = field(default="", repr=False)
    implicit_tls: bool = False  # smtps://
    starttls: bool = False
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS

    @property
    def send_deadline_seconds(self) -> float:
        """The longest one message may take, all exchanges included: a server that answers each
        step just under the timeout must not hold a row for ever."""
        return 4 * self.timeout_seconds

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row stays ours: the whole send plus room to record the outcome, so
        another worker never takes over a row that is still being sent."""
        return self.send_deadline_seconds + max(10.0, self.timeout_seconds)


def parse_smtp_url(url: str) -> SmtpConfig:
    """The SMTP configuration a URL describes; raises SmtpUrlError naming what is wrong."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise SmtpUrlError(
            f"{SETTING}: the scheme must be smtp:// or smtps://, got {scheme + '://' if scheme else 'none'}"
        )
    if not parts.hostname:
        raise SmtpUrlError(f"{SETTING}: the server's host name is missing (e.g. smtp://mail.example:587)")
    if parts.path not in ("", "/") or parts.fragment:
        raise SmtpUrlError(f"{SETTING}: a path or fragment has no meaning here ({_redacted(url)})")
    options = _options(parts.query)
    starttls = _flag(options.get("starttls", "0"), "starttls")
    if scheme == "smtps" and starttls:
        raise SmtpUrlError(f"{SETTING}: smtps:// is TLS from the start; starttls=1 applies to smtp:// only")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if bool(username) != bool(password):
        raise SmtpUrlError(f"{SETTING}: give both a user name and a password, or neither")
    return SmtpConfig(
        host=parts.hostname,
        port=_port(parts.netloc) or DEFAULT_PORTS[scheme],
        username=username,
        password=password,
        implicit_tls=scheme == "smtps",
        starttls=starttls,
        timeout_seconds=_timeout(options.get("timeout")),
    )


def _options(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise SmtpUrlError(f"{SETTING}: the options after '?' are not name=value pairs") from exc
    options = dict(pairs)
    unknown = sorted(set(options) - set(KNOWN_OPTIONS))
    if unknown:
        raise SmtpUrlError(
            f"{SETTING}: unknown option {', '.join(unknown)} (known: {', '.join(KNOWN_OPTIONS)})"
        )
    return options


def _flag(raw: str, name: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SmtpUrlError(f"{SETTING}: {name} must be 1 or 0, got {raw!r}")


def _port(netloc: str) -> int | None:
    host_and_port = netloc.rpartition("@")[2]
    if host_and_port.endswith("]") or ":" not in host_and_port:
        return None  # no port given (or a bare IPv6 literal)
    raw = host_and_port.rpartition(":")[2]
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise SmtpUrlError(f"{SETTING}: the port must be a number from 1 to 65535, got {raw!r}")
    return int(raw)


def _timeout(raw: str | None) -> float:
    if raw is None:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise SmtpUrlError(
            f"{SETTING}: timeout must be a number of seconds above 0 and at most "
            f"{MAX_TIMEOUT_SECONDS:g}, got {raw!r}"
        )
    return seconds


def _redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.partition(":")[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
