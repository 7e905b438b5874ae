"""The checker's side of the HTTP probe: from a monitor's check spec to an observation."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime

from aiohttp.abc import AbstractResolver
from django.conf import settings

from veilleur.checker.work import CheckSpec, Observation
from veilleur.demo.live import demo_observation
from veilleur.probes.http import ProbeSession, make_tls_context, probe
from veilleur.probes.outcome import ProbeOutcome, ProbeRequest

# A TCP or TLS handshake that takes longer than this is a failed connection, whatever the
# monitor's total timeout: a slow page is a different problem from a host that cannot be reached.
CONNECT_TIMEOUT_SECONDS = 10.0


def request_for(spec: CheckSpec) -> ProbeRequest:
    return ProbeRequest(
        url=spec.url,
        method=spec.method,
        headers=tuple(spec.headers.items()),
        connect_timeout=min(CONNECT_TIMEOUT_SECONDS, float(spec.timeout_seconds)),
        total_timeout=float(spec.timeout_seconds),
        follow_redirects=spec.follow_redirects,
        expected_status=spec.expected_status,
        keyword=spec.keyword or None,
        forbidden_keyword=spec.forbidden_keyword or None,
        capture_certificate=spec.watch_certificate,
    )


def observation_of(outcome: ProbeOutcome) -> Observation:
    timings = outcome.timings
    return Observation(
        checked_at=outcome.checked_at,
        ok=outcome.ok,
        error_class="" if outcome.ok else outcome.error_class.value,
        status_code=outcome.status,
        message="" if outcome.ok else outcome.message,
        dns_ms=_ms(timings.dns_ms),
        connect_ms=_ms(timings.connect_ms),
        tls_ms=_ms(timings.tls_ms),
        ttfb_ms=_ms(timings.ttfb_ms),
        total_ms=_ms(timings.total_ms),
        certificate_sha256=outcome.certificate_sha256 or "",
    )


def _ms(value: float | None) -> int | None:
    return None if value is None else max(0, round(value))


class HttpProber:
    """Runs checks with one TLS context (loading CA roots once) and one aiohttp session shared
    by every check of its event loop; each check still opens its own connections."""

    def __init__(
        self,
        tls_context: ssl.SSLContext | None = None,
        allow_private: bool | None = None,
        resolver: AbstractResolver | None = None,
    ) -> None:
        self.tls_context = tls_context or make_tls_context(settings.VEILLEUR_CA_FILE or None)
        self.allow_private = (
            settings.VEILLEUR_ALLOW_PRIVATE_TARGETS if allow_private is None else allow_private
        )
        # VEILLEUR_CHECKER_DNS_SERVER: host names resolved by that server, else by the system's.
        server = settings.VEILLEUR_CHECKER_DNS_SERVER
        self.resolver = resolver
        if resolver is None and server:
            from veilleur.probes.dns_server import ServerResolver  # dnspython: loaded only when used

            self.resolver = ServerResolver(server)
        self.session = ProbeSession()

    async def aclose(self) -> None:
        await self.session.close()

    async def __call__(self, spec: CheckSpec) -> Observation:
        if spec.demo:
            # A made-up '.example' site cannot resolve: probing it would only fake an outage.
            return demo_observation(spec.url, datetime.now(UTC))
        try:
            request = request_for(spec)
        except ValueError as exc:
            # Configuration is validated when saved; a value that still fails here is reported on
            # the monitor like any failure, so someone looks at it.
            return Observation(
                datetime.now(UTC), ok=False, error_class="other", message=f"invalid monitor: {exc}"
            )
        outcome = await probe(
            request,
            tls_context=self.tls_context,
            allow_private=self.allow_private,
            resolver=self.resolver,
            session=self.session,
        )
        return observation_of(outcome)
