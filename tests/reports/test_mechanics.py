"""Report mechanics on a fixed clock: the schedule makes drafts and tells the agency once, the
agency's text survives regeneration and lands in the HTML and the PDF, hidden sections are gone
from both, publishing sends once (even when two workers race), drafts leave by themselves after
N days unless kept back, and the per-client report day and language are followed."""

from __future__ import annotations

import subprocess
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from veilleur import cli
from veilleur.accounts.models import StaffUser
from veilleur.clients.models import Client, Contact
from veilleur.notifications.delivery import Deliverer
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.smtp_url import parse_smtp_url
from veilleur.plans.models import Plan
from veilleur.reports.editorial import EditorialText
from veilleur.reports.models import Report
from veilleur.reports.sending import (
    ReportPublished,
    SendingReport,
    generate_report,
    keep_for_review,
    publish_report,
    save_editorial,
    send_scheduled_reports,
)

READER = "marie@boulangerie-martin.example"
OWNER = "owner@atelier.example"
MEMBER = "member@atelier.example"
# 1 November 2026 in Paris is UTC+1: 08:00 there is 07:00 UTC.
AT = datetime(2026, 11, 1, 7, 0, tzinfo=UTC)
OCTOBER = date(2026, 10, 1)
INTRO = "Un mois calme, merci de votre confiance."
CLOSING = "À bientôt pour le point trimestriel."
STEPS = "Mettre à jour WordPress en 6.9."

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("fixed_schedule"),
]


@pytest.fixture
def fixed_schedule() -> object:
    with override_settings(VEILLEUR_REPORT_DAY=1, VEILLEUR_REPORT_HOUR=8):
        yield


@pytest.fixture
def shop(client_with_history: Client) -> Client:
    """A client whose reports wait three days as drafts, and the agency's people."""
    client = client_with_history
    Client.objects.filter(pk=client.pk).update(
        created_at=datetime(2026, 9, 1, tzinfo=UTC), report_send_after_days=3
    )
    Contact.objects.create(client=client, name="Marie", email=READER)
    StaffUser.objects.create_user(email=OWNER, agency=client.agency, role="owner")
    StaffUser.objects.create_user(email=MEMBER, agency=client.agency, role="member")
    client.refresh_from_db()
    return client


def mails_to_client() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.MONTHLY_REPORT).order_by("pk"))


def review_notices() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=OutboxMessage.Kind.REPORT_READY).order_by("pk"))


def deliver_all() -> list[str]:
    """Deliver the outbox to a real SMTP server on loopback; the subjects received."""
    sink = MailSink().start()
    try:
        Deliverer(parse_smtp_url(sink.url), clock=timezone.now).run()
    finally:
        sink.stop()
    return [mail.subject for mail in sink.messages()]


@pytest.fixture(autouse=True)
def monthly_only(shop: Client) -> None:
    """The mechanics on the monthly report alone; the quarterly review's own test turns it back on."""
    Plan.objects.filter(pk=shop.plan_id).update(quarterly_review=False)
    shop.refresh_from_db()


def pdf_text(report: Report) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=bytes(report.pdf), capture_output=True, check=True
    )
    return done.stdout.decode()


def test_the_schedule_makes_a_draft_and_tells_the_agency_once(shop: Client) -> None:
    outcome = send_scheduled_reports(AT)
    assert outcome is not None and (outcome.drafts, outcome.sent) == (1, 0)
    assert send_scheduled_reports(AT + timedelta(minutes=5)) is None
    assert send_scheduled_reports(AT + timedelta(days=1)) is None

    [report] = Report.objects.all()
    assert report.is_draft and report.period_start == OCTOBER and report.sent_at is None
    assert report.scheduled_at == AT and report.send_after == AT + timedelta(days=3)
    assert "Brouillon" in report.html  # the draft says so on its first page
    assert mails_to_client() == []
    # Owners and admins review reports; a member does not get the notice.
    assert [row.recipient for row in review_notices()] == [OWNER]
    [subject] = deliver_all()
    assert "Boulangerie Martin" in subject and "octobre 2026" in subject


