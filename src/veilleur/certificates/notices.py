"""Writing the outbox rows of a certificate notice, in the transaction that decides it.

To the agency's on-call addresses in scope (when the client's plan has email alerts), in the
agency's language, e-mail only: certificates are the agency's business, not the client's.
"""

from __future__ import annotations

from veilleur.certificates.models import CertificateNotice
from veilleur.notifications.enqueue import on_call_mails
from veilleur.notifications.models import OutboxMessage

Kind = OutboxMessage.Kind
KIND_OF_NOTICE: dict[str, str] = {
    CertificateNotice.Kind.EXPIRY: Kind.CERTIFICATE_EXPIRY,
    CertificateNotice.Kind.FINDING: Kind.CERTIFICATE_FINDING,
    CertificateNotice.Kind.CHANGED: Kind.CERTIFICATE_CHANGED,
}


def enqueue_certificate_notice(notice: CertificateNotice) -> int:
    """One pending e-mail per on-call address in scope; the number of rows written."""
    client = notice.target.site.client
    if not client.plan.email_alerts:
        return 0
    agency = client.agency
    kind = KIND_OF_NOTICE[notice.kind]
    rows = on_call_mails(agency, kind, f"{kind}:notice-{notice.pk}", client, certificate_notice=notice)
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
