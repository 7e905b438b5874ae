"""Whether a checker can still see the Internet: the rules that tell its own outage from the sites'.

A checker that loses its network or its DNS sees every site fail at once. Storing those failures
would open an incident for every client, for an outage that is ours. So a failure that could be
the checker's own (a network-class error: DNS, refused or reset connection, timeout, no route) is
a *suspect*, and its verdict waits until the checker knows which side failed:

- **reached**: something answered over the network since the suspect check started — a canary,
  or any monitored site (an HTTP answer of any status, a TLS error: a server was reached). The
  checker's network works, so the failure is the site's: it is stored.
- **cut off**: nothing answered since, and
  - with canaries configured, every canary was probed since and failed with a network error; or
  - without canaries, at least ``min_hosts`` distinct host names failed to *resolve* since, and
    DNS failures are at least ``failing_share_percent`` of the distinct monitors checked since.
    Only DNS counts without canaries: many sites of one agency on one server that really goes
    down give refused connections or timeouts, never DNS failures for every host at once — so
    that real outage is never hidden; a resolver that stops answering fails every name at once.
- **undecided**: neither yet; the checker waits a little longer, then stores the failure anyway
  (a false alarm is better than a hidden outage).

A cut-off checker is *impaired*; it is healthy again after ``recover_rounds`` consecutive
recovery rounds that reached something (hysteresis: quick to protect, slow to trust again).

Pure: no Django, no I/O. The checker role applies it (veilleur/checker/selfhealth.py).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

# The error classes of probes/outcome.ErrorClass that a checker's own network trouble produces.
# "other" carries "no route to the host" and connection errors without a finer class.
NETWORK_ERROR_CLASSES = frozenset({"dns", "refused", "reset", "timeout", "other"})
DNS_ERROR_CLASS = "dns"

# Why a checker was judged cut off (stored on its outage, put in words where shown).
REASON_CANARIES = "canaries"  # every canary failed with the monitors
REASON_DNS = "dns"  # no canaries: every host name failed to resolve at once


@dataclass(frozen=True)
class Sighting:
    """One probe made by this checker, as far as its own health is concerned."""

    subject: str  # the URL probed: a monitor's, or a canary's
    host: str
    started_at: datetime
    error_class: str = ""  # empty when the check passed
    canary: bool = False

    @property
    def reached(self) -> bool:
        """Something answered over the network (whatever it said)."""
        return self.error_class not in NETWORK_ERROR_CLASSES


class Finding(enum.StrEnum):
    REACHED = "reached"
    CUT_OFF = "cut_off"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Rules:
    min_hosts: int = 3  # without canaries: distinct host names failing DNS at once
    failing_share_percent: int = 80  # … and at least this share of the monitors checked since
    recover_rounds: int = 2  # consecutive recovery rounds that reached something


def is_suspect(error_class: str, with_canaries: bool) -> bool:
    """Whether a failure of this class must wait for the checker's health before it is stored.
    Without canaries only DNS failures can ever be judged ours, so only they wait."""
    if with_canaries:
        return error_class in NETWORK_ERROR_CLASSES
    return error_class == DNS_ERROR_CLASS


def judge(sightings: Iterable[Sighting], since: datetime, canaries: Sequence[str], rules: Rules) -> Finding:
    """What the sightings of probes started at or after ``since`` say about this checker's network.

    One pass over the sightings; ``tests/domain/test_checker_health.py`` holds it to a literal
    reading of the rules above.
    """
    canaries_failed: set[str] = set()
    dns_hosts: set[str] = set()
    # Monitor URL → start and whether it failed on DNS, of its latest sighting. Two dicts rather
    # than one of tuples: no allocation per sighting, so a large window wakes no garbage collection.
    latest_at: dict[str, datetime] = {}
    latest_dns: dict[str, bool] = {}
    for sighting in sightings:
        if sighting.started_at < since:
            continue
        if sighting.reached:
            return Finding.REACHED
        if sighting.canary:
            canaries_failed.add(sighting.subject)
            continue
        is_dns = sighting.error_class == DNS_ERROR_CLASS
        if is_dns:
            dns_hosts.add(sighting.host)
        seen = latest_at.get(sighting.subject)
        if seen is None or sighting.started_at >= seen:
            latest_at[sighting.subject] = sighting.started_at
            latest_dns[sighting.subject] = is_dns
    if canaries:
        return Finding.CUT_OFF if canaries_failed.issuperset(canaries) else Finding.UNDECIDED
    dns_monitors = sum(latest_dns.values())
    if len(dns_hosts) >= rules.min_hosts and dns_monitors * 100 >= rules.failing_share_percent * len(
        latest_dns
    ):
        return Finding.CUT_OFF
    return Finding.UNDECIDED


class Phase(enum.StrEnum):
    HEALTHY = "healthy"
    IMPAIRED = "impaired"


@dataclass(frozen=True)
class Health:
    phase: Phase = Phase.HEALTHY
    since: datetime | None = None  # when the current impairment began
    good_rounds: int = 0  # consecutive recovery rounds that reached something

    @property
    def impaired(self) -> bool:
        return self.phase is Phase.IMPAIRED


def after(health: Health, finding: Finding, at: datetime, rules: Rules) -> Health:
    """The checker's health once ``finding`` (of a suspect, or of a recovery round) is known.

    Healthy: a cut-off finding makes it impaired since ``at``; anything else changes nothing.
    Impaired: a round that reached something counts towards recovery, any other round starts
    the count again; ``recover_rounds`` in a row make it healthy.
    """
    if not health.impaired:
        if finding is Finding.CUT_OFF:
            return Health(Phase.IMPAIRED, since=at)
        return health
    if finding is not Finding.REACHED:
        return replace(health, good_rounds=0)
    good = health.good_rounds + 1
    if good >= rules.recover_rounds:
        return Health()
    return replace(health, good_rounds=good)
