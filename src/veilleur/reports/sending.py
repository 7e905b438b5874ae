"""Report mechanics: generating drafts, the agency's review, publishing, and sending to the
clients' report contacts. Monthly reports and quarterly reviews alike.

The worker's job looks, for every client whose plan includes a kind of report, at the client's
local time: once it is past the client's report day (``VEILLEUR_REPORT_DAY`` unless the client
has its own) at ``VEILLEUR_REPORT_HOUR``, the report of the period just ended is generated. Then
the client's ``report_send_after_days`` decides:

- 0: the report is published and queued for the report contacts at once;
- N: it is a draft, the agency's managers are told it is ready to review, and the worker
  publishes it N days later unless the agency published it or kept it back meanwhile;
- empty: it is a draft and waits for the agency to publish it.

Each step is a compare-and-set on the report row, in the same transaction as its outbox rows
(``scheduled_at`` for the review notice, ``state`` for publishing): any number of workers, or a
worker and a person clicking "publish", send each notice and each report once.

A published report is never generated again: it is what the client received. ``veilleur report
resend`` and the dashboard's "send again" queue it again on request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from veilleur.accounts.models import StaffUser
from veilleur.clients.models import Client
from veilleur.notifications.addresses import new_message_id
from veilleur.notifications.models import OutboxMessage
from veilleur.outage import is_database_unavailable
from veilleur.reports.builders import BUILDERS, PLAN_FLAGS, build_report, builder_for
from veilleur.reports.editorial import NO_EDITORIAL_TEXT, EditorialText
from veilleur.reports.models import Report
from veilleur.reports.pdf import PdfRenderer, pdf_from_html
from veilleur.reports.periods import period_after, period_due

log = logging.getLogger("veilleur.reports")

# The worker looks for reports to generate and drafts to send this often: they leave within
# minutes of their hour.
REPORT_PERIOD_SECONDS = 300
# One run stops starting new reports after this long (a PDF takes a moment); the rest wait for
# the next run, so the worker's other jobs keep their turn.
RUN_BUDGET_SECONDS = 60.0

Kind = OutboxMessage.Kind
# The e-mail that carries each kind of report to the client's contacts.
MAIL_KINDS: dict[str, str] = {
    Report.Kind.MONTHLY: Kind.MONTHLY_REPORT,
    Report.Kind.QUARTERLY: Kind.QUARTERLY_REVIEW,
}
PdfFunction = Callable[[str], bytes]


class ReportPublished(Exception):
    """The report was published: its content is what the client received and stays as it is."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This report is published: the client received it as it is, so it is not generated "
                "again. Send it again if needed."
            )
        )


@dataclass
class SendingReport:
    sent: int = 0  # reports published and queued
    messages: int = 0  # outbox rows written for the clients
    drafts: int = 0  # drafts the agency was told to review
    failed: int = 0
    # The run stopped on its time budget with reports still due: the worker runs it again as soon
    # as its other jobs have had their turn, not a whole period later.
    unfinished: bool = False

    def __bool__(self) -> bool:
        return bool(self.sent or self.drafts or self.failed)

    def __str__(self) -> str:
        return (
            f"reports sent {self.sent} ({self.messages} messages), drafts to review {self.drafts}, "
            f"failed {self.failed}"
        )


# Generating ------------------------------------------------------------------------------------


def generate_report(
    client: Client,
    kind: str,
    first: date,
    now: datetime,
    to_pdf: PdfFunction = pdf_from_html,
    *,
    draft: bool = True,
) -> Report:
    """Build the client's report of ``kind`` for the period starting ``first`` and store it as a
    draft: the row is created, or its content replaced (never a second row). The agency's text
    stays and is rendered in. ``draft=False`` renders the document as it will be published.
    Raises ReportPublished for a published report, ReportNotAvailable for a kind this version
    cannot build."""
    builder_for(kind)  # before any work: a kind this version cannot build is said at once
    existing = Report.objects.filter(client=client, kind=kind, period_start=first).first()
    if existing is not None and not existing.is_draft:
        raise ReportPublished
    editorial = existing.editorial if existing is not None else NO_EDITORIAL_TEXT
    built = build_report(client, kind, first, now, editorial, draft=draft)
    content = {
        "language": client.reports_language,
        "uptime_percent": built.uptime_percent,
        "html": built.html,
        "pdf": to_pdf(built.html),
        "generated_at": now,
    }
    if existing is None:
        try:
            with transaction.atomic():
                return Report.objects.create(
                    agency_id=client.agency_id, client=client, kind=kind, period_start=first, **content
                )
        except IntegrityError:  # another process made it meanwhile: refresh that one
            existing = Report.objects.get(client=client, kind=kind, period_start=first)
    if not Report.objects.filter(pk=existing.pk, state=Report.State.DRAFT).update(**content):
        raise ReportPublished
    existing.refresh_from_db()
    return existing


