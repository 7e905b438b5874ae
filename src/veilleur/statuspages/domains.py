"""Proving that a client controls the custom domain of its status page, through DNS.

The proof is bound to the page: ``_veilleur.<domain> TXT "veilleur-verify=<page.domain_token>"``.
Only the domain's owner can create it, and the token is the page's own, so an agency of a
shared install cannot claim a domain meant for another agency's page.

A CNAME to ``VEILLEUR_STATUS_HOST`` proves nothing about *which* page: every domain pointed at
the install has one, including domains whose own page is not set up yet. It only routes the
visitors; verification reports it as such and still asks for the TXT record.

A domain is verified once: records removed later do not take a page offline (its certificate
and its visitors depend on it), and a transient DNS failure must not either. Changing the
domain starts over with a new token (``StatusPage.set_custom_domain``).
"""

from __future__ import annotations

import ipaddress
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from veilleur.domain.validators import check_domain
from veilleur.statuspages.models import StatusPage
from veilleur.validators import refusal_text

# dnspython is imported by the functions that ask DNS, not with this module: the admin and the
# worker import this module at start-up, and most installs have no custom domain to verify.
if TYPE_CHECKING:
    import dns.name
    import dns.resolver

# Seconds one DNS question may take, retries included: a verification asks at most a handful.
DNS_LIFETIME_SECONDS = 3.0
TXT_PREFIX = "_veilleur"
TXT_VALUE_PREFIX = "veilleur-verify="
# CNAMEs followed from the domain towards the status host.
MAX_CNAME_HOPS = 5
# The worker re-checks an unverified domain at most this often.
PENDING_RECHECK = timedelta(minutes=10)
PENDING_CONCURRENCY = 8


@dataclass(frozen=True)
class DomainCheck:
    ok: bool
    message: str


@dataclass(frozen=True)
class DnsRecord:
    name: str
    type: str
    value: str

    def __str__(self) -> str:
        value = f'"{self.value}"' if self.type == "TXT" else f"{self.value}."
        return f"{self.name}. {self.type} {value}"


def status_host() -> str:
    return str(settings.VEILLEUR_STATUS_HOST)


def required_records(domain: str, token: str) -> tuple[DnsRecord, DnsRecord]:
    """The record that routes visitors (a CNAME, or A/AAAA records to the same host) and the
    TXT record that proves the domain belongs to this page."""
    return (
        DnsRecord(domain, "CNAME", status_host()),
        DnsRecord(f"{TXT_PREFIX}.{domain}", "TXT", f"{TXT_VALUE_PREFIX}{token}"),
    )


def make_resolver(
    server: tuple[str, int] | None = None, lifetime: float = DNS_LIFETIME_SECONDS
) -> dns.resolver.Resolver:
    """A resolver asking ``server`` (default: ``VEILLEUR_DNS_SERVER``), else the system's."""
    import dns.resolver

    server = server or settings.VEILLEUR_DNS_SERVER
    if server:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server[0]]
        resolver.port = server[1]
    else:
        resolver = dns.resolver.Resolver()
    resolver.lifetime = lifetime
    resolver.timeout = lifetime
    return resolver


def verify_domain(page: StatusPage, resolver: dns.resolver.Resolver | None = None) -> DomainCheck:
    """Look the page's records up; on success mark its domain verified, unless the domain (or
    its token) changed while we were looking."""
    domain, token = page.custom_domain, page.domain_token
    if not domain:
        return DomainCheck(False, _("The status page %(slug)s has no custom domain.") % {"slug": page.slug})
    if page.domain_verified_at is not None:
        return DomainCheck(
            True,
            _("%(domain)s has been verified since %(date)s.")
            % {"domain": domain, "date": f"{page.domain_verified_at:%Y-%m-%d %H:%M} UTC"},
        )
    if _verified_elsewhere(page, domain):
        return _taken(domain)
    check = check_records(domain, token, resolver)
    if not check.ok:
        return check
    return _mark_verified(page, domain, token, check, timezone.now())


def check_records(domain: str, token: str, resolver: dns.resolver.Resolver | None = None) -> DomainCheck:
    """The DNS half of a verification: no database."""
    import dns.exception

    try:
        domain = check_domain(domain)
    except ValueError as exc:
        return DomainCheck(False, refusal_text(exc))
    try:
        resolver = resolver or make_resolver()
    except dns.exception.DNSException as exc:
        return DomainCheck(
            False, _("No DNS resolver is configured on this server: %(error)s") % {"error": exc}
        )
    txt = _check_txt(resolver, domain, token)
    if txt.ok:
        return txt
    findings = [txt.message]
    if not status_host_is_address():  # a CNAME names a host, never an address
        # Looked at only to say whether visitors would arrive: it is no proof of the claim.
        cname = _check_cname(resolver, domain, status_host())
        findings.append(
            _(
                "%(found)s Visitors will reach this install, but a CNAME does not prove which page the "
                "domain belongs to."
            )
            % {"found": cname.message}
            if cname.ok
            else cname.message
        )
    return DomainCheck(False, _not_verified_message(domain, token, findings))


