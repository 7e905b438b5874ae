"""The checker's fixtures (a monitor on a plan, a driver of the checker's database side), the
dashboard's signed-in client, and a target as an audit leaves it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tests.checker.conftest import driver, make_monitor, monitor  # noqa: F401
from tests.configfile.conftest import run_cli, write_yaml  # noqa: F401
from tests.dashboard.conftest import signed_in  # noqa: F401
from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Site


def audited_target(
    site: Site,
    *,
    left: timedelta,
    lifetime: timedelta = timedelta(days=90),
    findings: list[dict[str, object]] | None = None,
    host: str | None = None,
    now: datetime | None = None,
) -> CertificateTarget:
    """A target whose last audit found a certificate with ``left`` to live."""
    now = now or timezone.now()
    not_after = now + left
    target = CertificateTarget.objects.create(
        agency=site.agency,
        site=site,
        host=host or site.url.split("/")[2],
        port=443,
        next_audit_at=now + timedelta(days=1),
        audited_at=now,
        fingerprint_sha256="AB" * 32,
        subject="CN=shop.example",
        issuer="CN=R11,O=Let's Encrypt,C=US",
        issuer_cn="R11",
        serial="0A1B2C",
        key_description="EC 256",
        signature_hash="sha256",
        not_before=not_after - lifetime,
        not_after=not_after,
        protocol="TLSv1.3",
        findings=findings or [],
    )
    CertificateChange.objects.create(
        agency=site.agency,
        target=target,
        seen_at=now - timedelta(days=3),
        kind="renewed",
        fingerprint_sha256=target.fingerprint_sha256,
        issuer=target.issuer,
        issuer_cn="R11",
        serial=target.serial,
        not_before=target.not_before,  # type: ignore[misc]
        not_after=not_after,
    )
    return target
