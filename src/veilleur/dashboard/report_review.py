"""The review page of one report: the draft as the client will read it (HTML and PDF), the
agency's text (introduction, closing note, next steps), the sections it hides, then publish.

Saving the text renders the draft again with it, so the preview is always what publishing sends.
Publishing renders the final document and queues it for the client's report contacts; a double
click, or the worker's automatic sending at the same moment, publishes and sends once (the
compare-and-set in ``publish_report``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from veilleur.dashboard.access import agency_object, manager_view, staff_agency, staff_user, staff_view
from veilleur.dashboard.agency_reports import deliveries_by_report, state_label
from veilleur.reports import formatting
from veilleur.reports.builders import HIDEABLE_BY_KIND, ReportNotAvailable
from veilleur.reports.editorial import HIDEABLE_SECTIONS, EditorialText
from veilleur.reports.models import EDITORIAL_MAX_LENGTH, Report
from veilleur.reports.sending import ReportPublished, keep_for_review, publish_report, save_editorial
from veilleur.validators import validate_text

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _paragraphs(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=EDITORIAL_MAX_LENGTH,
        validators=[validate_text],
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class EditorialForm(forms.Form):
    """The agency's text: plain paragraphs (blank lines separate them), no markup."""

    intro = _paragraphs(
        gettext_lazy("Introduction"), gettext_lazy("On the first page, before the figures. Plain text.")
    )
    next_steps = _paragraphs(
        gettext_lazy("Next steps"), gettext_lazy("At the end: what you plan next for this client.")
    )
    closing_note = _paragraphs(gettext_lazy("Closing note"), gettext_lazy("The last words of the report."))
    hidden_sections = forms.MultipleChoiceField(
        label=gettext_lazy("Sections to leave out"),
        required=False,
        choices=(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["hidden_sections"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(key, HIDEABLE_SECTIONS[key]) for key in HIDEABLE_BY_KIND[kind]]

    def editorial(self) -> EditorialText:
        data = self.cleaned_data
        return EditorialText(
            intro=data["intro"].strip(),
            closing_note=data["closing_note"].strip(),
            next_steps=data["next_steps"].strip(),
            hidden_sections=frozenset(data["hidden_sections"]),
        )


def _report(request: HttpRequest, report_id: int) -> Report:
    return agency_object(
        Report.objects.select_related("client", "agency"), staff_agency(request), pk=report_id
    )


def _page(request: HttpRequest, report: Report, form: EditorialForm, status: int = 200) -> HttpResponse:
    context = {
        "agency": report.agency,
        "report": report,
        "period": formatting.period_name(report.kind, report.period_start),
        "state": state_label(report, ZoneInfo(report.agency.time_zone)),
        "form": form,
        "sections": form["hidden_sections"],
        "manages": staff_user(request).manages_agency,
        "deliveries": deliveries_by_report([report]).get(report.pk, []),
        "zone": ZoneInfo(report.agency.time_zone),
    }
    return render(request, "dashboard/agency/report_review.html", context, status=status)


@require_GET
@staff_view
def report_review(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    initial = {
        "intro": report.intro,
        "closing_note": report.closing_note,
        "next_steps": report.next_steps,
        "hidden_sections": list(report.hidden_sections or ()),
    }
    return _page(request, report, EditorialForm(initial=initial, kind=report.kind))


@require_POST
@manager_view
def report_save_text(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    form = EditorialForm(request.POST, kind=report.kind)
    if not form.is_valid():
        return _page(request, report, form, status=400)
    try:
        save_editorial(report, form.editorial(), timezone.now())
    except (ReportPublished, ReportNotAvailable) as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your text was saved and the draft rendered again with it."))
    return redirect("report-review", report.pk)


@require_POST
@manager_view
def report_publish(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    names = {"client": report.client.name, "period": formatting.period_name(report.kind, report.period_start)}
    try:
        queued = publish_report(report, timezone.now())
    except ReportNotAvailable as refusal:
        messages.error(request, str(refusal))
        return redirect("report-review", report.pk)
    if queued is None:
        messages.info(request, _("This report was already published: it is sent once."))
    elif queued:
        messages.success(
            request,
            ngettext(
                "The report of %(client)s for %(period)s is published and on its way to %(count)s contact.",
                "The report of %(client)s for %(period)s is published and on its way to %(count)s contacts.",
                queued,
            )
            % {**names, "count": queued},
        )
    else:
        messages.success(
            request,
            _(
                "The report of %(client)s for %(period)s is published: the client reads it in the portal. "
                "No contact receives reports by e-mail."
            )
            % names,
        )
    return redirect("report-review", report.pk)


@require_POST
@manager_view
def report_hold(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report(request, report_id)
    if keep_for_review(report):
        messages.success(
            request, _("This draft is no longer sent automatically: it waits for you to publish it.")
        )
    else:
        messages.info(request, _("This report was not waiting to be sent automatically."))
    return redirect("report-review", report.pk)
