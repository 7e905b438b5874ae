"""Archiving the monthly reports and sending them to the clients' report contacts.

The worker's job looks, for every client whose plan includes the monthly report, at the client's
local time: once it is past ``VEILLEUR_REPORT_DAY`` at ``VEILLEUR_REPORT_HOUR`` (the client's
time zone), the report of the month just ended is archived and one e-mail per contact who
receives reports is queued in the outbox. The rows and the report's ``sent_at`` are written in
one transaction, behind a compare-and-set on ``sent_at``: two workers never send a month twice.
A month already sent is never sent again by the worker; ``veilleur report resend`` does it on
request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from veilleur.clients.models import Client
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.models import OutboxMessage
from veilleur.outage import is_database_unavailable
from veilleur.reports.data import monthly_report
from veilleur.reports.models import Report
from veilleur.reports.pdf import PdfRenderer, pdf_from_html
from veilleur.reports.render import render_html

log = logging.getLogger("veilleur.reports")

# The worker looks for reports to send this often: they leave within minutes of their hour.
REPORT_PERIOD_SECONDS = 300
# One run stops starting new reports after this long (a PDF takes a moment); the rest wait for
# the next run, so the worker's other jobs keep their turn.
RUN_BUDGET_SECONDS = 60.0

Kind = OutboxMessage.Kind


@dataclass
class SendingReport:
    sent: int = 0  # reports queued
    messages: int = 0  # outbox rows written
    failed: int = 0
    # The run stopped on its time budget with reports still due: the worker runs it again as soon
    # as its other jobs have had their turn, not a whole period later.
    unfinished: bool = False

    def __bool__(self) -> bool:
        return bool(self.sent or self.failed)

    def __str__(self) -> str:
        return f"reports sent {self.sent} ({self.messages} messages), failed {self.failed}"


def archive_monthly_report(
    client: Client, year: int, month: int, now: datetime, to_pdf: Callable[[str], bytes] = pdf_from_html
) -> Report:
    """Build the client's report of ``year``-``month`` and store it: the archive row is created,
    or its content replaced (never a second row); when it was sent stays as it was. ``to_pdf``
    renders the HTML (in this process by default)."""
    report = monthly_report(client, year, month, now)
    html = render_html(report, client.language)
    pdf = to_pdf(html)
    row, _created = Report.objects.update_or_create(
        client=client,
        kind=Report.Kind.MONTHLY,
        period_start=date(year, month, 1),
        defaults={
            "agency_id": client.agency_id,
            "language": client.language,
            "uptime_percent": report.combined.uptime_percent,
            "html": html,
            "pdf": pdf,
            "generated_at": now,
        },
    )
    return row


def month_due(client: Client, now: datetime) -> date | None:
    """The first day of the month whose report is due for ``client`` at ``now`` (the month just
    ended, once the client's local time is past the configured day and hour), else None."""
    local = now.astimezone(ZoneInfo(client.time_zone))
    day, hour = settings.VEILLEUR_REPORT_DAY, settings.VEILLEUR_REPORT_HOUR
    if (local.day, local.hour) < (day, hour):
        return None
    if local.month == 1:
        return date(local.year - 1, 12, 1)
    return date(local.year, local.month - 1, 1)


def send_monthly_reports(now: datetime) -> SendingReport | None:
    """The worker's job: archive and queue every monthly report that is due and not sent yet."""
    # The PDFs of one run are drawn by one child process, which ends with the run (reports/pdf.py).
    with PdfRenderer() as renderer:
        return _send_due_reports(now, renderer)


def _send_due_reports(now: datetime, renderer: PdfRenderer) -> SendingReport | None:
    outcome = SendingReport()
    started = time.monotonic()
    clients = Client.objects.filter(plan__monthly_report=True).select_related("agency", "plan")
    for client in clients.order_by("agency_id", "key"):
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            outcome.unfinished = True
            break
        first = month_due(client, now)
        if first is None or client.created_at.astimezone(ZoneInfo(client.time_zone)).date() >= _next(first):
            continue  # not due yet, or the client did not exist during that month
        if Report.objects.filter(
            client=client, kind=Report.Kind.MONTHLY, period_start=first, sent_at__isnull=False
        ).exists():
            continue
        try:
            report = archive_monthly_report(client, first.year, first.month, now, renderer.render)
            written = _send_once(report, client, now)
        except Exception as exc:  # one client's failure must not keep the others' reports back
            if is_database_unavailable(exc):
                raise  # nobody's report can be made: the worker waits for the database
            log.exception("monthly report %s of client %s failed", f"{first:%Y-%m}", client.key)
            outcome.failed += 1
            continue
        if written is not None:
            outcome.sent += 1
            outcome.messages += written
    return outcome or None


def _send_once(report: Report, client: Client, now: datetime) -> int | None:
    """Mark the report sent and queue its messages, together; None when another worker did."""
    with transaction.atomic():
        won = Report.objects.filter(pk=report.pk, sent_at__isnull=True).update(sent_at=now)
        if not won:
            return None
        return enqueue_report(report, client)


def enqueue_report(report: Report, client: Client, suffix: str = "") -> int:
    """One pending e-mail per contact of ``client`` who receives reports, in the client's
    language; rows already queued (same key) are left alone. ``suffix`` makes a resend's keys
    new. The number of rows written."""
    channel = OutboxMessage.Channel.EMAIL
    addresses = (
        client.contacts.filter(receives_reports=True).order_by("email").values_list("email", flat=True)
    )
    if client.demo:
        addresses = addresses.none()  # the demo's contacts are made up: the report is archived, not mailed
    rows = [
        OutboxMessage(
            agency_id=client.agency_id,
            report=report,
            kind=Kind.MONTHLY_REPORT,
            channel=channel,
            audience=OutboxMessage.Audience.CLIENT,
            recipient=address,
            language=client.language,
            idempotency_key=f"{Kind.MONTHLY_REPORT}:{report.pk}:{channel}:{address}{suffix}",
            message_id=new_message_id(client.agency),
        )
        for address in dict.fromkeys(addresses)
    ]
    before = OutboxMessage.objects.filter(report=report).count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return OutboxMessage.objects.filter(report=report).count() - before


def resend_report(report: Report, now: datetime) -> int:
    """Queue the archived report again for the client's report contacts (``veilleur report
    resend``): new rows, whose keys carry the time of the resend. The number of rows written."""
    with transaction.atomic():
        return enqueue_report(report, report.client, suffix=f":resend:{now.isoformat()}")


def _next(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
