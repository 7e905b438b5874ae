"""What a certificate notice says: subject, text and branded HTML, in the agency's language.

Rendered at delivery from the notice's facts (what was true when it was decided) and the
target's current state (the days left are counted when the mail leaves)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.certificates.models import CertificateNotice, CertificateTarget
from veilleur.certificates.wording import finding_in_words
from veilleur.domain.certificates import days_left
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


def render_certificate_message(row: OutboxMessage) -> RenderedMessage:
    notice = row.certificate_notice
    if notice is None:
        raise CannotRender("the certificate notice of this message no longer exists")
    agency = row.agency
    with translation.override(row.language), timezone.override(ZoneInfo(agency.time_zone)):
        subject, body = _compose(notice)
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)


def _compose(notice: CertificateNotice) -> tuple[str, Body]:
    target = notice.target
    site = target.site
    names = {"agency": notice.agency.name, "site": site.name, "client": site.client.name, "host": target.host}
    facts = notice.facts
    not_after = _instant(facts.get("not_after"))
    if notice.kind == CertificateNotice.Kind.EXPIRY and not_after is not None:
        left = days_left(not_after, timezone.now())
        days = {"days": left, **names}
        subject = (
            ngettext(
                "[%(agency)s] Certificate expires in %(days)d day: %(site)s (%(client)s)",
                "[%(agency)s] Certificate expires in %(days)d days: %(site)s (%(client)s)",
                left,
            )
            % days
        )
        heading = (
            ngettext(
                "The certificate of %(host)s expires in %(days)d day",
                "The certificate of %(host)s expires in %(days)d days",
                left,
            )
            % days
        )
        intro = _(
            "Renew it, or check that its automatic renewal works, before it expires: an expired "
            "certificate makes browsers show a security error, and the site counts as down."
        )
    elif notice.kind == CertificateNotice.Kind.FINDING:
        subject = _("[%(agency)s] Certificate problem: %(site)s (%(client)s)") % names
        heading = finding_in_words(str(facts.get("code", "")), facts.get("params") or {})
        intro = (
            _(
                "The daily certificate check found this on %(host)s. The site does not count as down "
                "for it, but some visitors, browsers or apps may be affected."
            )
            % names
        )
    elif notice.kind == CertificateNotice.Kind.CHANGED:
        subject, heading, intro = _change_words(str(facts.get("change", "")), names, not_after)
    else:
        raise CannotRender(f"no wording for certificate notices of kind {notice.kind!r}")
    body = Body(
        heading=heading,
        intro=intro,
        facts=_facts(target, facts, not_after),
        footer=_("Sent by Veilleur, the site monitoring of %(agency)s.") % names,
        links=[_site_link(target)],
    )
    return subject, body


def _change_words(change: str, names: dict[str, str], not_after: datetime | None) -> tuple[str, str, str]:
    expires = format_instant(not_after) if not_after else "—"
    if change == "renewed":
        return (
            _("[%(agency)s] Certificate renewed: %(site)s (%(client)s)") % names,
            _("The certificate of %(host)s was renewed") % names,
            _("Good news: the same issuer renewed it, and it now expires on %(date)s.") % {"date": expires},
        )
    if change == "new_issuer":
        return (
            _("[%(agency)s] Certificate from a new issuer: %(site)s (%(client)s)") % names,
            _("%(host)s serves a certificate from a new issuer") % names,
            _(
                "The site now serves a certificate from another certificate authority. If nobody "
                "you know changed it, find out who did: it may be a new host, a CDN, or worse."
            ),
        )
    return (
        _("[%(agency)s] Certificate replaced: %(site)s (%(client)s)") % names,
        _("The certificate of %(host)s was replaced") % names,
        _(
            "The site serves a different certificate from the same issuer, which does not expire "
            "later than the previous one (it expires on %(date)s)."
        )
        % {"date": expires},
    )


def _facts(
    target: CertificateTarget, facts: dict[str, object], not_after: datetime | None
) -> list[tuple[str, str]]:
    client = target.site.client
    found = [
        (_("Client"), client.name),
        (_("Plan"), client.plan.name),
        (_("Site"), target.site.name),
        (_("Address"), f"{target.host}:{target.port}" if target.port != 443 else target.host),
        (_("Issuer"), str(facts.get("issuer") or "—")),
    ]
    previous = str(facts.get("previous_issuer") or "")
    if previous and previous != facts.get("issuer"):
        found.append((_("Previous issuer"), previous))
    if not_after is not None:
        found.append((_("Expires on"), format_instant(not_after)))
    found.append((_("SHA-256 fingerprint"), str(facts.get("fingerprint") or "—")))
    return found


def _site_link(target: CertificateTarget) -> Action:
    url = public_base_url(target.site.agency) + reverse("site-detail", args=[target.site_id])
    return Action(label=_("Open the site page"), url=url, note=_("Sign-in required."))


def _instant(value: object) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) and value else None
