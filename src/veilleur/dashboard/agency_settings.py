"""The agency's settings page: name, branding, language and time zone, and the business calendar
(opening hours per weekday, holidays), with a live preview of what a client sees.

Validation is the one the config file and the API use: the forms are model forms, so a value is
accepted exactly when the model's own validators (``veilleur.validators``, built on
``veilleur.domain.validators``) and ``full_clean`` accept it — the very checks ``veilleur apply``
runs on the same fields. The agency and its calendar are saved together or not at all.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.dashboard.access import staff_agency, staff_user, staff_view
from veilleur.domain import validators as checks
from veilleur.domain.contrast import WHITE, readable_text_colour, text_colour_on
from veilleur.validators import validate_holidays, validate_weekly_hours

WEEKDAY_LABELS = {
    "mon": gettext_lazy("Monday"),
    "tue": gettext_lazy("Tuesday"),
    "wed": gettext_lazy("Wednesday"),
    "thu": gettext_lazy("Thursday"),
    "fri": gettext_lazy("Friday"),
    "sat": gettext_lazy("Saturday"),
    "sun": gettext_lazy("Sunday"),
}


def zone_choices() -> list[tuple[str, str]]:
    return [(zone, zone) for zone in sorted(available_timezones()) if "/" in zone or zone == "UTC"]


class ColourInput(forms.TextInput):
    """The browser's colour picker; it always sends #rrggbb, so it takes no length or required
    attribute (HTML allows neither on it)."""

    input_type = "color"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        for attribute in ("maxlength", "required"):
            context["widget"]["attrs"].pop(attribute, None)
        return context


class AgencySettingsForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = ["name", "logo_url", "primary_color", "accent_color", "language", "time_zone"]
        labels = {
            "name": gettext_lazy("Agency name"),
            "logo_url": gettext_lazy("Logo address"),
            "primary_color": gettext_lazy("Main colour"),
            "accent_color": gettext_lazy("Accent colour"),
            "language": gettext_lazy("Language"),
            "time_zone": gettext_lazy("Time zone"),
        }
        help_texts = {
            "logo_url": gettext_lazy(
                "An https address of your logo (PNG, SVG or JPEG). Empty: your name is shown."
            ),
            "primary_color": gettext_lazy(
                "#rrggbb. Text in this colour is darkened where needed so it stays readable."
            ),
            "language": gettext_lazy("Of new clients, staff invitations and the offer sheet by default."),
        }
        widgets = {
            "primary_color": ColourInput(),
            "accent_color": ColourInput(),
            "logo_url": forms.URLInput(),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = forms.Select(choices=zone_choices())


class CalendarForm(forms.Form):
    """The opening hours as typed ("09:00-12:30, 14:00-18:00" per day) and the holidays, one date
    per line; checked by the calendar model's validators once turned into its stored form."""

    holidays = forms.CharField(
        label=gettext_lazy("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One date per line, YYYY-MM-DD: the response clock of business-hours plans stops."
        ),
    )

    def __init__(self, *args: Any, calendar: BusinessCalendar, **kwargs: Any) -> None:
        initial = {day: ", ".join(calendar.weekly_hours.get(day, [])) for day in checks.WEEKDAYS}
        initial["holidays"] = "\n".join(sorted(calendar.holidays))
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        for day in checks.WEEKDAYS:
            self.fields[day] = forms.CharField(
                label=WEEKDAY_LABELS[day],
                required=False,
                max_length=200,
            )
        self.order_fields([*checks.WEEKDAYS, "holidays"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours: dict[str, list[str]] = {}
        for day in checks.WEEKDAYS:
            ranges = [part.strip() for part in str(data.get(day) or "").split(",") if part.strip()]
            try:
                validate_weekly_hours({day: ranges})
            except ValidationError as exc:
                self.add_error(day, exc)
            else:
                hours.update(checks.check_weekly_hours({day: ranges}))
        holidays = [line.strip() for line in str(data.get("holidays") or "").splitlines() if line.strip()]
        try:
            validate_holidays(holidays)
        except ValidationError as exc:
            self.add_error("holidays", exc)
        if not self.errors:
            self.calendar.weekly_hours = hours
            self.calendar.holidays = sorted({checks.check_holiday(day).isoformat() for day in holidays})
            try:
                self.calendar.full_clean(exclude=["agency"])
            except ValidationError as exc:
                self.add_error(None, exc.messages)
        return data


def _calendar_of(agency: Agency) -> BusinessCalendar:
    calendar = BusinessCalendar.objects.filter(agency=agency).first()
    return calendar or BusinessCalendar(agency=agency, time_zone=agency.time_zone)


@require_http_methods(["GET", "POST"])
@staff_view
def agency_settings(request: HttpRequest) -> HttpResponse:
    """Everyone on the team sees the settings; owners and admins change them."""
    me = staff_user(request)
    agency = Agency.objects.get(pk=me.agency_id)
    calendar = _calendar_of(agency)
    data = request.POST if request.method == "POST" and me.manages_agency else None
    agency_form = AgencySettingsForm(data, instance=agency, prefix="agency")
    calendar_form = CalendarForm(data, calendar=calendar, prefix="calendar")
    if data is not None and agency_form.is_valid() and calendar_form.is_valid():
        with transaction.atomic():
            saved = agency_form.save()
            calendar.time_zone = saved.time_zone  # the calendar follows the agency's zone, as in the file
            calendar.save()
        messages.success(request, _("The settings are saved."))
        return redirect("agency-settings")
    if request.method == "POST" and not me.manages_agency:
        messages.error(request, _("Only owners and admins change the settings."))
    status = 400 if data is not None else 200
    shown = agency if data is None else Agency.objects.get(pk=me.agency_id)
    context = {
        "agency": shown,
        "agency_form": agency_form,
        "calendar_form": calendar_form,
        "manages": me.manages_agency,
        "preview": preview_of(agency_form.data if data is not None else {}, shown, prefix="agency-"),
    }
    return render(request, "dashboard/agency/settings.html", context, status=status)


def preview_of(values: Any, agency: Agency, prefix: str = "") -> dict[str, str]:
    """What a client's page header looks like with the typed values; a value that is not valid
    yet falls back to the stored one, so the preview never shows what cannot be saved."""

    def typed(name: str, check: Any, stored: str) -> str:
        value = str(values.get(prefix + name, "") or "").strip()
        if not value:
            return stored
        try:
            return str(check(value))
        except ValueError:
            return stored

    primary = typed("primary_color", checks.check_color, agency.primary_color)
    accent = typed("accent_color", checks.check_color, agency.accent_color)
    return {
        "name": typed("name", checks.check_name, agency.name),
        "logo_url": typed("logo_url", checks.check_http_url, agency.logo_url),
        "primary": primary,
        "on_primary": text_colour_on(primary),
        "accent": accent,
        "on_accent": text_colour_on(accent),
        "primary_text": readable_text_colour(primary, (WHITE,)),
    }


@require_GET
@staff_view
def agency_settings_preview(request: HttpRequest) -> HttpResponse:
    """The preview fragment, drawn again by htmx as the colours are typed."""
    agency = staff_agency(request)
    context = {"preview": preview_of(request.GET, agency, prefix="agency-")}
    return render(request, "dashboard/agency/settings_preview.html", context)