def status_host_is_address() -> bool:
    """True when the status host is an IP address (no host name configured): no CNAME can reach it."""
    try:
        ipaddress.ip_address(status_host().strip("[]"))
    except ValueError:
        return False
    return True


def _check_cname(resolver: dns.resolver.Resolver, domain: str, host: str) -> DomainCheck:
    import dns.exception
    import dns.name
    import dns.resolver

    name = domain
    for _hop in range(MAX_CNAME_HOPS):
        try:
            answer = resolver.resolve(dns.name.from_text(name), "CNAME", search=False)
        except dns.resolver.NXDOMAIN:
            if name == domain:
                return DomainCheck(False, _("%(domain)s does not exist in DNS.") % {"domain": domain})
            return DomainCheck(False, _cname_elsewhere(domain, name, host))
        except dns.resolver.NoAnswer:
            if name == domain:
                return DomainCheck(False, _("%(domain)s has no CNAME record.") % {"domain": domain})
            return DomainCheck(False, _cname_elsewhere(domain, name, host))
        except (dns.exception.DNSException, OSError) as exc:
            return DomainCheck(False, _dns_failure(name, "CNAME", exc, resolver.lifetime))
        target = _plain_name(answer[0].target)
        if target == host:
            return DomainCheck(
                True, _("%(domain)s is a CNAME to %(host)s.") % {"domain": domain, "host": host}
            )
        name = target
    return DomainCheck(False, _cname_elsewhere(domain, name, host))


def _cname_elsewhere(domain: str, target: str, host: str) -> str:
    return _("%(domain)s is a CNAME to %(target)s, not to %(host)s.") % {
        "domain": domain,
        "target": target,
        "host": host,
    }