def save_editorial(
    report: Report, text: EditorialText, now: datetime, to_pdf: PdfFunction = pdf_from_html
) -> Report:
    """Store the agency's text on a draft and render the draft again with it."""
    fields = {
        "intro": text.intro,
        "closing_note": text.closing_note,
        "next_steps": text.next_steps,
        "hidden_sections": sorted(text.hidden_sections),
    }
    if not Report.objects.filter(pk=report.pk, state=Report.State.DRAFT).update(**fields):
        raise ReportPublished
    return generate_report(report.client, report.kind, report.period_start, now, to_pdf)


def keep_for_review(report: Report) -> bool:
    """The agency intervenes: the draft is not sent automatically; it waits to be published."""
    return bool(
        Report.objects.filter(pk=report.pk, state=Report.State.DRAFT, send_after__isnull=False).update(
            send_after=None
        )
    )


# Publishing ------------------------------------------------------------------------------------


def publish_report(
    report: Report, now: datetime, to_pdf: PdfFunction = pdf_from_html, *, render: bool = True
) -> int | None:
    """Publish a draft: render the final document with the agency's text (unless ``render`` is
    False: the stored content is already final), mark it published and queue it for the
    client's report contacts, together. The number of mails queued; None when it was published
    already (by another worker, or another click)."""
    content: dict[str, object] = {}
    if render:
        # The text as stored now, not as the caller's copy of the row last saw it.
        current = Report.objects.select_related("client__agency").defer("html", "pdf").get(pk=report.pk)
        if not current.is_draft:
            return None
        client = current.client
        built = build_report(client, current.kind, current.period_start, now, current.editorial, draft=False)
        content = {
            "language": client.reports_language,
            "uptime_percent": built.uptime_percent,
            "html": built.html,
            "pdf": to_pdf(built.html),
            "generated_at": now,
        }
    with transaction.atomic():
        won = Report.objects.filter(pk=report.pk, state=Report.State.DRAFT).update(
            state=Report.State.PUBLISHED, published_at=now, sent_at=now, send_after=None, **content
        )
        if not won:
            return None
        published = Report.objects.select_related("client__agency").get(pk=report.pk)
        return enqueue_report(published, published.client)


def enqueue_report(report: Report, client: Client, suffix: str = "") -> int:
    """One pending e-mail per contact of ``client`` who receives reports, in the report's
    language; rows already queued (same key) are left alone. ``suffix`` makes a resend's keys
    new. The number of rows written."""
    channel = OutboxMessage.Channel.EMAIL
    kind = MAIL_KINDS[report.kind]
    addresses = (
        client.contacts.filter(receives_reports=True).order_by("email").values_list("email", flat=True)
    )
    if client.demo:
        addresses = addresses.none()  # the demo's contacts are made up: the report is archived, not mailed
    rows = [
        OutboxMessage(
            agency_id=client.agency_id,
            report=report,
            kind=kind,
            channel=channel,
            audience=OutboxMessage.Audience.CLIENT,
            recipient=address,
            language=report.language,
            idempotency_key=f"{kind}:{report.pk}:{channel}:{address}{suffix}",
            message_id=new_message_id(client.agency),
        )
        for address in dict.fromkeys(addresses)
    ]
    mails = OutboxMessage.objects.filter(report=report, kind=kind)
    before = mails.count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return mails.count() - before


def resend_report(report: Report, now: datetime) -> int:
    """Queue the published report again for the client's report contacts (``veilleur report
    resend``): new rows, whose keys carry the time of the resend. The number of rows written."""
    if report.is_draft:
        return 0  # a draft reaches the client only by being published
    with transaction.atomic():
        return enqueue_report(report, report.client, suffix=f":resend:{now.isoformat()}")


def enqueue_review_notice(report: Report) -> int:
    """Tell the agency's managers (owners and admins) that a draft is ready to review, once per
    report and address. The number of rows written."""
    agency = report.client.agency
    managers = StaffUser.objects.filter(
        agency=agency, is_active=True, role__in=(StaffUser.Role.OWNER, StaffUser.Role.ADMIN)
    ).order_by("email")
    channel = OutboxMessage.Channel.EMAIL
    rows = [
        OutboxMessage(
            agency=agency,
            report=report,
            kind=Kind.REPORT_READY,
            channel=channel,
            audience=OutboxMessage.Audience.AGENCY,
            recipient=address,
            language=agency.language,
            idempotency_key=f"{Kind.REPORT_READY}:{report.pk}:{channel}:{address}",
            message_id=new_message_id(agency),
        )
        for address in dict.fromkeys(managers.values_list("email", flat=True))
    ]
    notices = OutboxMessage.objects.filter(report=report, kind=Kind.REPORT_READY)
    before = notices.count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    return notices.count() - before


