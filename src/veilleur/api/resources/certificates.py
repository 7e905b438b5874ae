"""A site's certificates: what the deep certificate check found (plans with certificate
monitoring), read only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.fields import QueryId
from veilleur.certificates.summary import CertificateView, site_certificates
from veilleur.clients.models import Site

router = Router(tags=["sites"])


class CertificateFindingOut(Schema):
    code: str = Field(
        description="weak_key, weak_signature, chain_incomplete, tls1_0_enabled, tls1_1_enabled, "
        "no_ocsp_stapling, expired, hostname_mismatch, self_signed, untrusted, …"
    )
    severity: str = Field(description="critical, warning or info")
    params: dict[str, str]


class CertificateChangeOut(Schema):
    seen_at: datetime
    kind: str = Field(description="first, renewed (same issuer, later expiry), new_issuer or replaced")
    fingerprint_sha256: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime


class CertificateOut(Schema):
    host: str
    port: int
    audited_at: datetime | None = Field(description="The last deep check; null before the first one.")
    error: str = Field(description="Why no certificate could be read at the last check; empty when read.")
    fingerprint_sha256: str
    subject: str
    issuer: str
    serial: str
    key: str = Field(description='e.g. "RSA 2048", "EC 256"')
    signature_hash: str
    protocol: str
    not_before: datetime | None
    not_after: datetime | None
    days_left: int | None
    expiry_level: str = Field(
        description="ok, warning (a threshold of the plan crossed), urgent, expired, unknown"
    )
    findings: list[CertificateFindingOut]
    changes: list[CertificateChangeOut] = Field(description="The latest certificates served, newest first.")


class SiteCertificatesOut(Schema):
    site_id: int
    monitored: bool = Field(description="Whether the client's plan includes certificate monitoring.")
    certificates: list[CertificateOut]


@router.get("/{id}/certificate", response=SiteCertificatesOut, summary="A site's certificates")
def site_certificate(request: HttpRequest, id: QueryId) -> dict[str, Any]:
    """One entry per HTTPS host the site's monitors check, from the daily deep check (and the
    one run whenever the site serves another certificate)."""
    site = get_or_404(
        Site.objects.filter(agency=agency_of(request)).select_related("client__plan"), id, "site"
    )
    views = site_certificates(site, datetime.now(UTC))
    return {
        "site_id": site.pk,
        "monitored": site.client.plan.ssl_monitoring,
        "certificates": [_out(view) for view in views],
    }


def _out(view: CertificateView) -> dict[str, Any]:
    target = view.target
    return {
        "host": target.host,
        "port": target.port,
        "audited_at": target.audited_at,
        "error": target.error,
        "fingerprint_sha256": target.fingerprint_sha256,
        "subject": target.subject,
        "issuer": target.issuer,
        "serial": target.serial,
        "key": target.key_description,
        "signature_hash": target.signature_hash,
        "protocol": target.protocol,
        "not_before": target.not_before,
        "not_after": target.not_after,
        "days_left": view.expiry.days_left,
        "expiry_level": view.expiry.level,
        "findings": [
            {
                "code": str(item.get("code", "")),
                "severity": str(item.get("severity", "")),
                "params": {str(k): str(v) for k, v in (item.get("params") or {}).items()},
            }
            for item in target.findings
            if isinstance(item, dict)
        ],
        "changes": [
            {
                "seen_at": change.seen_at,
                "kind": change.kind,
                "fingerprint_sha256": change.fingerprint_sha256,
                "issuer": change.issuer,
                "serial": change.serial,
                "not_before": change.not_before,
                "not_after": change.not_after,
            }
            for change in view.changes
        ],
    }
