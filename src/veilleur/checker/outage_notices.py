"""A checker's own outage in the database: its ``CheckerOutage`` row, the no-data gaps it leaves,
and the notices to the agency (one when it begins, one when it ends).

The row and its outbox rows are written in one transaction, and each outbox row's idempotency
key names the outage: a checker that writes twice (a retry after the database came back) sends
nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from veilleur.accounts.models import Agency
from veilleur.checker.leases import _process_alive
from veilleur.domain.checker_health import REASON_CANARIES, REASON_DNS
from veilleur.monitoring.models import CheckerOutage, Monitor, MonitorRuntime, NoDataGap
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
from veilleur.notifications.wording import format_instant, format_span

IMPAIRED = OutboxMessage.Kind.CHECKER_IMPAIRED
RECOVERED = OutboxMessage.Kind.CHECKER_RECOVERED
CHECKER_KINDS = frozenset({IMPAIRED, RECOVERED})


def open_outage(owner: str, region: str, started_at: datetime, reason: str, monitor_ids: list[int]) -> int:
    """Record that ``owner`` is cut off since ``started_at`` and tell the agencies whose monitors
    it was checking; the outage's id."""
    with transaction.atomic():
        outage = CheckerOutage.objects.create(
            owner=owner,
            region=region,
            started_at=started_at,
            reason=reason[:300],
            monitors_affected=len(monitor_ids),
        )
        agency_ids = set(
            Monitor.objects.filter(pk__in=monitor_ids).values_list("site__client__agency_id", flat=True)
        )
        _enqueue(outage, IMPAIRED, agency_ids)
    return outage.pk


def close_outage(outage_id: int, ended_at: datetime, monitor_ids: list[int], stopped: bool = False) -> int:
    """End the outage: each monitor it affected that nobody checked since it began gets a no-data
    gap from its last check to now; the agencies told of the outage are told of its end. The
    number of gaps recorded (none when the outage was closed already)."""
    with transaction.atomic():
        outage = CheckerOutage.objects.select_for_update().filter(pk=outage_id, ended_at__isnull=True).first()
        if outage is None:
            return 0
        ended = outage.ended_at = max(ended_at, outage.started_at)
        outage.monitors_affected = max(outage.monitors_affected, len(monitor_ids))
        outage.stopped = stopped
        outage.save(update_fields=["ended_at", "monitors_affected", "stopped"])
        unchecked = MonitorRuntime.objects.filter(
            pk__in=monitor_ids, last_checked_at__lt=outage.started_at
        ).values_list("monitor_id", "last_checked_at")
        gaps = [
            NoDataGap(monitor_id=monitor_id, started_at=last, ended_at=ended)
            for monitor_id, last in unchecked
            if last is not None and last < ended
        ]
        NoDataGap.objects.bulk_create(gaps)
        told = set(
            OutboxMessage.objects.filter(
                kind=IMPAIRED, idempotency_key__startswith=f"{IMPAIRED}:{outage.pk}:"
            ).values_list("agency_id", flat=True)
        )
        _enqueue(outage, RECOVERED, told)
    return len(gaps)


def close_dead_local_outages(hostname: str, now: datetime) -> int:
    """End the open outages of checkers that ran on this host and are gone (killed while cut
    off): nobody else would. Their monitors are another checker's by now."""
    closed = 0
    for outage in CheckerOutage.objects.filter(ended_at__isnull=True, owner__startswith=f"{hostname}:"):
        if not _process_alive(outage.owner.rpartition(":")[2]):
            close_outage(outage.pk, now, [], stopped=True)
            closed += 1
    return closed


def reason_text(code: str) -> str:
    if code == REASON_CANARIES:
        return _("every canary and every site checked failed at once with network errors")
    if code == REASON_DNS:
        return _("every host name failed to resolve at once")
    return code


def open_outages() -> list[CheckerOutage]:
    """The checkers cut off now, as the dashboard, ``veilleur doctor`` and /metrics show them."""
    return list(CheckerOutage.objects.filter(ended_at__isnull=True).order_by("started_at"))


def _enqueue(outage: CheckerOutage, kind: str, agency_ids: set[int]) -> None:
    rows = []
    for agency in Agency.objects.filter(pk__in=agency_ids):
        rows += on_call_mails(agency, kind, f"{kind}:{outage.pk}")
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)


def outage_of(row: OutboxMessage) -> CheckerOutage:
    try:
        outage_id = int(row.idempotency_key.split(":", 2)[1])
    except (IndexError, ValueError):
        raise CannotRender("this notice names no checker outage") from None
    outage = CheckerOutage.objects.filter(pk=outage_id).first()
    if outage is None:
        raise CannotRender("the checker outage of this notice no longer exists")
    return outage


def render_checker_notice(row: OutboxMessage) -> RenderedMessage:
    outage = outage_of(row)
    agency = row.agency
    with translation.override(row.language), timezone.override(ZoneInfo(agency.time_zone)):
        names = {"agency": agency.name, "checker": outage.owner}
        facts = [
            (_("Checker"), outage.owner + (f" ({outage.region})" if outage.region else "")),
            (_("Cut off since"), format_instant(outage.started_at)),
        ]
        if row.kind == RECOVERED and outage.ended_at is not None and outage.stopped:
            subject = _("[%(agency)s] The checker %(checker)s stopped while cut off") % names
            heading = _("The cut-off checker has stopped")
            intro = _(
                "The checker stopped before it could reach the Internet again. Its monitors are "
                "left to the other checkers, or to the next one started. The time nobody checked "
                "the sites is shown as a gap without data in the figures, never as downtime."
            )
            facts += [
                (_("Stopped at"), format_instant(outage.ended_at)),
                (_("Duration"), format_span(outage.started_at, outage.ended_at)),
            ]
        elif row.kind == RECOVERED and outage.ended_at is not None:
            subject = _("[%(agency)s] The checker %(checker)s reaches the Internet again") % names
            heading = _("Checks are back to normal")
            intro = _(
                "The checker can reach the Internet again and records its checks as before. The "
                "time nobody checked the sites is shown as a gap without data in the figures, never "
                "as downtime."
            )
            facts += [
                (_("Back since"), format_instant(outage.ended_at)),
                (_("Duration"), format_span(outage.started_at, outage.ended_at)),
            ]
        else:
            subject = _("[%(agency)s] The checker %(checker)s cannot reach the Internet") % names
            heading = _("Our checker is cut off: your clients' sites are not affected")
            intro = _(
                "One of Veilleur's checkers lost its network or its DNS: every site failed at once "
                "from it. This is our outage, not your clients': no incident was opened. Its "
                "checks are left to the other checkers, if there are any; until it recovers, sites "
                "nobody checks show a gap without data. Look at the checker's network and DNS."
            )
            facts.append((_("Why"), reason_text(outage.reason)))
        facts.append((_("Monitors affected"), str(outage.monitors_affected)))
        body = Body(
            heading=heading,
            intro=intro,
            facts=facts,
            action=Action(
                label=_("Open the overview"),
                url=public_base_url(agency) + reverse("home"),
                note=_("Sign-in required."),
            ),
            footer=_("Sent by Veilleur, the site monitoring of %(agency)s.") % names,
        )
        html = render_html_body(agency, body, subject, row.language)
        return RenderedMessage(subject=subject, text=plain_text(body), html=html)