def _check_txt(resolver: dns.resolver.Resolver, domain: str, token: str) -> DomainCheck:
    import dns.exception
    import dns.name
    import dns.resolver

    name = f"{TXT_PREFIX}.{domain}"
    expected = f"{TXT_VALUE_PREFIX}{token}"
    try:
        answer = resolver.resolve(dns.name.from_text(name), "TXT", search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return DomainCheck(False, _("%(name)s has no TXT record.") % {"name": name})
    except (dns.exception.DNSException, OSError) as exc:
        return DomainCheck(False, _dns_failure(name, "TXT", exc, resolver.lifetime))
    # A TXT record may be split into several strings; they form one value.
    values = [b"".join(record.strings).decode("utf-8", "replace").strip() for record in answer]
    if expected in values:
        return DomainCheck(True, _("%(name)s has the expected TXT record.") % {"name": name})
    if any(value.startswith(TXT_VALUE_PREFIX) for value in values):
        return DomainCheck(
            False,
            _("The TXT record at %(name)s has another token: it must be exactly %(expected)s.")
            % {"name": name, "expected": expected},
        )
    return DomainCheck(
        False,
        _("%(name)s has no TXT record starting with %(prefix)s.")
        % {
            "name": name,
            "prefix": TXT_VALUE_PREFIX,
        },
    )


def _dns_failure(name: str, rdtype: str, exc: BaseException, lifetime: float) -> str:
    import dns.exception
    import dns.resolver

    if isinstance(exc, dns.exception.Timeout):
        reason = _("no answer within %(seconds)s s") % {"seconds": f"{lifetime:g}"}
    elif isinstance(exc, dns.resolver.NoNameservers):
        reason = _("its DNS servers failed to answer (SERVFAIL or refused)")
    else:
        reason = str(exc) or exc.__class__.__name__
    return _("The DNS lookup of %(name)s (%(type)s) failed: %(reason)s.") % {
        "name": name,
        "type": rdtype,
        "reason": reason,
    }


def _not_verified_message(domain: str, token: str, findings: list[str]) -> str:
    cname, txt = required_records(domain, token)
    advice = [_("To verify it, create this TXT record (it names this status page):"), f"  {txt}"]
    if status_host_is_address():
        advice.append(
            _(
                "A CNAME cannot point to an IP address such as %(host)s: to let clients use one, set "
                "VEILLEUR_STATUS_HOST to the host name of this server."
            )
            % {"host": status_host()}
        )
    else:
        advice += [
            _(
                "To send its visitors here, the domain also needs this CNAME (or A/AAAA records to that "
                "host):"
            ),
            f"  {cname}",
        ]
    lines = [
        _("%(domain)s is not verified yet.") % {"domain": domain},
        *findings,
        *advice,
        _(
            "DNS changes can take a while to be seen; Veilleur checks unverified domains again "
            "every %(minutes)s minutes."
        )
        % {"minutes": int(PENDING_RECHECK.total_seconds() // 60)},
    ]
    return "\n".join(lines)


def _plain_name(name: dns.name.Name) -> str:
    return str(name.to_text(omit_final_dot=True)).lower()


def _mark_verified(
    page: StatusPage, domain: str, token: str, check: DomainCheck, now: datetime
) -> DomainCheck:
    """Compare-and-set on the domain and token the records were checked for. Several pages may
    claim one domain while it is pending; the first whose own token is found holds it, and the
    database's unique index on verified domains settles two verifications at the same moment."""
    if _verified_elsewhere(page, domain):
        return _taken(domain)
    try:
        with transaction.atomic():
            StatusPage.objects.filter(
                pk=page.pk, custom_domain=domain, domain_token=token, domain_verified_at__isnull=True
            ).update(domain_verified_at=now, state_version=F("state_version") + 1)
    except IntegrityError:
        return _taken(domain)  # another page's verification won the race
    page.refresh_from_db(fields=["custom_domain", "domain_token", "domain_verified_at", "state_version"])
    if page.custom_domain == domain and page.domain_token == token and page.domain_verified_at is not None:
        return DomainCheck(
            True, _("%(domain)s is verified: %(proof)s") % {"domain": domain, "proof": check.message}
        )
    return DomainCheck(
        False,
        _("The custom domain of this page changed while %(domain)s was being checked; verify the new one.")
        % {"domain": domain},
    )


def _verified_elsewhere(page: StatusPage, domain: str) -> bool:
    return (
        StatusPage.objects.filter(custom_domain__iexact=domain, domain_verified_at__isnull=False)
        .exclude(pk=page.pk)
        .exists()
    )


def _taken(domain: str) -> DomainCheck:
    return DomainCheck(
        False,
        _("%(domain)s is already verified by another status page: a domain is served by one page only.")
        % {"domain": domain},
    )


# Unverified domains the worker looked at, and when: (page, domain, token) -> time. Memory is
# enough, as a restart only means one early re-check; a new domain or token is a new key.
_last_pending_check: dict[tuple[int, str, str], datetime] = {}


def verify_pending(now: datetime, resolver: dns.resolver.Resolver | None = None) -> str | None:
    """The worker's job: check each unverified custom domain, each at most once per
    ``PENDING_RECHECK``. DNS questions run a few at a time, so that domains whose servers do
    not answer do not hold the worker up for long. Returns a summary when anything was checked."""
    pending = list(
        StatusPage.objects.filter(custom_domain__isnull=False, domain_verified_at__isnull=True)
        .exclude(custom_domain="")
        .values_list("pk", "custom_domain", "domain_token")
    )
    keys = {(pk, str(domain), token) for pk, domain, token in pending}
    for stale in set(_last_pending_check) - keys:
        del _last_pending_check[stale]
    due = sorted(key for key in keys if _due(_last_pending_check.get(key), now))
    if not due:
        return None
    resolver = resolver or _pending_resolver()
    with ThreadPoolExecutor(max_workers=PENDING_CONCURRENCY) as pool:
        checks = list(pool.map(lambda key: check_records(key[1], key[2], resolver), due))
    verified = []
    for (pk, domain, token), check in zip(due, checks, strict=True):
        _last_pending_check[(pk, domain, token)] = now
        if check.ok:
            page = StatusPage.objects.filter(pk=pk).first()
            if page is not None and _mark_verified(page, domain, token, check, now).ok:
                verified.append(domain)
    summary = f"{len(due)} custom domain(s) checked"
    return f"{summary}, verified: {', '.join(sorted(verified))}" if verified else summary


def _due(last_checked: datetime | None, now: datetime) -> bool:
    return last_checked is None or now - last_checked >= PENDING_RECHECK


def _pending_resolver() -> dns.resolver.Resolver | None:
    import dns.exception

    try:
        return make_resolver()
    except dns.exception.DNSException:
        return None  # each check reports the missing configuration
