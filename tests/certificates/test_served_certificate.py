"""The regular check notes the certificate it was served, for plans with certificate monitoring."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from tests.certificates.pki import make_pki, server_context, tls_server
from tests.checker.conftest import T0, Driver, runtime
from tests.probes.servers import StaticResolver
from tests.probes.test_http_probe import run_probe
from veilleur.checker.work import Observation
from veilleur.monitoring.models import Monitor
from veilleur.probes.outcome import ProbeOutcome


def probe_served(tmp_path: Path, capture: bool) -> tuple[ProbeOutcome, str]:
    pki = make_pki(tmp_path)
    leaf = pki.leaf()

    async def run() -> ProbeOutcome:
        async with tls_server(server_context(leaf, [pki.intermediate])) as server:
            return await run_probe(
                f"https://localhost:{server.port}/",
                tls_context=pki.client_context(),
                resolver=StaticResolver({"localhost": ["127.0.0.1"]}),
                capture_certificate=capture,
            )

    return asyncio.run(run()), leaf.certificate.fingerprint(hashes.SHA256()).hex().upper()


def test_the_probe_reads_the_served_certificate_from_its_own_connection(tmp_path: Path) -> None:
    outcome, expected = probe_served(tmp_path, capture=True)
    assert outcome.ok, outcome.message
    assert outcome.certificate_sha256 == expected


def test_without_certificate_monitoring_nothing_is_read(tmp_path: Path) -> None:
    outcome, _ = probe_served(tmp_path, capture=False)
    assert outcome.ok and outcome.certificate_sha256 is None


def test_the_checker_leases_by_the_plan_and_records_the_fingerprint(
    make_monitor: Callable[..., Monitor], driver: Driver
) -> None:
    premium = make_monitor(plan="premium", url="https://127.0.0.1:9/")
    basic = make_monitor(plan="basic", url="https://127.0.0.1:9/")
    driver.lease(T0)  # creates the runtimes, each due within its first interval
    leased = {item.monitor_id: item for item in driver.lease(T0 + timedelta(seconds=400))}
    assert leased[premium.pk].spec.watch_certificate is True
    assert leased[basic.pk].spec.watch_certificate is False
    check = leased[premium.pk]
    driver.record([(check, Observation(check.due_at, ok=True, certificate_sha256="AB" * 32))], check.due_at)
    assert runtime(premium).served_certificate_sha256 == "AB" * 32
