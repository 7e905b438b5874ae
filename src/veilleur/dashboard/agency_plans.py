"""The plans editor and the offer sheet (page and PDF).

The plan form is a model form of ``Plan``: a value is accepted exactly when the plan's model
validators and ``full_clean`` accept it, the checks ``veilleur apply`` and the API run on the same
fields (minimum check interval, price range, service-credit steps, key unique per agency).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.clients.logos import logo_data_uri
from veilleur.dashboard.access import agency_object, manager_view, staff_agency, staff_user, staff_view
from veilleur.dashboard.offer import offer_rows, opening_hours
from veilleur.domain.contrast import WHITE, readable_text_colour, text_colour_on
from veilleur.plans.models import Plan
from veilleur.reports.render import pdf_from_html

LANGUAGES = ("fr", "en")


class PlanForm(forms.ModelForm):
    service_credits = forms.CharField(
        label=gettext_lazy("Service credits"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            'One step per line, "below % : credit %": "99.9 : 10" credits 10 % of the fee below 99.9 %.'
        ),
    )
    # Certificate monitoring: expiry warnings.
    certificate_warning_days = forms.CharField(
        label=gettext_lazy("Certificate expiry warnings (days before)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "With certificate monitoring; separated by commas, e.g. 30, 14, 7, 3, 1. Empty: left as it is."
        ),
    )
    # Domains and CMS versions.
    domain_warning_days = forms.CharField(
        label=gettext_lazy("Domain expiry warnings (days before)"),
        required=False,
        help_text=gettext_lazy(
            'Comma-separated, e.g. "30, 14, 7": the agency is warned that a domain registration runs '
            "out at each of these. Empty: no warnings. Watched with SSL certificate monitoring."
        ),
    )

    class Meta:
        model = Plan
        fields = [
            "key",
            "name",
            "price_min_eur",
            "price_max_eur",
            "check_interval_seconds",
            "email_alerts",
            "monthly_report",
            "maintenance_log",
            "status_page",
            "client_portal",
            "ssl_monitoring",
            "performance_monitoring",
            "quarterly_review",
            "cms_versions",
            "domain_warning_days",
            "response_target_minutes",
            "response_calendar",
            "uptime_target_percent",
            "confirmation_checks",
            "certificate_warning_days",
            "certificate_lifetime_fraction",
            # Degraded performance
            "degraded_above_ms",
            "degraded_after_checks",
            "degraded_baseline_factor",
        ]
        labels = {
            "key": gettext_lazy("Key"),
            "name": gettext_lazy("Name"),
            "price_min_eur": gettext_lazy("Lowest price (EUR / month)"),
            "price_max_eur": gettext_lazy("Highest price (EUR / month)"),
            "check_interval_seconds": gettext_lazy("Check interval (seconds)"),
            "email_alerts": gettext_lazy("Email alerts to the agency"),
            "monthly_report": gettext_lazy("Monthly uptime report"),
            "maintenance_log": gettext_lazy("Maintenance log"),
            "status_page": gettext_lazy("Branded status page"),
            "client_portal": gettext_lazy("Client portal"),
            "ssl_monitoring": gettext_lazy("SSL certificate monitoring"),
            "performance_monitoring": gettext_lazy("Performance monitoring"),
            "quarterly_review": gettext_lazy("Quarterly performance review"),
            "cms_versions": gettext_lazy("CMS versions (software seen on the site)"),
            "response_target_minutes": gettext_lazy("Response commitment (minutes)"),
            "response_calendar": gettext_lazy("Response clock runs"),
            "uptime_target_percent": gettext_lazy("Uptime guarantee (% per month)"),
            "confirmation_checks": gettext_lazy("Confirmation checks"),
            "certificate_lifetime_fraction": gettext_lazy(
                "Certificate warning at this share of its lifetime left"
            ),
            "degraded_above_ms": gettext_lazy("Slow above (ms)"),
            "degraded_after_checks": gettext_lazy("Slow checks in a row before an incident"),
            "degraded_baseline_factor": gettext_lazy("Slow above this many times the usual speed"),
        }
        help_texts = {
            "key": gettext_lazy(
                "Lowercase letters, digits and dashes; the config file names the plan by it."
            ),
            "uptime_target_percent": gettext_lazy("Empty: no guarantee."),
            "price_max_eur": gettext_lazy("0 for both prices: the offer sheet shows no price."),
            "certificate_lifetime_fraction": gettext_lazy(
                "0.3333: a third, when automatic (ACME) renewals happen; earlier day warnings are "
                "skipped for short-lived certificates."
            ),
            "degraded_above_ms": gettext_lazy(
                "With performance monitoring: a check slower than this is slow (a site may set its own)."
            ),
            "degraded_after_checks": gettext_lazy(
                "A degraded-performance incident opens after this many slow checks in a row, and closes "
                "after as many normal ones. Slow is never counted as downtime."
            ),
            "degraded_baseline_factor": gettext_lazy(
                "Also slow when the last 15 minutes' slowest responses (p95) take this many times longer "
                "than over the previous 14 days. Needs 3 days of history."
            ),
        }

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.agency = agency
        calendar_field = self.fields["response_calendar"]
        assert isinstance(calendar_field, forms.ChoiceField)
        calendar_field.choices = [
            (Plan.ResponseCalendar.BUSINESS, _("during business hours")),
            (Plan.ResponseCalendar.ALWAYS, _("24/7")),
        ]
        self.initial["domain_warning_days"] = ", ".join(str(day) for day in self.instance.domain_warning_days)
        if self.instance.pk:
            self.fields["key"].disabled = True  # clients, channels and the config file refer to it
            self.initial["service_credits"] = "\n".join(
                f"{step['below_percent']} : {step['credit_percent']}"
                for step in self.instance.service_credits
            )
        self.fields["certificate_lifetime_fraction"].required = False  # left out: kept as it is
        self.initial["certificate_warning_days"] = ", ".join(
            str(days) for days in (self.instance.certificate_warning_days or [])
        )

    def clean_certificate_lifetime_fraction(self) -> Decimal:
        share = self.cleaned_data.get("certificate_lifetime_fraction")
        return self.instance.certificate_lifetime_fraction if share is None else share

    def clean_certificate_warning_days(self) -> list[int]:
        """The typed days as the plan stores them; the plan's own validator checks their values."""
        text = str(self.cleaned_data.get("certificate_warning_days") or "")
        if not text.strip():  # left out: the plan keeps its days (a new plan, the defaults)
            return list(self.instance.certificate_warning_days)
        return _typed_days(text, example="30, 14, 7, 3, 1")

    def clean_domain_warning_days(self) -> list[int]:
        """The typed days as the plan stores them (empty: no warnings); the plan's validator checks them."""
        return _typed_days(str(self.cleaned_data.get("domain_warning_days") or ""), example="30, 14, 7")

    def clean_service_credits(self) -> list[dict[str, Any]]:
        """The typed steps as the plan stores them; the plan's own validator checks their values."""
        steps = []
        for line in str(self.cleaned_data.get("service_credits") or "").splitlines():
            if not line.strip():
                continue
            below, colon, credit = line.partition(":")
            try:
                if not colon:
                    raise ValueError
                steps.append(
                    {"below_percent": float(Decimal(below.strip())), "credit_percent": int(credit.strip())}
                )
            except (ValueError, InvalidOperation):
                raise forms.ValidationError(
                    _('"%(line)s" is not a step "below % : credit %", e.g. "99.9 : 10".')
                    % {"line": line.strip()}
                ) from None
        return steps


