"""A site's domain registration as pages, reports and the API show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from veilleur.clients.models import Site
from veilleur.domain.registration import days_left, registrable_domain
from veilleur.domains.models import DomainRegistration

State = DomainRegistration.State
# Two states beyond the registration's own: the plan does not include domains, or the site's
# address is not a registered name (an IP address, "localhost").
NOT_WATCHED = "not_watched"
NO_DOMAIN = "no_domain"
# From this many days left, the overview and the site page show the expiry as a warning.
SOON_DAYS = 30


@dataclass(frozen=True)
class DomainFacts:
    watched: bool
    domain: str | None
    state: str
    expires_at: datetime | None = None
    days_left: int | None = None
    registrar: str = ""
    checked_at: datetime | None = None
    error: str = ""

    @property
    def soon(self) -> bool:
        return self.days_left is not None and self.days_left <= SOON_DAYS

    def short(self) -> str:
        """The overview's cell: days to the expiry, or why there is no figure."""
        if self.days_left is not None:
            if self.days_left < 0:
                return _("expired")
            return ngettext("%(days)d day", "%(days)d days", self.days_left) % {"days": self.days_left}
        return {
            State.PENDING: _("not looked up yet"),
            State.NOT_PUBLISHED: _("not published"),
            State.UNKNOWN_DOMAIN: _("unknown to the registry"),
            State.ERROR: _("lookup failed"),
            NO_DOMAIN: _("no registered domain"),
        }.get(self.state, "—")

    def sentence(self) -> str:
        """What the site page says, in plain words."""
        if self.state == State.FOUND and self.days_left is not None:
            if self.days_left < 0:
                return _(
                    "The registration of %(domain)s has expired, or its renewal is not published yet."
                ) % {"domain": self.domain}
            return _("The registration of %(domain)s runs until the date below.") % {"domain": self.domain}
        return {
            State.PENDING: _(
                "The registry of %(domain)s has not been asked yet; it is within a few minutes."
            ),
            State.NOT_PUBLISHED: _(
                "The registry of %(domain)s does not publish an expiry date (several European country "
                "registries do not). Check the date with the registrar."
            ),
            State.UNKNOWN_DOMAIN: _("The registry answers that it does not know %(domain)s."),
            State.ERROR: _("The registry of %(domain)s could not be asked; it is tried again every day."),
            NO_DOMAIN: _("This site's address is not a registered domain name."),
            NOT_WATCHED: _("Domain expiry is watched on plans with SSL certificate monitoring."),
        }.get(self.state, "") % {"domain": self.domain}

    def client_sentence(self) -> str:
        """What the client reads in the portal: only what the registry said, in plain words
        ("" when there is nothing to tell)."""
        if self.state == State.FOUND and self.expires_at is not None and self.days_left is not None:
            if self.days_left < 0:
                return ""
            day = formats.date_format(timezone.localtime(self.expires_at), "DATE_FORMAT")
            return _("Your domain name %(domain)s is registered until %(day)s.") % {
                "domain": self.domain,
                "day": day,
            }
        if self.state == State.NOT_PUBLISHED:
            return _(
                "The registry of %(domain)s does not publish its expiry date (several European country "
                "registries do not), so your agency follows it with the registrar."
            ) % {"domain": self.domain}
        return ""


def domain_facts(site: Site, now: datetime) -> DomainFacts:
    # Demo clients' names are made up: nobody looks them up.
    watched = site.client.plan.ssl_monitoring and not site.client.demo
    (facts,) = domain_facts_of([(watched, site.url)], now)
    return facts


def domain_facts_of(sites: list[tuple[bool, str]], now: datetime) -> list[DomainFacts]:
    """The facts of each (watched, url) pair, in one query: the overview's column."""
    domains = [registrable_domain(urlsplit(url).hostname or "") for _, url in sites]
    asked = {domain for (watched, _url), domain in zip(sites, domains, strict=True) if watched and domain}
    rows = {row.domain: row for row in DomainRegistration.objects.filter(domain__in=asked)} if asked else {}
    facts = []
    for (watched, _url), domain in zip(sites, domains, strict=True):
        if not watched:
            facts.append(DomainFacts(False, domain, NOT_WATCHED))
        elif domain is None:
            facts.append(DomainFacts(True, None, NO_DOMAIN))
        elif domain in rows:
            facts.append(from_row(rows[domain], now))
        else:
            facts.append(DomainFacts(True, domain, State.PENDING))
    return facts


def from_row(row: DomainRegistration, now: datetime) -> DomainFacts:
    return DomainFacts(
        watched=True,
        domain=row.domain,
        state=row.state,
        expires_at=row.expires_at,
        days_left=days_left(row.expires_at, now) if row.expires_at else None,
        registrar=row.registrar,
        checked_at=row.checked_at,
        error=row.error,
    )
