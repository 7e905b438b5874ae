"""What a probe is asked to do and what it reports, as plain frozen dataclasses.

Nothing here knows about aiohttp or Django: the checker stores these fields, the CLI prints
them, and the error classes are a stable vocabulary that alerts, reports and the API may name.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from veilleur import __version__
from veilleur.domain.validators import (
    HTTP_METHODS,
    StatusRanges,
    check_http_url,
    parse_status_spec,
)

ONE_MIB = 1024 * 1024
DEFAULT_USER_AGENT = f"Veilleur/{__version__} (uptime monitor)"


class ErrorClass(enum.StrEnum):
    """Why a check failed, in words that stay the same across releases (stored in results)."""

    OK = "ok"
    DNS = "dns"
    REFUSED = "refused"
    RESET = "reset"
    TIMEOUT = "timeout"
    TLS_EXPIRED = "tls_expired"
    TLS_HOSTNAME = "tls_hostname"
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_OTHER = "tls_other"
    HTTP_STATUS = "http_status"
    KEYWORD = "keyword"
    FORBIDDEN_KEYWORD = "forbidden_keyword"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    # Part of the vocabulary, never produced by probe() today: a page larger than the read
    # limit is judged on its first ``body_limit`` bytes and is not "down" for being large
    # (see ProbeRequest.body_limit). Kept so that a later page-weight assertion has its name.
    BODY_TOO_LARGE = "body_too_large"
    BLOCKED_ADDRESS = "blocked_address"
    PROTOCOL = "protocol"
    OTHER = "other"


class ProbeFailure(Exception):
    """A check failed for a reason already classified; ``message`` is short human text."""

    def __init__(self, error_class: ErrorClass, message: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.message = message


class BlockedAddressError(ProbeFailure):
    """The target is (or resolves only to) an address the SSRF guard refuses.

    Deliberately not an ``OSError``: aiohttp turns resolver and socket OSErrors into DNS or
    connection errors and would try the next address; a refusal must stop the check instead.
    """

    def __init__(self, host: str, address: str, reason: str, *, overridable: bool = True) -> None:
        where = address if host == address else f"{host} ({address})"
        # Only a refusal the operator's setting would lift may name the setting.
        why = (
            "(private targets are off; VEILLEUR_ALLOW_PRIVATE_TARGETS=1 allows them)"
            if overridable
            else "(never allowed)"
        )
        super().__init__(ErrorClass.BLOCKED_ADDRESS, f"refused to connect to {where}: {reason} address {why}")
        self.host = host
        self.address = address
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ProbeRequest:
    """One HTTP(S) check, validated on construction (a bad value raises ``ValueError``).

    Body rule: at most ``body_limit`` bytes of the (decompressed) body are read, streamed; the
    rest is never downloaded. Keyword checks see only those bytes. A larger body is not a
    failure by itself. A required ``keyword`` missing from the first ``body_limit`` bytes of a
    longer body fails as ``keyword`` with a message naming the limit; a ``forbidden_keyword``
    is only looked for in those bytes (error markers sit near the top of a page), and the
    outcome says the body was truncated.
    """

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    follow_redirects: bool = True
    max_redirects: int = 10
    expected_status: str = "200-399"
    keyword: str | None = None
    forbidden_keyword: str | None = None
    body_limit: int = ONE_MIB
    user_agent: str = DEFAULT_USER_AGENT
    # Read the SHA-256 of the certificate the monitored URL's own host serves (first hop, https
    # only), from the connection the check makes anyway: certificate monitoring's change signal.
    capture_certificate: bool = False
    status_ranges: StatusRanges = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_http_url(self.url)
        if self.method.upper() not in HTTP_METHODS:
            raise ValueError(f"unsupported HTTP method {self.method!r}")
        object.__setattr__(self, "method", self.method.upper())
        if not (0 < self.connect_timeout <= self.total_timeout):
            raise ValueError("timeouts must be positive and connect_timeout at most total_timeout")
        if self.max_redirects < 0:
            raise ValueError("max_redirects cannot be negative")
        if self.body_limit <= 0:
            raise ValueError("body_limit must be positive")
        if self.keyword == "" or self.forbidden_keyword == "":
            raise ValueError("an empty keyword would match every page; leave it unset instead")
        object.__setattr__(self, "status_ranges", parse_status_spec(self.expected_status))


@dataclass(frozen=True, slots=True)
class RedirectHop:
    """One redirect followed: the URL asked, the 3xx status it answered and where it pointed."""

    url: str
    status: int
    location: str
    elapsed_ms: float


@dataclass(frozen=True, slots=True)
class PhaseTimings:
    """Milliseconds spent in each phase of the final request (the one that was judged).

    - ``dns_ms``: name resolution; ``None`` for an IP-literal URL (nothing to resolve).
    - ``connect_ms``: TCP handshake, from the first socket created to the connection being up
      (includes attempts on other addresses of the same name that failed first).
    - ``tls_ms``: TLS handshake including certificate verification; ``None`` for http://.
    - ``ttfb_ms``: time to first byte, from the request having been sent to the response
      headers having arrived: the server's thinking time plus one round trip.
    - ``download_ms``: reading the body (up to the read limit) after the headers.
    - ``total_ms``: the whole check, every redirect hop included, from start to verdict.

    A phase that was never reached (e.g. a refused connection has no TLS) is ``None``.
    """

    dns_ms: float | None = None
    connect_ms: float | None = None
    tls_ms: float | None = None
    ttfb_ms: float | None = None
    download_ms: float | None = None
    total_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class ProbeOutcome:
    """The verdict of one check; ``ok`` is true exactly when ``error_class`` is ``ok``."""

    ok: bool
    error_class: ErrorClass
    message: str
    url: str
    final_url: str
    checked_at: datetime
    status: int | None = None
    redirects: tuple[RedirectHop, ...] = ()
    timings: PhaseTimings = field(default_factory=PhaseTimings)
    bytes_read: int = 0
    body_truncated: bool = False
    peer_ip: str | None = None
    certificate_sha256: str | None = None  # with ``capture_certificate``, upper-case hex
