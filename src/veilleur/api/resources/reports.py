"""Reports: each client's monthly reports and quarterly reviews, drafts and published, the
agency's text on a draft, and publishing (which sends the report to the client's report
contacts)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from ninja import Field, Query, Router, Schema
from pydantic import AfterValidator, AwareDatetime

from veilleur.accounts.models import Agency
from veilleur.api.auth import agency_of
from veilleur.api.crud import get_or_404
from veilleur.api.errors import ApiError, field_error
from veilleur.api.fields import InputSchema, QueryId
from veilleur.api.pagination import Page, PageQuery, paginate
from veilleur.domain.validators import check_text
from veilleur.reports.builders import HIDEABLE_BY_KIND, ReportNotAvailable
from veilleur.reports.editorial import EditorialText
from veilleur.reports.mail import attachment_name
from veilleur.reports.models import EDITORIAL_MAX_LENGTH, Report
from veilleur.reports.sending import ReportPublished, publish_report, save_editorial

router = Router(tags=["reports"])

Paragraphs = Annotated[str, Field(max_length=EDITORIAL_MAX_LENGTH), AfterValidator(check_text)]
SectionKey = Annotated[str, Field(max_length=32)]


class ReportOut(Schema):
    id: int
    client_id: int
    client_key: str
    kind: str
    period_start: date
    state: str
    language: str
    uptime_percent: Decimal | None
    generated_at: datetime
    published_at: datetime | None
    sent_at: datetime | None
    send_after: datetime | None = Field(
        description="A draft is published and sent at this time; null: it waits."
    )
    intro: str
    closing_note: str
    next_steps: str
    hidden_sections: list[str]
    hideable_sections: list[str] = Field(description="The sections this kind of report lets the agency hide.")

    @staticmethod
    def resolve_client_key(obj: Report) -> str:
        return obj.client.key

    @staticmethod
    def resolve_hideable_sections(obj: Report) -> list[str]:
        return list(HIDEABLE_BY_KIND[obj.kind])


class ReportQuery(PageQuery):
    client_id: QueryId | None = None
    kind: Literal["monthly", "quarterly"] | None = None
    state: Literal["draft", "published"] | None = None


class ReportPatch(InputSchema):
    intro: Paragraphs | None = None
    closing_note: Paragraphs | None = None
    next_steps: Paragraphs | None = None
    hidden_sections: list[SectionKey] | None = None
    send_after: AwareDatetime | None = Field(
        None, description="When the draft is published and sent by itself; null: it waits to be published."
    )


def reports_of(agency: Agency) -> QuerySet[Report]:
    return Report.objects.filter(agency=agency).select_related("client").defer("html", "pdf")


def published_conflict() -> ApiError:
    return ApiError(409, "Conflict: this report is published; the client received it as it is.")


@router.get("", response=Page[ReportOut], summary="List reports")
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    reports = reports_of(agency_of(request))
    if query.client_id is not None:
        reports = reports.filter(client_id=query.client_id)
    if query.kind is not None:
        reports = reports.filter(kind=query.kind)
    if query.state is not None:
        reports = reports.filter(state=query.state)
    return paginate(reports, query)


@router.get("/{id}", response=ReportOut, summary="Read a report")
def read_report(request: HttpRequest, id: QueryId) -> Report:
    return get_or_404(reports_of(agency_of(request)), id, "report")


@router.get("/{id}/pdf", summary="Download a report's PDF", response={200: None})
def report_pdf(request: HttpRequest, id: QueryId) -> HttpResponse:
    report = get_or_404(
        Report.objects.filter(agency=agency_of(request)).select_related("client"), id, "report"
    )
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    with translation.override(report.language):
        response["Content-Disposition"] = f'attachment; filename="{attachment_name(report)}"'
    return response


@router.patch("/{id}", response=ReportOut, summary="Change a draft's text, hidden sections or sending time")
def update_report(request: HttpRequest, id: QueryId, payload: ReportPatch) -> Report:
    """The draft is rendered again with the new text. A published report answers 409."""
    report = get_or_404(reports_of(agency_of(request)).select_related("client__agency"), id, "report")
    if not report.is_draft:
        raise published_conflict()
    changes = payload.changes()
    for name in ("intro", "closing_note", "next_steps", "hidden_sections"):
        if name in changes and changes[name] is None:
            raise field_error(name, "this field may not be null")
    hidden = changes.get("hidden_sections", report.hidden_sections)
    unknown = sorted(set(hidden) - set(HIDEABLE_BY_KIND[report.kind]))
    if unknown:
        known = ", ".join(HIDEABLE_BY_KIND[report.kind])
        raise field_error("hidden_sections", f"unknown sections {', '.join(unknown)} (known: {known})")
    if "send_after" in changes:
        Report.objects.filter(pk=report.pk, state=Report.State.DRAFT).update(send_after=changes["send_after"])
    text = EditorialText(
        intro=changes.get("intro", report.intro).strip(),
        closing_note=changes.get("closing_note", report.closing_note).strip(),
        next_steps=changes.get("next_steps", report.next_steps).strip(),
        hidden_sections=frozenset(hidden),
    )
    if text != report.editorial:
        try:
            save_editorial(report, text, timezone.now())
        except ReportPublished as exc:
            raise published_conflict() from exc
        except ReportNotAvailable as exc:
            raise ApiError(409, f"Conflict: {exc}") from exc
    return get_or_404(reports_of(agency_of(request)), id, "report")


@router.post("/{id}/publish", response=ReportOut, summary="Publish a draft and send it")
def publish(request: HttpRequest, id: QueryId) -> Report:
    """Renders the final report with the agency's text, shows it in the client's portal and queues
    it for the client's report contacts, once. A report already published answers 409."""
    report = get_or_404(reports_of(agency_of(request)).select_related("client__agency"), id, "report")
    try:
        queued = publish_report(report, timezone.now())
    except ReportNotAvailable as exc:
        raise ApiError(409, f"Conflict: {exc}") from exc
    if queued is None:
        raise published_conflict()
    return get_or_404(reports_of(agency_of(request)), id, "report")