def _typed_days(text: str, *, example: str) -> list[int]:
    """Days typed as "30, 14, 7" (commas or semicolons), as a list; a clear error when one is not a number."""
    try:
        return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
    except ValueError:
        raise forms.ValidationError(
            _('"%(text)s" is not a list of whole numbers of days, e.g. "%(example)s".')
            % {"text": text, "example": example}
        ) from None


@require_GET
@staff_view
def plan_list(request: HttpRequest) -> HttpResponse:
    me = staff_user(request)
    plans = list(Plan.objects.filter(agency_id=me.agency_id))
    context = {"agency": me.agency, "plans": plans, "manages": me.manages_agency, "rows": offer_rows(plans)}
    return render(request, "dashboard/agency/plans.html", context)


@require_http_methods(["GET", "POST"])
@manager_view
def plan_edit(request: HttpRequest, plan_id: int | None = None) -> HttpResponse:
    agency = staff_agency(request)
    plan = (
        agency_object(Plan.objects.all(), agency, pk=plan_id) if plan_id is not None else Plan(agency=agency)
    )
    form = PlanForm(request.POST if request.method == "POST" else None, instance=plan, agency=agency)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
        messages.success(request, _("The plan %(name)s is saved.") % {"name": saved.name})
        return redirect("plan-list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "dashboard/agency/plan_form.html",
        {"agency": agency, "form": form, "plan": plan},
        status=status,
    )


# The offer sheet -----------------------------------------------------------------------------------


def offer_language(request: HttpRequest, agency: Agency) -> str:
    """``?lang=fr`` or ``?lang=en``; else the language the staff pages are shown in."""
    asked = request.GET.get("lang", "")
    if asked in LANGUAGES:
        return asked
    shown = translation.get_language() or ""
    return shown if shown in LANGUAGES else agency.language


def offer_document(agency: Agency, language: str, *, for_pdf: bool) -> str:
    plans = list(Plan.objects.filter(agency=agency))
    calendar = BusinessCalendar.objects.filter(agency=agency).first()
    with translation.override(language):
        context = {
            "agency": agency,
            "plans": plans,
            "rows": offer_rows(plans),
            "opening_hours": opening_hours(calendar)
            if any(p.response_calendar == "business" for p in plans)
            else [],
            "calendar_zone": calendar.time_zone if calendar else agency.time_zone,
            "has_holidays": bool(calendar and calendar.holidays),
            # The stored copy of the logo: neither the page nor the PDF fetch what an agency typed.
            "logo_src": logo_data_uri(agency.logo_url),
            "brand_text": readable_text_colour(agency.primary_color, (WHITE,)),
            "on_brand": text_colour_on(agency.primary_color),
            "language": language,
            "other_language": "en" if language == "fr" else "fr",
            "for_pdf": for_pdf,
        }
        return render_to_string("dashboard/agency/offer_sheet.html", context)


@require_GET
@staff_view
def offer_sheet(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    return HttpResponse(offer_document(agency, offer_language(request, agency), for_pdf=False))


@require_GET
@staff_view
def offer_sheet_pdf(request: HttpRequest) -> HttpResponse:
    agency = staff_agency(request)
    language = offer_language(request, agency)
    pdf = pdf_from_html(offer_document(agency, language, for_pdf=True))
    with translation.override(language):
        filename = _("offer-%(agency)s.pdf") % {"agency": agency.key}
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
