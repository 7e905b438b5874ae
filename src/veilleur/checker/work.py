"""What travels between the checker's database side and its asyncio side: plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from veilleur.domain.incidents import MonitorState
from veilleur.domain.maintenance import Interval


@dataclass(frozen=True)
class CheckSpec:
    """How to check a monitor (a snapshot of its configuration when leased)."""

    url: str
    method: str
    headers: dict[str, str]
    expected_status: str
    keyword: str
    forbidden_keyword: str
    timeout_seconds: int
    follow_redirects: bool
    demo: bool = False  # a site made up by 'veilleur demo': never probed, see veilleur.demo.live
    # The plan has certificate monitoring: note the served certificate (probes/http.py).
    watch_certificate: bool = False


@dataclass(frozen=True)
class LeasedCheck:
    """One due check of one monitor, owned by this checker until the lease expires."""

    monitor_id: int
    due_at: datetime
    next_slot_at: datetime
    is_confirmation: bool
    interval_seconds: int
    confirmations: int
    spec: CheckSpec
    state: MonitorState
    streak_proof: list[dict[str, object]]
    last_checked_at: datetime | None
    maintenance: list[Interval] = field(default_factory=list)
    # Scheduled by the checker itself while the database was away: its state may be stale, so
    # its result is stored through checker/replay.py, which reads the state again.
    scheduled_offline: bool = False
    # The regions of the monitor's partial outage now open (checker/regions.py); empty: none.
    failing_regions: frozenset[str] = frozenset()

    @property
    def host(self) -> str:
        from urllib.parse import urlsplit

        return urlsplit(self.spec.url).hostname or ""


@dataclass(frozen=True)
class Observation:
    """What a probe saw. ``checked_at`` is when the check started, never when it was stored; it
    completed ``total_ms`` later (so the stored results say when each verdict was known), unless
    ``completed_at`` says otherwise."""

    checked_at: datetime
    ok: bool
    error_class: str = ""
    status_code: int | None = None
    message: str = ""
    dns_ms: int | None = None
    connect_ms: int | None = None
    tls_ms: int | None = None
    ttfb_ms: int | None = None
    total_ms: int | None = None
    completed_at: datetime | None = None
    certificate_sha256: str = ""  # the served certificate, when watched and the check got one

    @property
    def finished_at(self) -> datetime:
        """When the check completed: as stamped, else its start plus its measured duration."""
        if self.completed_at is not None:
            return max(self.completed_at, self.checked_at)
        return self.checked_at + timedelta(milliseconds=self.total_ms or 0)


@dataclass(frozen=True)
class Completed:
    check: LeasedCheck
    observation: Observation
    # Re-checks made while this check was still unanswered, in the order they started, when it
    # failed: recorded right after it as its confirmations (checker/hedging.py).
    confirmations: tuple[Observation, ...] = ()
