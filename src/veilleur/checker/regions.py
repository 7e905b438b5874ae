"""Checkers in several regions: which regions are alive, and who makes a confirming check.

Each checker process writes a heartbeat row (owner, region, last seen) when it leases and when
it renews its leases, every few seconds. A region is *alive* while one of its checkers was seen
within :data:`ALIVE_WITHIN`. The recorder reads the live regions once per batch and steps
``domain.quorum`` when another region than the one that checked is alive (or a round across
regions is going on); alone, the monitor keeps the local re-checks of ``domain.incidents``.

The confirming check a round asks for is written on the monitor's runtime row: only one region
(``confirm_only_region``), or any region but some (``confirm_not_regions``, ",a,b,"). The lease
query skips it for other checkers — until :data:`HANDOVER_AFTER` past its due time, when any
checker takes it: a region whose checkers died a moment ago may still look alive, and a
confirmation must never wait on it for long.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db.models import Q

from veilleur.checker.work import CheckSpec, LeasedCheck, Observation
from veilleur.domain.incidents import Blip, Event, IncidentOpened, IncidentRecovered, MonitorState, Result
from veilleur.domain.quorum import (
    Ask,
    PartialChanged,
    PartialEnded,
    PartialOpened,
    RegionCheck,
    step_regions,
    validate_region,
)

__all__ = ["validate_region"]
from veilleur.monitoring.models import CheckerHeartbeat

ALIVE_WITHIN = timedelta(seconds=10)
HANDOVER_AFTER = timedelta(seconds=10)
# Heartbeats of checkers gone for good are deleted after this: until then they also say which
# regions ever checked here (monitoring/regional.py shows per-region figures only when several did).
FORGET_AFTER = timedelta(days=400)
BEAT_EVERY = timedelta(seconds=1)  # at most one heartbeat write a second per checker
# Sent with every check made by a checker that has a region, so a site (or its firewall, or a
# test) can tell the regions apart.
REGION_HEADER = "X-Veilleur-Region"

_last_beat: dict[str, datetime] = {}


def beat(owner: str, region: str, now: datetime) -> None:
    """Note that this checker is alive (at most once per :data:`BEAT_EVERY`)."""
    last = _last_beat.get(owner)
    if last is not None and timedelta(0) <= now - last < BEAT_EVERY:
        return
    CheckerHeartbeat.objects.update_or_create(owner=owner, defaults={"region": region, "last_seen": now})
    if last is None:
        CheckerHeartbeat.objects.filter(last_seen__lt=now - FORGET_AFTER).delete()
    _last_beat[owner] = now


def beat_once(owner: str, region: str, now: datetime) -> None:
    """The first heartbeat of a checker, when it first leases (its renewals write the next ones)."""
    if owner not in _last_beat:
        beat(owner, region, now)


def alive_regions(now: datetime) -> frozenset[str]:
    return frozenset(
        CheckerHeartbeat.objects.filter(last_seen__gte=now - ALIVE_WITHIN)
        .values_list("region", flat=True)
        .distinct()
    )


def several_regions(alive: Collection[str], region: str) -> bool:
    """Whether another region than ``region`` is alive: confirmations go across regions."""
    return any(other != region for other in alive)


# The default region (no name) in a column of regions: a name no region can have.
DEFAULT_TOKEN = "-"


def _token(region: str) -> str:
    return region or DEFAULT_TOKEN


def encode(regions: Iterable[str]) -> str:
    """ ",a,b,": a set of regions in one column, searchable with ``contains=",a,"``."""
    names = sorted({_token(region) for region in regions})
    return f",{','.join(names)}," if names else ""


def decode(text: str) -> frozenset[str]:
    if not text:
        return frozenset()
    return frozenset("" if name == DEFAULT_TOKEN else name for name in text.strip(",").split(","))


def ask_columns(ask: Ask | None) -> tuple[str, str]:
    """(confirm_only_region, confirm_not_regions) for the runtime row."""
    if ask is None:
        return "", ""
    only = _token(ask.only_region) if ask.only_region is not None else ""
    return only, encode(ask.not_regions)


def leasable_by(region: str | None, now: datetime) -> Q:
    """The runtimes a checker of ``region`` may lease (None: any, the checker has no say)."""
    if region is None:
        return Q()
    token = _token(region)
    free = Q(confirm_only_region="", confirm_not_regions="")
    allowed = Q(confirm_only_region__in=["", token]) & ~Q(confirm_not_regions__contains=f",{token},")
    return free | allowed | Q(confirm_at__isnull=True) | Q(due_at__lt=now - HANDOVER_AFTER)


class RegionProber:
    """A prober whose requests say which region they come from (:data:`REGION_HEADER`)."""

    def __init__(self, inner: object, region: str) -> None:
        self.inner = inner
        self.region = region

    async def __call__(self, spec: CheckSpec) -> Observation:
        headers = {**spec.headers, REGION_HEADER: self.region}
        return await self.inner(replace(spec, headers=headers))  # type: ignore[operator]

    async def aclose(self) -> None:
        """Closes the inner prober's shared HTTP session, if it has one."""
        close = getattr(self.inner, "aclose", None)
        if close is not None:
            await close()