def test_a_draft_leaves_by_itself_after_n_days_once(shop: Client) -> None:
    send_scheduled_reports(AT)
    assert send_scheduled_reports(AT + timedelta(days=3) - timedelta(minutes=1)) is None
    outcome = send_scheduled_reports(AT + timedelta(days=3))
    assert outcome is not None and (outcome.sent, outcome.messages) == (1, 1)
    assert send_scheduled_reports(AT + timedelta(days=4)) is None

    [report] = Report.objects.all()
    assert report.state == Report.State.PUBLISHED and report.published_at == AT + timedelta(days=3)
    assert "Brouillon" not in report.html and report.send_after is None
    assert [row.recipient for row in mails_to_client()] == [READER]
    subjects = deliver_all()
    assert sum("Rapport mensuel" in subject for subject in subjects) == 1


def test_kept_back_a_draft_waits_for_the_agency(shop: Client) -> None:
    send_scheduled_reports(AT)
    [report] = Report.objects.all()
    assert keep_for_review(report) and not keep_for_review(report)
    assert send_scheduled_reports(AT + timedelta(days=25)) is None  # before December's report
    assert Report.objects.get().is_draft and mails_to_client() == []


def test_without_automatic_sending_a_draft_waits(shop: Client) -> None:
    Client.objects.filter(pk=shop.pk).update(report_send_after_days=None)
    assert send_scheduled_reports(AT) is not None
    report = Report.objects.get()
    assert report.send_after is None and len(review_notices()) == 1
    assert send_scheduled_reports(AT + timedelta(days=25)) is None  # before December's report
    assert Report.objects.get().is_draft and mails_to_client() == []


def test_sent_at_once_makes_no_draft_and_no_notice(shop: Client) -> None:
    Client.objects.filter(pk=shop.pk).update(report_send_after_days=0)
    outcome = send_scheduled_reports(AT)
    assert outcome is not None and (outcome.sent, outcome.drafts) == (1, 0)
    report = Report.objects.get()
    assert report.state == Report.State.PUBLISHED and "Brouillon" not in report.html
    assert review_notices() == [] and len(mails_to_client()) == 1


def test_a_draft_made_by_hand_is_taken_up_by_the_schedule(shop: Client) -> None:
    """A manager looked at October's report before its day: the schedule still tells and sends."""
    early = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT - timedelta(hours=5))
    assert send_scheduled_reports(AT) is not None
    report = Report.objects.get()
    assert report.pk == early.pk and report.send_after == AT + timedelta(days=3)
    assert len(review_notices()) == 1


def test_regenerating_keeps_the_agencys_text(shop: Client) -> None:
    draft = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT)
    text = EditorialText(intro=INTRO, closing_note=CLOSING, next_steps=STEPS)
    save_editorial(draft, text, AT)
    again = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT + timedelta(hours=1))
    assert again.pk == draft.pk and again.editorial == text
    assert again.generated_at == AT + timedelta(hours=1)
    for words in (INTRO, CLOSING, STEPS):
        assert words in again.html
    # The introduction comes before the figures, the next steps and closing note after them.
    html = again.html
    assert (
        html.index(INTRO) < html.index("Le mois en un coup d’œil") < html.index(STEPS) < html.index(CLOSING)
    )


def test_a_hidden_section_is_absent_from_the_html_and_the_pdf(shop: Client) -> None:
    draft = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT)
    shown = pdf_text(draft)
    assert "Temps de réponse jour par jour" in draft.html and "Temps de réponse jour par jour" in shown
    assert "Ce que votre formule a fait" in shown

    text = EditorialText(intro=INTRO, hidden_sections=frozenset({"performance", "deliverables"}))
    save_editorial(draft, text, AT)
    publish_report(draft, AT + timedelta(hours=1))
    published = Report.objects.get(pk=draft.pk)
    hidden = pdf_text(published)
    for words in ("Temps de réponse jour par jour", "Ce que votre formule a fait"):
        assert words not in published.html and words not in hidden
    # What cannot be hidden stays: the headline and how the figures are counted.
    assert "Le mois en un coup d’œil" in hidden and "Comment ces chiffres sont calculés" in hidden
    assert INTRO in " ".join(hidden.split())


