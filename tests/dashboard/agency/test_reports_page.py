"""The reports page: the archive, the preview and PDF, and "send now" through the outbox with a
real SMTP server: one mail per contact, even when the button is pressed twice."""

from __future__ import annotations

import html

import pytest
from django.utils import timezone

from tests.notifications.mailsink import MailSink
from veilleur.notifications.models import OutboxMessage
from veilleur.reports.models import Report

from .conftest import World, deliver, previous_month

pytestmark = pytest.mark.django_db


def test_list_preview_and_pdf(world: World) -> None:
    browser = world.browser(world.member)
    page = browser.get(
        "/reports/", {"client": world.client.pk, "month": f"{world.report.period_start:%Y-%m}"}
    )
    assert page.status_code == 200
    assert world.client.name in page.content.decode()
    assert f"/reports/{world.report.pk}/" in page.content.decode()

    preview = browser.get(f"/reports/{world.report.pk}/")
    assert preview.status_code == 200 and preview.content.decode() == world.report.html
    assert "script-src" not in preview["Content-Security-Policy"]  # the stored document runs nothing

    pdf = browser.get(f"/reports/{world.report.pk}/pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == bytes(world.report.pdf)


def test_publish_twice_delivers_once(world: World, sink: MailSink) -> None:
    browser = world.browser(world.owner)
    first = browser.post(f"/reports/{world.report.pk}/publish")
    second = browser.post(f"/reports/{world.report.pk}/publish")  # the double click
    assert first.status_code == second.status_code == 302

    rows = OutboxMessage.objects.filter(report=world.report)
    assert [row.recipient for row in rows] == [world.client.contacts.get().email]
    world.report.refresh_from_db()
    assert world.report.state == Report.State.PUBLISHED and world.report.sent_at is not None

    deliver(sink)
    deliver(sink)
    received = sink.messages()
    assert len(received) == 1 and received[0].recipients == [world.client.contacts.get().email]
    attachments = list(received[0].message.iter_attachments())
    assert attachments[0].get_content() == bytes(world.report.pdf)

    # The list says who it went to and when.
    page = world.browser(world.member).get("/reports/", headers={"accept-language": "en"}).content.decode()
    assert f"{world.client.contacts.get().email} — sent" in html.unescape(page)


def test_a_draft_is_not_sent_before_it_is_published(world: World) -> None:
    response = world.browser(world.owner).post(
        f"/reports/{world.report.pk}/send", {"send_key": "page-key-1234"}
    )
    assert response.status_code == 302
    assert not OutboxMessage.objects.filter(report=world.report).exists()


def test_send_again_from_a_fresh_page_is_a_new_mail(world: World, sink: MailSink) -> None:
    browser = world.browser(world.admin)
    browser.post(f"/reports/{world.report.pk}/publish")
    browser.post(f"/reports/{world.report.pk}/send", {"send_key": "first-page-key-0001"})
    browser.post(f"/reports/{world.report.pk}/send", {"send_key": "second-page-key-002"})
    deliver(sink)
    assert len(sink.messages()) == 3


def test_regenerate_keeps_the_text_and_a_published_report_stays(world: World) -> None:
    browser = world.browser(world.owner)
    Report.objects.filter(pk=world.report.pk).update(intro="Un mois calme.")
    before = Report.objects.get(pk=world.report.pk)
    assert browser.post(f"/reports/{world.report.pk}/regenerate").status_code == 302
    after = Report.objects.get(pk=world.report.pk)
    assert after.generated_at > before.generated_at and after.intro == "Un mois calme."
    assert "Un mois calme." in after.html
    assert Report.objects.filter(client=world.client).count() == 1

    browser.post(f"/reports/{world.report.pk}/publish")
    published = Report.objects.get(pk=world.report.pk)
    refused = browser.post(
        f"/reports/{world.report.pk}/regenerate", follow=True, headers={"accept-language": "en"}
    )
    assert "is published" in refused.content.decode()
    assert Report.objects.get(pk=world.report.pk).html == published.html


def test_generate_all_for_a_month_in_batches(world: World) -> None:
    month = f"{previous_month(timezone.now()):%Y-%m}"
    page = world.browser(world.owner).post("/reports/generate", {"month": month})
    assert page.status_code == 200
    [report] = Report.objects.filter(agency=world.agency)
    assert f"{report.period_start:%Y-%m}" == month and report.sent_at is None
    assert not OutboxMessage.objects.exists()  # generating sends nothing


def test_the_review_page_keeps_the_text_and_hides_sections(world: World) -> None:
    browser = world.browser(world.owner)
    english = {"accept-language": "en"}
    page = browser.get(f"/reports/{world.report.pk}/review", headers=english)
    assert page.status_code == 200
    assert "Publish and send" in page.content.decode()
    form = {
        "intro": "A calm month.\n\nThank you.",
        "next_steps": "Update the shop's theme.",
        "closing_note": "See you next month.",
        "hidden_sections": ["incidents"],
    }
    saved = browser.post(f"/reports/{world.report.pk}/text", form, headers=english)
    assert saved.status_code == 302
    report = Report.objects.get(pk=world.report.pk)
    assert report.intro == "A calm month.\n\nThank you." and report.hidden_sections == ["incidents"]
    assert "<p>A calm month.</p>" in report.html and "Update the shop" in report.html
    assert report.is_draft and not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("intro", "Hello\x07there", "control character"),
        ("closing_note", "x" * 4001, "at most 4000 characters"),
        ("hidden_sections", "headline", "not one of the available choices"),
    ],
)
def test_the_review_form_refuses_bad_text_and_saves_nothing(
    world: World, field: str, value: str, message: str
) -> None:
    before = Report.objects.values().get(pk=world.report.pk)
    page = world.browser(world.owner).post(
        f"/reports/{world.report.pk}/text", {field: value}, headers={"accept-language": "en"}
    )
    assert page.status_code == 400
    assert message in html.unescape(page.content.decode())
    assert Report.objects.values().get(pk=world.report.pk) == before


def test_a_published_report_has_no_form_and_is_kept(world: World) -> None:
    browser = world.browser(world.owner)
    browser.post(f"/reports/{world.report.pk}/publish")
    published = Report.objects.values().get(pk=world.report.pk)
    page = browser.get(f"/reports/{world.report.pk}/review", headers={"accept-language": "en"})
    assert "Publish and send" not in page.content.decode()
    browser.post(f"/reports/{world.report.pk}/text", {"intro": "Too late"})
    browser.post(f"/reports/{world.report.pk}/publish")
    assert Report.objects.values().get(pk=world.report.pk) == published
    assert OutboxMessage.objects.filter(report=world.report).count() == 1