@dataclass(frozen=True)
class RegionalPlan:
    """What the recorder stores for one check stepped across regions."""

    state: MonitorState
    event: Event | None  # a DOWN incident's event (or a blip), as domain.incidents names them
    partial: object  # a partial outage's event (domain.quorum)
    entry: dict[str, object]  # the check, as kept in the round and in the incidents' proof
    proof: list[dict[str, object]]  # the round going on (the runtime's streak_proof)
    asked: tuple[str, str]  # confirm_only_region, confirm_not_regions
    failing: str  # partial_regions


def regional_step(
    check: LeasedCheck, result: Result, region: str, alive: frozenset[str], entry: dict[str, object]
) -> RegionalPlan | None:
    """The step across regions for this check, or None when the local rules apply: no other
    region alive and no round or partial outage going on, a plan without confirmation, or a
    local streak begun before another region came up (it ends locally)."""
    round_ = round_of(check.streak_proof)
    local = check.confirmations == 0 or not several_regions(alive, region) or check.state.wants_confirmation
    if not round_ and not check.failing_regions and local:
        return None
    entry = {
        **entry,
        "region": region,
        "round": True,
        "in_maintenance": result.in_maintenance,
        "known_at": result.known_at.isoformat(),
    }
    stepped = step_regions(
        check.state,
        check.failing_regions,
        round_,
        RegionCheck(region, result),
        alive,
        check.confirmations,
    )
    down_events = [e for e in stepped.events if isinstance(e, IncidentOpened | IncidentRecovered | Blip)]
    partial_events = [
        e for e in stepped.events if isinstance(e, PartialOpened | PartialChanged | PartialEnded)
    ]
    proof = [*check.streak_proof, entry] if stepped.round else []
    return RegionalPlan(
        state=stepped.state,
        event=down_events[0] if down_events else None,
        partial=partial_events[0] if partial_events else None,
        entry=entry,
        proof=proof,
        asked=ask_columns(stepped.ask),
        failing=encode(stepped.failing),
    )


def round_of(proof: list[dict[str, object]]) -> tuple[RegionCheck, ...]:
    """The round going on, from the runtime's streak proof (whose entries say their region)."""
    if not proof or not proof[-1].get("round"):
        return ()
    return tuple(_check_of(entry) for entry in proof)


def _check_of(entry: dict[str, object]) -> RegionCheck:
    at = datetime.fromisoformat(str(entry["at"]))
    known = entry.get("known_at")
    status = entry.get("status_code")
    return RegionCheck(
        str(entry.get("region", "")),
        Result(
            at=at,
            ok=bool(entry["ok"]),
            error_class=str(entry.get("error_class") or ""),
            status_code=int(status) if isinstance(status, int) else None,
            message=str(entry.get("message") or ""),
            in_maintenance=bool(entry.get("in_maintenance")),
            completed_at=datetime.fromisoformat(known) if isinstance(known, str) else None,
        ),
    )
