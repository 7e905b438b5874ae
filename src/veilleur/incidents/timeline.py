"""An incident's story in time order: the checks that proved it, alerts, acknowledgement, recovery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from veilleur.incidents.models import Incident


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # check_failed, check_ok, confirmed, notification, acknowledged, recovered, resolved, sla
    text: str


def build_timeline(
    incident: Incident, notifications: list[TimelineEntry] | None = None
) -> list[TimelineEntry]:
    slow = incident.kind == Incident.Kind.DEGRADED
    if slow:
        entries = [*_timed_checks(incident.proof), *_timed_checks(incident.recovery_proof)]
        confirmed = _("Slowdown confirmed: incident opened")
        recovered = _("First check at normal speed")
        resolved = _("Normal speed confirmed: incident resolved")
    elif incident.kind == Incident.Kind.PARTIAL:
        entries = [*_checks(incident.proof), *_checks(incident.recovery_proof)]
        confirmed = _("Partial outage confirmed (failing from %(regions)s): incident opened") % {
            "regions": incident.regions
        }
        recovered = _("First check of the round that saw every region succeed")
        resolved = _("Every region succeeds again: incident resolved")
    else:
        entries = [*_checks(incident.proof), *_checks(incident.recovery_proof)]
        confirmed, recovered = (
            _("Outage confirmed: incident opened"),
            _("First successful check: service back"),
        )
        resolved = _("Recovery confirmed: incident resolved")
    entries.extend(notifications or [])
    entries.append(TimelineEntry(incident.confirmed_at, "confirmed", confirmed))
    if incident.acknowledged_at:
        who = incident.acknowledged_by_label or _("someone")
        entries.append(
            TimelineEntry(
                incident.acknowledged_at,
                "acknowledged",
                _("Acknowledged by %(who)s (%(channel)s)")
                % {"who": who, "channel": incident.get_ack_channel_display()},
            )
        )
    if incident.recovered_at:
        entries.append(TimelineEntry(incident.recovered_at, "recovered", recovered))
    if incident.resolved_at:
        entries.append(TimelineEntry(incident.resolved_at, "resolved", resolved))
    # Stable order for equal instants: the order the events happen in.
    rank = {
        "check_failed": 0,
        "check_ok": 0,
        "confirmed": 1,
        "notification": 2,
        "acknowledged": 3,
        "recovered": 4,
        "resolved": 5,
    }
    return sorted(entries, key=lambda entry: (entry.at, rank.get(entry.kind, 6)))


def _checks(proof: list[dict[str, Any]]) -> list[TimelineEntry]:
    entries = []
    for check in proof:
        at = parse_datetime(str(check.get("at", "")))
        if at is None:
            continue
        if check.get("ok"):
            text = _("Check succeeded")
        else:
            status = check.get("status_code")
            detail = check.get("message") or check.get("error_class") or ""
            text = _("Check failed: %(detail)s") % {
                "detail": f"HTTP {status} — {detail}" if status else detail
            }
        if check.get("round"):  # checked from a named region (checker/regions.py)
            text = _("%(check)s (region %(region)s)") % {"check": text, "region": check.get("region") or "-"}
        entries.append(TimelineEntry(at, "check_ok" if check.get("ok") else "check_failed", text))
    return entries


def _timed_checks(proof: list[dict[str, Any]]) -> list[TimelineEntry]:
    """A slowdown's checks all succeeded: what matters is how long each took."""
    entries = []
    for check in proof:
        at = parse_datetime(str(check.get("at", "")))
        if at is None:
            continue
        text = _("Check succeeded in %(ms)s ms") % {"ms": check.get("total_ms")}
        entries.append(TimelineEntry(at, "check_ok", text))
    return entries


def notification_entries(incident: Incident) -> list[TimelineEntry]:
    """Each alert or notice delivered, at the time the mail server accepted it."""
    from veilleur.notifications.delivery_log import delivery_log

    return [
        TimelineEntry(
            entry.sent_at,
            "notification",
            _("%(kind)s sent to %(recipient)s (%(channel)s)")
            % {"kind": entry.kind_label, "recipient": entry.recipient, "channel": entry.channel},
        )
        for entry in delivery_log(incident)
        if entry.sent_at is not None
    ]
