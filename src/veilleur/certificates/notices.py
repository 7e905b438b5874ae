"""Writing the outbox rows of a certificate notice, in the transaction that decides it.

To the agency's on-call addresses in scope (when the client's plan has email alerts), in the
agency's language, e-mail only: certificates are the agency's business, not the client's.
"""

from __future__ import annotations

from veilleur.certificates.models import CertificateNotice
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.models import OnCallAddress, OutboxMessage

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
    email = OutboxMessage.Channel.EMAIL
    addresses = (
        OnCallAddress.objects.filter(OnCallAddress.covering(client), agency_id=agency.pk)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )
    rows = [
        OutboxMessage(
            agency=agency,
            certificate_notice=notice,
            kind=kind,
            channel=email,
            audience=OutboxMessage.Audience.AGENCY,
            recipient=address,
            language=agency.language,
            idempotency_key=f"{kind}:notice-{notice.pk}:{email}:{address}",
            message_id=new_message_id(agency),
        )
        for address in addresses
    ]
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
