"""Domain registrations: which domain a site is registered under, when to ask the registry
again, and which expiry warning is due. Pure functions over UTC instants.

The registrable domain is the part a client buys from a registrar: one label under the public
suffix ("www.client.co.uk" is registered as "client.co.uk"), from the ICANN section of the Public
Suffix List. Hosts that are not registered names (IP addresses, "localhost") have none.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

from veilleur.domain.plans import check_warning_days

# A registry is asked at most once a day per domain. Far from its expiry a domain changes
# little, so once a week is enough; within DAILY_WINDOW of the expiry (and after it, until the
# renewal shows up) it is asked daily, so a warning never rests on a week-old answer and a
# renewal made at the last minute is seen the next day.
REFRESH_FAR = timedelta(days=7)
REFRESH_NEAR = timedelta(days=1)
DAILY_WINDOW = timedelta(days=45)
# Registries without an expiry date, or that do not know the domain, rarely change their mind.
REFRESH_NOT_PUBLISHED = timedelta(days=7)
# A failed lookup (registry down, unreadable answer) is tried again the next day.
RETRY_AFTER_FAILURE = timedelta(days=1)


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    # ICANN section only: "github.io" is a registrable domain to its registry, whatever the
    # private section says about the sites under it.
    return PublicSuffixList(only_icann=True)


def registrable_domain(host: str) -> str | None:
    """The domain ``host`` is registered under, lower-case and in its ASCII form, or ``None``
    when it has none (an IP address, a single label, a bare public suffix)."""
    name = host.strip().rstrip(".").lower()
    if not name or _is_ip(name):
        return None
    try:
        name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if "." not in name:
        return None
    found = _suffixes().privatesuffix(name)
    return found or None


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def top_level_domain(domain: str) -> str:
    """The last label: what the IANA bootstrap file lists ("client.co.uk" → "uk")."""
    return domain.rsplit(".", 1)[-1]


def next_check(*, checked_at: datetime, expires_at: datetime | None, found: bool, failed: bool) -> datetime:
    """When the registry is asked again after an answer at ``checked_at``."""
    if failed:
        return checked_at + RETRY_AFTER_FAILURE
    if not found or expires_at is None:
        return checked_at + REFRESH_NOT_PUBLISHED
    if expires_at - checked_at <= DAILY_WINDOW:
        return checked_at + REFRESH_NEAR
    # Never sleep past the start of the daily window.
    return min(checked_at + REFRESH_FAR, max(expires_at - DAILY_WINDOW, checked_at + REFRESH_NEAR))


def days_left(expires_at: datetime, now: datetime) -> int:
    """Whole days until the expiry, rounded down (negative once it has passed)."""
    return (expires_at - now) // timedelta(days=1)


def due_warning(expires_at: datetime, now: datetime, warning_days: list[int] | tuple[int, ...]) -> int | None:
    """The warning threshold (in days) the agency should have heard of by ``now``: the smallest
    threshold already reached, so a worker that was stopped for a week sends the latest warning
    only, not every one it missed. ``None`` before the first threshold and after the expiry."""
    if expires_at <= now:
        return None
    left = expires_at - now
    reached = [days for days in check_warning_days(list(warning_days)) if left <= timedelta(days=days)]
    return min(reached) if reached else None
