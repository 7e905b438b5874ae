"""The worker's registration lookups: which domains to watch, and asking their registries.

Watched: the registrable domain of every site whose client's plan includes certificate and
domain monitoring (``ssl_monitoring``), demo clients aside (made-up names). Each domain is
claimed with a compare-and-set on its ``next_check_at`` before its registry is asked, so any
number of workers ask once; a worker killed mid-lookup leaves the claim to expire and the
domain is asked again later. Requests go through the SSRF guard (``probes.fetch``).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError
from django.db.models import QuerySet

from veilleur.clients.models import Site
from veilleur.domain.registration import next_check, registrable_domain, top_level_domain
from veilleur.domains.models import DomainRegistration, RdapBootstrap
from veilleur.probes.fetch import FetchFailed, fetch_small
from veilleur.probes.guard import AddressGuard
from veilleur.probes.http import make_tls_context
from veilleur.probes.rdap import (
    ACCEPT,
    MAX_ANSWER_BYTES,
    MAX_BOOTSTRAP_BYTES,
    RdapFailed,
    Registration,
    look_up,
    read_bootstrap,
)

log = logging.getLogger("veilleur.domains")

FETCH_TIMEOUT_SECONDS = 15.0
BOOTSTRAP_MAX_AGE = timedelta(days=7)
CLAIM_FOR = timedelta(minutes=10)  # a lookup that takes longer is given up and retried
MAX_LOOKUPS_PER_RUN = 20  # one run never holds the worker for long
State = DomainRegistration.State


@dataclass
class LookupReport:
    looked_up: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.looked_up or self.failed)

    def __str__(self) -> str:
        return f"{len(self.looked_up)} domain(s) looked up, {len(self.failed)} failed"


def watched_sites() -> QuerySet[Site]:
    """The sites whose domain registration is watched."""
    return Site.objects.filter(client__plan__ssl_monitoring=True, client__demo=False)


def site_domain(site: Site) -> str | None:
    return registrable_domain(urlsplit(site.url).hostname or "")


def watched_domains() -> set[str]:
    urls = watched_sites().values_list("url", flat=True)
    return {domain for url in urls if (domain := registrable_domain(urlsplit(url).hostname or ""))}


def refresh_registrations(now: datetime) -> LookupReport:
    """Look up the domains that are due; add new ones, forget those no longer watched."""
    wanted = watched_domains()
    known = set(DomainRegistration.objects.values_list("domain", flat=True))
    for domain in sorted(wanted - known):
        with contextlib.suppress(IntegrityError):  # another worker added it a moment ago
            DomainRegistration.objects.create(domain=domain, next_check_at=now)
    DomainRegistration.objects.exclude(domain__in=wanted).delete()
    report = LookupReport()
    due = DomainRegistration.objects.filter(domain__in=wanted, next_check_at__lte=now).order_by(
        "next_check_at"
    )
    services: dict[str, tuple[str, ...]] | None = None
    for row in due[:MAX_LOOKUPS_PER_RUN]:
        claimed = DomainRegistration.objects.filter(pk=row.pk, next_check_at=row.next_check_at).update(
            next_check_at=now + CLAIM_FOR
        )
        if claimed != 1:
            continue  # another worker has it
        try:
            if services is None:
                services = rdap_services(now)
            found = look_up(row.domain, top_level_domain(row.domain), services, _fetch)
        except RdapFailed as failure:
            _record_failure(row, str(failure), now)
            report.failed.append(row.domain)
            continue
        _record(row, found, now)
        report.looked_up.append(row.domain)
    return report


def _record(row: DomainRegistration, found: Registration, now: datetime) -> None:
    state = State.NOT_PUBLISHED if found.known else State.UNKNOWN_DOMAIN
    if found.published:
        state = State.FOUND
    DomainRegistration.objects.filter(pk=row.pk).update(
        state=state,
        registrar=found.registrar,
        expires_at=found.expires_at,
        source_url=found.source_url[:500],
        checked_at=now,
        error="",
        next_check_at=next_check(
            checked_at=now, expires_at=found.expires_at, found=found.published, failed=False
        ),
    )


def _record_failure(row: DomainRegistration, reason: str, now: datetime) -> None:
    """Keep what the registry said before (an outage of the registry is not news about the
    domain); a domain never answered for shows the failure as its state."""
    log.warning("registration of %s could not be looked up: %s", row.domain, reason)
    DomainRegistration.objects.filter(pk=row.pk).update(
        state=State.ERROR if row.state in (State.PENDING, State.ERROR) else row.state,
        checked_at=now,
        error=reason[:300],
        next_check_at=next_check(checked_at=now, expires_at=row.expires_at, found=False, failed=True),
    )


def rdap_services(now: datetime) -> dict[str, tuple[str, ...]]:
    """The bootstrap table, from the stored copy while it is less than a week old."""
    url = settings.VEILLEUR_RDAP_BOOTSTRAP_URL
    stored = RdapBootstrap.objects.filter(url=url).first()
    if stored is not None and stored.fetched_at + BOOTSTRAP_MAX_AGE > now:
        return read_bootstrap(bytes(stored.body))
    try:
        body = _fetch(url, MAX_BOOTSTRAP_BYTES)
        services = read_bootstrap(body)
    except (RdapFailed, FetchFailed) as failure:
        if stored is not None:  # an old table is better than none
            return read_bootstrap(bytes(stored.body))
        raise RdapFailed(f"the RDAP bootstrap file could not be loaded: {failure}") from None
    RdapBootstrap.objects.update_or_create(url=url, defaults={"body": body, "fetched_at": now})
    return services


def _fetch(url: str, max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    try:
        return fetch_small(
            url,
            guard=AddressGuard(allow_private=bool(settings.VEILLEUR_ALLOW_PRIVATE_TARGETS)),
            max_bytes=max_bytes,
            timeout_seconds=FETCH_TIMEOUT_SECONDS,
            tls_context=make_tls_context(settings.VEILLEUR_CA_FILE or None),
            accept=ACCEPT,
        ).body
    except FetchFailed as failure:
        if failure.status == 404:
            raise  # "no such domain": look_up says so in its own words
        raise RdapFailed(str(failure)) from None
