"""Warnings to the agency that a site's domain registration expires soon.

At each threshold of the site's plan (``domain_warning_days``, e.g. 30, 14 and 7 days before the
expiry) the on-call addresses covering the client get one e-mail. The ``DomainNotice`` row and
its outbox rows are written in one transaction, and the row is unique per site, domain, expiry
date and threshold: any number of workers send it once, a crash sends it on the next run, and
a renewal (a new expiry date) starts the thresholds again. A worker that was stopped past
several thresholds sends the latest only.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.clients.models import Site
from veilleur.domain.registration import days_left, due_warning
from veilleur.domains.lookups import site_domain, watched_sites
from veilleur.domains.models import DomainNotice, DomainRegistration
from veilleur.notifications.enqueue import on_call_mails
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import (
    Action,
    Body,
    CannotRender,
    RenderedMessage,
    plain_text,
    render_html_body,
)
from veilleur.notifications.tokens import public_base_url
from veilleur.notifications.wording import format_instant

KIND = OutboxMessage.Kind.DOMAIN_EXPIRY
KEY_PREFIX = f"{KIND}:"


def send_domain_notices(now: datetime) -> int:
    """Write the warnings that are due; the number of notices decided."""
    expiries = dict(
        DomainRegistration.objects.filter(
            state=DomainRegistration.State.FOUND, expires_at__gt=now
        ).values_list("domain", "expires_at")
    )
    if not expiries:
        return 0
    decided = 0
    sites = watched_sites().filter(client__plan__email_alerts=True).select_related("client__plan")
    for site in sites:
        domain = site_domain(site)
        expires_at = expiries.get(domain or "")
        if domain is None or expires_at is None:
            continue
        threshold = due_warning(expires_at, now, site.client.plan.domain_warning_thresholds())
        if threshold is not None and _decide(site, domain, expires_at, threshold):
            decided += 1
    return decided


def _decide(site: Site, domain: str, expires_at: datetime, threshold: int) -> bool:
    """Write this warning and its outbox rows, unless it exists already."""
    if DomainNotice.objects.filter(
        site=site, domain=domain, expires_at=expires_at, threshold_days=threshold
    ).exists():
        return False
    try:
        with transaction.atomic():
            notice = DomainNotice.objects.create(
                agency_id=site.agency_id,
                site=site,
                domain=domain,
                expires_at=expires_at,
                threshold_days=threshold,
            )
            _enqueue(notice, site)
    except IntegrityError:
        return False  # another worker decided it a moment ago
    return True


def _enqueue(notice: DomainNotice, site: Site) -> None:
    client = site.client
    rows = on_call_mails(client.agency, KIND, f"{KEY_PREFIX}{notice.pk}", client)
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)


def notice_of(row: OutboxMessage) -> DomainNotice:
    """The warning an outbox row carries (its key names it)."""
    try:
        notice_id = int(row.idempotency_key.removeprefix(KEY_PREFIX).split(":", 1)[0])
    except ValueError:
        raise CannotRender("this notice names no domain warning") from None
    notice = (
        DomainNotice.objects.filter(pk=notice_id, agency_id=row.agency_id)
        .select_related("site__client")
        .first()
    )
    if notice is None:
        raise CannotRender("the site of this domain warning no longer exists")
    return notice


def render_domain_notice(row: OutboxMessage) -> RenderedMessage:
    notice = notice_of(row)
    agency = row.agency
    site = notice.site
    with translation.override(row.language), timezone.override(ZoneInfo(agency.time_zone)):
        left = max(0, days_left(notice.expires_at, timezone.now()))
        names = {
            "agency": agency.name,
            "domain": notice.domain,
            "site": site.name,
            "client": site.client.name,
        }
        subject = _("[%(agency)s] Domain %(domain)s expires soon (%(client)s)") % names
        registration = DomainRegistration.objects.filter(domain=notice.domain).first()
        facts = [
            (_("Domain"), notice.domain),
            (_("Site"), f"{site.name} ({site.client.name})"),
            (_("Expires on"), format_instant(notice.expires_at)),
        ]
        if registration is not None and registration.registrar:
            facts.append((_("Registrar"), registration.registrar))
        body = Body(
            heading=ngettext(
                "%(domain)s expires in %(days)d day",
                "%(domain)s expires in %(days)d days",
                left,
            )
            % {**names, "days": left},
            intro=_(
                "The registration of this domain runs out soon. If it is not renewed in time, the site "
                "and its e-mail stop working and the name can be bought by someone else. Renew it at "
                "the registrar, or check that automatic renewal is on."
            ),
            facts=facts,
            action=Action(
                label=_("Open the site page"),
                url=public_base_url(agency) + reverse("site-detail", args=[site.pk]),
                note=_("Sign-in required."),
            ),
            footer=_("Sent by Veilleur, the site monitoring of %(agency)s.") % names,
        )
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)
