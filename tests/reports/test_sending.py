"""The worker's report job for a client whose reports are sent at once (the default): published
once, queued once per report contact at the configured local day and hour, delivered with its
PDF; ``veilleur report resend`` on request. Drafts and their review: test_mechanics.py."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from veilleur import cli
from veilleur.clients.models import Client, Contact
from veilleur.notifications.delivery import Deliverer
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.smtp_url import parse_smtp_url
from veilleur.plans.models import Plan
from veilleur.reports.models import Report
from veilleur.reports.sending import generate_report, send_scheduled_reports

from .conftest import NOW

READER = "marie@boulangerie-martin.example"
SILENT = "technique@boulangerie-martin.example"
# 1 November 2026 in Paris is UTC+1: 08:00 there is 07:00 UTC.
BEFORE = datetime(2026, 11, 1, 6, 59, tzinfo=UTC)
AT = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 1, 7, 5, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(client_with_history: Client) -> Client:
    client = client_with_history
    Client.objects.filter(pk=client.pk).update(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    # The monthly report alone: the quarterly review's schedule is tested in test_mechanics.py.
    Plan.objects.filter(pk=client.plan_id).update(quarterly_review=False)
    Contact.objects.create(client=client, name="Marie", email=READER)
    Contact.objects.create(
        client=client, email=SILENT, receives_reports=False, receives_incident_notices=True
    )
    client.refresh_from_db()
    return client


def report_rows() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MONTHLY_REPORT).order_by("pk"))


@override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8)
def test_nothing_before_the_local_hour_then_one_report_once(shop: Client) -> None:
    assert send_scheduled_reports(BEFORE) is None
    assert not Report.objects.exists() and report_rows() == []

    outcome = send_scheduled_reports(AT)
    assert outcome is not None and (outcome.sent, outcome.messages) == (1, 1)
    assert send_scheduled_reports(LATER) is None

    [report] = Report.objects.all()
    assert (report.client_id, report.kind, report.period_start) == (shop.pk, "monthly", date(2026, 10, 1))
    assert report.sent_at == AT and report.language == "fr" and bytes(report.pdf).startswith(b"%PDF")
    assert "octobre 2026" in report.html
    [row] = report_rows()
    assert (row.recipient, row.language, row.audience, row.report_id) == (READER, "fr", "client", report.pk)
    assert row.incident_id is None and row.agency_id == shop.agency_id


@override_settings(VEILLEUR_REPORT_DAY=3, VEILLEUR_REPORT_HOUR=0)
def test_the_day_and_hour_are_the_clients_local_ones(shop: Client) -> None:
    assert send_scheduled_reports(datetime(2026, 11, 2, 22, 59, tzinfo=UTC)) is None  # 23:59 on the 2nd
    assert send_scheduled_reports(datetime(2026, 11, 2, 23, 0, tzinfo=UTC)) is not None  # midnight on the 3rd
    assert len(report_rows()) == 1


def test_regenerating_a_draft_replaces_the_content_of_the_same_row(shop: Client) -> None:
    first = generate_report(shop, Report.Kind.MONTHLY, date(2026, 10, 1), NOW)
    Report.objects.filter(pk=first.pk).update(html="old")
    again = generate_report(shop, Report.Kind.MONTHLY, date(2026, 10, 1), LATER)
    assert again.pk == first.pk and Report.objects.count() == 1
    again.refresh_from_db()
    assert again.html != "old" and again.generated_at == LATER and again.is_draft


@override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8)
def test_a_plan_without_the_monthly_report_gets_nothing(shop: Client) -> None:
    shop.plan.monthly_report = False
    shop.plan.save()
    assert send_scheduled_reports(AT) is None
    assert not Report.objects.exists() and report_rows() == []


@override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8)
def test_a_client_created_after_the_month_gets_no_report_of_it(shop: Client) -> None:
    Client.objects.filter(pk=shop.pk).update(created_at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    assert send_scheduled_reports(AT) is None
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("language", "filename", "subject", "text"),
    [
        ("fr", "rapport-2026-10-boulangerie.pdf", "Rapport mensuel de Boulangerie Martin", "octobre 2026"),
        ("en", "report-2026-10-boulangerie.pdf", "Monthly report of Boulangerie Martin", "October 2026"),
    ],
)
@override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8)
def test_the_mail_carries_the_pdf(
    shop: Client, language: str, filename: str, subject: str, text: str
) -> None:
    Client.objects.filter(pk=shop.pk).update(language=language)
    assert send_scheduled_reports(AT) is not None
    sink = MailSink().start()
    try:
        outcome = Deliverer(parse_smtp_url(sink.url), clock=timezone.now).run()
    finally:
        sink.stop()
    assert outcome.sent == 1
    [mail] = sink.messages()
    assert mail.recipients == [READER]
    assert subject in mail.subject
    plain = mail.message.get_body(preferencelist=("plain",))
    html = mail.message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert text in str(plain.get_content())  # type: ignore[attr-defined]
    assert text in str(html.get_content())  # type: ignore[attr-defined]
    [attachment] = list(mail.message.iter_attachments())
    assert attachment.get_filename() == filename
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")  # type: ignore[attr-defined]
    assert [row.state for row in report_rows()] == ["sent"]


@pytest.mark.django_db(transaction=True)
@override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8)
def test_resend_queues_new_rows_on_request(shop: Client, capsys: pytest.CaptureFixture[str]) -> None:
    command = ["report", "resend", "--client", "boulangerie", "--month", "2026-10"]
    assert cli.main(command) == cli.EXIT_BAD_INPUT
    assert "no archived report" in capsys.readouterr().err

    send_scheduled_reports(AT)
    [first] = report_rows()
    assert cli.main(command) == cli.EXIT_OK
    rows = report_rows()
    assert len(rows) == 2 and rows[0].pk == first.pk
    assert rows[1].recipient == READER and rows[1].idempotency_key != first.idempotency_key
    assert rows[1].report_id == first.report_id and rows[1].message_id != first.message_id
    assert send_scheduled_reports(LATER) is None  # the worker never sends a month twice
    assert len(report_rows()) == 2
