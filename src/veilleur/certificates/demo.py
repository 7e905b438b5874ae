"""Made-up certificates for the demo's clients on plans with SSL monitoring.

The demo's sites are under ``.example`` and never probed, so nothing would ever audit them: each
gets what a daily check would have recorded (a certificate renewed during the period, the
findings a typical shared host shows). The worker leaves demo clients alone (certificates/jobs.py).
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from veilleur.certificates.models import CertificateChange, CertificateTarget
from veilleur.clients.models import Site

ISSUER = "CN=R11,O=Let's Encrypt,C=US"
LIFETIME = timedelta(days=90)


def demo_certificates(sites: list[Site], start: datetime, end: datetime, rng: random.Random) -> None:
    for site in sites:
        host = urlsplit(site.url).hostname or site.key
        renewed_at = end - timedelta(days=rng.randint(5, 50), hours=rng.randint(0, 23))
        first_issued = renewed_at - timedelta(days=60)
        current_issued = renewed_at - timedelta(hours=rng.randint(1, 20))
        findings = [{"code": "no_ocsp_stapling", "severity": "info", "params": {}}]
        if rng.random() < 0.5:
            findings.insert(0, {"code": "tls1_1_enabled", "severity": "warning", "params": {}})
        target = CertificateTarget.objects.create(
            agency=site.agency,
            site=site,
            host=host,
            port=443,
            next_audit_at=end + timedelta(days=1),
            audited_at=end - timedelta(hours=rng.randint(1, 20)),
            fingerprint_sha256=_fingerprint(host, current_issued),
            subject=f"CN={host}",
            issuer=ISSUER,
            issuer_cn="R11",
            serial=_serial(host, current_issued),
            key_description="EC 256",
            signature_hash="sha384",
            not_before=current_issued,
            not_after=current_issued + LIFETIME,
            protocol="TLSv1.3",
            findings=findings,
        )
        for seen_at, issued, kind in (
            (start, first_issued, "first"),
            (renewed_at, current_issued, "renewed"),
        ):
            CertificateChange.objects.create(
                agency=site.agency,
                target=target,
                seen_at=max(seen_at, issued),
                kind=kind,
                fingerprint_sha256=_fingerprint(host, issued),
                subject=f"CN={host}",
                issuer=ISSUER,
                issuer_cn="R11",
                serial=_serial(host, issued),
                key_description="EC 256",
                not_before=issued,
                not_after=issued + LIFETIME,
            )


def _fingerprint(host: str, issued: datetime) -> str:
    return hashlib.sha256(f"{host}{issued.isoformat()}".encode()).hexdigest().upper()


def _serial(host: str, issued: datetime) -> str:
    return _fingerprint(host, issued)[:36]