# The worker's job ------------------------------------------------------------------------------


def report_due(client: Client, kind: str, now: datetime) -> date | None:
    """The first day of the period whose report of ``kind`` is due for ``client`` at ``now``."""
    day = client.report_day or settings.VEILLEUR_REPORT_DAY
    return period_due(kind, now, ZoneInfo(client.time_zone), day, settings.VEILLEUR_REPORT_HOUR)


def send_scheduled_reports(now: datetime) -> SendingReport | None:
    """The worker's job: generate the reports that are due, then publish the drafts whose
    automatic sending time has come."""
    # The PDFs of one run are drawn by one child process, which ends with the run (reports/pdf.py).
    with PdfRenderer() as renderer:
        outcome = SendingReport()
        started = time.monotonic()
        _generate_due_reports(now, renderer.render, outcome, started)
        if not outcome.unfinished:
            _publish_due_drafts(now, renderer.render, outcome, started)
        return outcome or None


def _generate_due_reports(now: datetime, to_pdf: PdfFunction, outcome: SendingReport, started: float) -> None:
    for kind in BUILDERS:  # a kind this version cannot build is never scheduled
        plan_has_it = Q(**{f"plan__{PLAN_FLAGS[kind]}": True})
        clients = Client.objects.filter(plan_has_it).select_related("agency", "plan")
        for client in clients.order_by("agency_id", "key"):
            if time.monotonic() - started > RUN_BUDGET_SECONDS:
                outcome.unfinished = True
                return
            first = report_due(client, kind, now)
            created = client.created_at.astimezone(ZoneInfo(client.time_zone)).date()
            if first is None or created >= period_after(kind, first):
                continue  # not due yet, or the client did not exist during that period
            taken_up = Q(scheduled_at__isnull=False) | Q(state=Report.State.PUBLISHED)
            if Report.objects.filter(taken_up, client=client, kind=kind, period_start=first).exists():
                continue
            try:
                _schedule(client, kind, first, now, to_pdf, outcome)
            except Exception as exc:  # one client's failure must not keep the others' reports back
                if is_database_unavailable(exc):
                    raise  # nobody's report can be made: the worker waits for the database
                log.exception("%s report %s of client %s failed", kind, f"{first:%Y-%m}", client.key)
                outcome.failed += 1


def _schedule(
    client: Client, kind: str, first: date, now: datetime, to_pdf: PdfFunction, outcome: SendingReport
) -> None:
    days = client.report_send_after_days
    if days == 0:  # sent at once: the document is rendered final, once
        report = generate_report(client, kind, first, now, to_pdf, draft=False)
        # Due now: should this process stop before publishing, the next run publishes it.
        Report.objects.filter(pk=report.pk, scheduled_at__isnull=True).update(
            scheduled_at=now, send_after=now
        )
        written = publish_report(report, now, to_pdf, render=False)
        if written is not None:
            outcome.sent += 1
            outcome.messages += written
        return
    report = generate_report(client, kind, first, now, to_pdf)
    send_after = None if days is None else now + timedelta(days=days)
    with transaction.atomic():
        won = Report.objects.filter(pk=report.pk, state=Report.State.DRAFT, scheduled_at__isnull=True).update(
            scheduled_at=now, send_after=send_after
        )
        if won:
            enqueue_review_notice(report)
            outcome.drafts += 1


def _publish_due_drafts(now: datetime, to_pdf: PdfFunction, outcome: SendingReport, started: float) -> None:
    due = Report.objects.filter(state=Report.State.DRAFT, send_after__lte=now, kind__in=list(BUILDERS))
    for report in due.select_related("client__agency", "client__plan").order_by("send_after", "pk"):
        if time.monotonic() - started > RUN_BUDGET_SECONDS:
            outcome.unfinished = True
            return
        try:
            written = publish_report(report, now, to_pdf)
        except Exception as exc:
            if is_database_unavailable(exc):
                raise
            log.exception("publishing report %s failed", report.pk)
            outcome.failed += 1
            continue
        if written is not None:
            outcome.sent += 1
            outcome.messages += written