def test_a_published_report_is_never_generated_again(shop: Client) -> None:
    draft = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT)
    assert publish_report(draft, AT) == 1
    assert publish_report(draft, AT) is None  # publishing twice sends once
    before = Report.objects.get(pk=draft.pk)
    with pytest.raises(ReportPublished):
        generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT + timedelta(days=1))
    with pytest.raises(ReportPublished):
        save_editorial(before, EditorialText(intro="Trop tard"), AT)
    after = Report.objects.get(pk=draft.pk)
    assert (after.html, bytes(after.pdf), after.intro) == (before.html, bytes(before.pdf), "")
    assert len(mails_to_client()) == 1


def test_the_report_language_of_the_client_wins(shop: Client) -> None:
    Client.objects.filter(pk=shop.pk).update(report_language="en", report_send_after_days=0)
    send_scheduled_reports(AT)
    report = Report.objects.get()
    assert report.language == "en" and "October 2026" in report.html
    [mail] = mails_to_client()
    assert mail.language == "en"
    [subject] = deliver_all()
    assert "Monthly report of Boulangerie Martin" in subject


def test_the_clients_own_report_day(shop: Client) -> None:
    Client.objects.filter(pk=shop.pk).update(report_day=5)
    assert send_scheduled_reports(AT) is None
    # 5 November, 08:00 in Paris.
    assert send_scheduled_reports(datetime(2026, 11, 5, 6, 59, tzinfo=UTC)) is None
    assert send_scheduled_reports(datetime(2026, 11, 5, 7, 0, tzinfo=UTC)) is not None


def test_the_quarterly_review_is_generated_as_a_draft_once_its_quarter_is_over(shop: Client) -> None:
    Plan.objects.filter(pk=shop.plan_id).update(quarterly_review=True)  # as Premium has it
    send_scheduled_reports(datetime(2026, 9, 30, 6, 0, tzinfo=UTC))  # Q3 still running
    assert not Report.objects.filter(kind=Report.Kind.QUARTERLY).exists()

    send_scheduled_reports(datetime(2026, 10, 1, 6, 0, tzinfo=UTC))  # Q3 over, October's day
    review = Report.objects.get(client=shop, kind=Report.Kind.QUARTERLY)
    assert review.period_start == date(2026, 7, 1)
    assert "Boulangerie Martin" in review.html


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_to_publish_send_once(shop: Client) -> None:
    draft = generate_report(shop, Report.Kind.MONTHLY, OCTOBER, AT)
    Report.objects.filter(pk=draft.pk).update(scheduled_at=AT, send_after=AT)  # due to leave now
    barrier = threading.Barrier(2)
    results: list[SendingReport | None] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(send_scheduled_reports(AT + timedelta(minutes=1)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(result.sent for result in results if result is not None) == 1
    assert [row.recipient for row in mails_to_client()] == [READER]
    assert Report.objects.get().state == Report.State.PUBLISHED


@pytest.mark.django_db(transaction=True)
def test_the_command_line_lists_publishes_and_resends(
    shop: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send_scheduled_reports(AT)
    assert cli.main(["report", "list", "--state", "draft"]) == cli.EXIT_OK
    assert (
        "boulangerie  monthly  2026-10-01  draft  fr  sends 2026-11-04 07:00 UTC" in capsys.readouterr().out
    )

    resend = ["report", "resend", "--client", "boulangerie", "--month", "2026-10"]
    assert cli.main(resend) == cli.EXIT_BAD_INPUT
    assert "is a draft: publish it first" in capsys.readouterr().err
    assert (
        cli.main(["report", "publish", "--client", "boulangerie", "--quarter", "2026-Q5"])
        == cli.EXIT_BAD_INPUT
    )
    assert "not a quarter like 2026-Q3" in capsys.readouterr().err

    publish = ["report", "publish", "--client", "boulangerie", "--month", "2026-10"]
    assert cli.main(publish) == cli.EXIT_OK
    assert "published, queued for 1 contact(s)" in capsys.readouterr().out
    assert cli.main(publish) == cli.EXIT_FAILURE  # once
    assert "already published" in capsys.readouterr().err
    assert cli.main(resend) == cli.EXIT_OK
    assert len(mails_to_client()) == 2
