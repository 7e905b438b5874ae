"""The staff pages' forms for clients, contacts, sites, monitors, windows, status pages and the
maintenance log.

They are model forms: a value goes through the model's own validation (its fields' validators,
``clean()`` and its constraints), the very path the config file and the API take, so the three
refuse the same input with the same words. Django leaves out of that validation the fields a
form does not show; ``ScopedForm`` puts the parent links back in, so that "this key is already
used by this client" is a form error and never a database error.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, Contact, MaintenanceTask, MaintenanceWindow, Site
from veilleur.domain.validators import normalise_status_spec
from veilleur.monitoring.models import Monitor
from veilleur.plans.models import Plan
from veilleur.statuspages.models import StatusPage

# Validated even though no form shows them: uniqueness is per agency, client or site.
PARENT_FIELDS = ("agency", "client", "site")


class SiteChoices(forms.ModelMultipleChoiceField):
    """Sites ticked in a list, each named by its own name (its client is shown around it)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ScopedForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in list(self.fields.items()):
            if isinstance(field, forms.URLField):
                # The form's own URL check would speak first, in other words than the model's
                # (which the API and the config file use): leave addresses to the model.
                self.fields[name] = forms.CharField(
                    label=field.label,
                    required=field.required,
                    help_text=field.help_text,
                    max_length=field.max_length,
                    widget=forms.URLInput,
                )

    def _get_validation_exclusions(self) -> set[str]:
        excluded: set[str] = super()._get_validation_exclusions()  # type: ignore[misc]
        return excluded - set(PARENT_FIELDS)

    def _update_errors(self, errors: ValidationError) -> None:
        # "Already used under this parent" is about the one field the form shows: say it there.
        if hasattr(errors, "error_dict"):
            general = []
            for error in errors.error_dict.pop(NON_FIELD_ERRORS, []):
                shown = [name for name in (error.params or {}).get("unique_check", ()) if name in self.fields]
                if error.code == "unique_together" and len(shown) == 1:
                    message = _("%(field)s: this value is already used here; choose another.") % {
                        "field": self.fields[shown[0]].label
                    }
                    errors.error_dict.setdefault(shown[0], []).append(ValidationError(message, code="unique"))
                else:
                    general.append(error)
            if general:
                errors.error_dict[NON_FIELD_ERRORS] = general
        super()._update_errors(errors)  # type: ignore[misc]

    def choice_field(self, name: str) -> forms.ModelChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ModelChoiceField)
        return field


class ClientForm(ScopedForm):
    class Meta:
        model = Client
        fields = ["name", "key", "plan", "language", "time_zone", "logo_url", "primary_color", "accent_color"]
        labels = {
            "name": _("Name"),
            "key": _("Key"),
            "plan": _("Plan"),
            "language": _("Language of reports and notices"),
            "time_zone": _("Time zone"),
            "logo_url": _("Logo address"),
            "primary_color": _("Primary colour"),
            "accent_color": _("Accent colour"),
        }
        help_texts = {
            "key": _(
                "Lower-case letters, digits and dashes; the config file and the API name the client by it."
            ),
            "time_zone": _("An IANA name such as Europe/Paris: reports and maintenance windows follow it."),
            "primary_color": _("#RRGGBB; empty: the agency's colour."),
            "accent_color": _("#RRGGBB; empty: the agency's colour."),
        }

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choice_field("plan").queryset = Plan.objects.filter(agency=agency).order_by(
            "check_interval_seconds", "pk"
        )


class ContactForm(ScopedForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "receives_reports", "receives_incident_notices"]
        labels = {
            "name": _("Name"),
            "email": _("Email"),
            "receives_reports": _("Receives the monthly report"),
            "receives_incident_notices": _("Receives incident notices"),
        }


class SiteForm(ScopedForm):
    class Meta:
        model = Site
        fields = ["name", "key", "url", "apdex_threshold_ms", "degraded_above_ms"]
        labels = {
            "name": _("Name"),
            "key": _("Key"),
            "url": _("Address of the home page"),
            "apdex_threshold_ms": _("Satisfying response time (ms)"),
            "degraded_above_ms": _("Slow above (ms)"),
        }
        help_texts = {
            "key": _("Lower-case letters, digits and dashes, unique for this client."),
            "apdex_threshold_ms": _(
                "Responses up to this time satisfy visitors, up to four times it are tolerable."
            ),
            "degraded_above_ms": _(
                "With performance monitoring: checks slower than this, several in a row, open a "
                "degraded-performance incident (slow, never counted as downtime). "
                "Empty: the plan's threshold."
            ),
            "url": _(
                "The site's home page; a new site gets a monitor of it, checked at the plan's interval."
            ),
        }


class MonitorForm(ScopedForm):
    class Meta:
        model = Monitor
        fields = [
            "key",
            "url",
            "method",
            "expected_status",
            "keyword",
            "forbidden_keyword",
            "timeout_seconds",
            "interval_seconds",
            "follow_redirects",
            "paused",
        ]
        labels = {
            "key": _("Key"),
            "url": _("Address checked"),
            "method": _("HTTP method"),
            "expected_status": _("Expected status codes"),
            "keyword": _("Text that must appear"),
            "forbidden_keyword": _("Text that must not appear"),
            "timeout_seconds": _("Timeout (seconds)"),
            "interval_seconds": _("Check interval (seconds)"),
            "follow_redirects": _("Follow redirects"),
            "paused": _("Paused"),
        }
        help_texts = {
            "key": _("Lower-case letters, digits and dashes, unique for this site."),
            "expected_status": _("Codes and ranges, e.g. 200-299,301."),
            "interval_seconds": _("Empty: the plan's interval."),
            "keyword": _("Checked in the first MiB of the page; empty: not checked."),
            "forbidden_keyword": _("e.g. an error message; empty: not checked."),
        }

    def clean_expected_status(self) -> str:
        # Stored in the normal form the API and the config file store ("200-299, 301" → "200-299,301").
        value: str = self.cleaned_data["expected_status"]
        try:
            return normalise_status_spec(value)
        except ValueError:
            return value  # the model's validator names the problem


class WindowForm(ScopedForm):
    sites = SiteChoices(
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Sites"),
        help_text=_("None ticked: all the client's sites."),
    )

    class Meta:
        model = MaintenanceWindow
        fields = [
            "title",
            "key",
            "start_date",
            "start_time",
            "duration_minutes",
            "rrule",
            "sites",
            "public_note",
        ]
        labels = {
            "title": _("Title"),
            "key": _("Key"),
            "start_date": _("Start date"),
            "start_time": _("Start time (the client's time zone)"),
            "duration_minutes": _("Duration (minutes)"),
            "rrule": _("Repeats (RRULE)"),
            "public_note": _("Note on the status page"),
        }
        help_texts = {
            "rrule": _("Empty for a one-off window; e.g. FREQ=WEEKLY;BYDAY=TU for every Tuesday."),
            "public_note": _(
                "What the client's status page says about this maintenance, e.g. what is done and why."
            ),
        }
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "public_note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the client's sites are offered; another site of the agency sent anyway is refused
        # by the model's rule, in the words the API and the config file use.
        self.choice_field("sites").queryset = Site.objects.filter(agency_id=client.agency_id).order_by(
            "name", "pk"
        )
        self.fields["sites"].widget.choices = [
            (site.pk, site.name) for site in Site.objects.filter(client=client).order_by("name", "pk")
        ]
        self.client = client

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        sites = cleaned.get("sites") or []
        try:
            self.instance.check_sites(sites)
        except ValidationError as exc:
            self.add_error("sites", exc.message_dict["sites"])
        return cleaned


class StatusPageForm(ScopedForm):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters. Empty: the current password stays."),
    )

    class Meta:
        model = StatusPage
        fields = [
            "title",
            "slug",
            "language",
            "visibility",
            "primary_color",
            "accent_color",
            "logo_url",
            "footer_text",
            "footer_url",
        ]
        labels = {
            "title": _("Title"),
            "slug": _("Address on this server (/s/…/)"),
            "language": _("Language"),
            "visibility": _("Who may read it"),
            "primary_color": _("Primary colour"),
            "accent_color": _("Accent colour"),
            "logo_url": _("Logo address"),
            "footer_text": _("Footer text"),
            "footer_url": _("Footer link"),
        }
        help_texts = {
            "logo_url": _("Empty: the client's logo."),
            "primary_color": _("#RRGGBB; empty: the client's colour."),
            "accent_color": _("#RRGGBB; empty: the client's colour."),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password = cleaned.get("password")
        if password:
            try:
                self.instance.set_password(password)  # the model's rule: at least 8 characters
            except ValidationError as exc:
                self.add_error("password", exc.message_dict["password"])
        return cleaned


class TaskForm(forms.Form):
    """One maintenance task for one or several sites at once: a task row per site ticked."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    category = forms.ChoiceField(label=_("Kind of work"), choices=())
    description = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("e.g. WordPress 6.8 → 6.9, 14 plugins updated"),
    )
    visible_to_client = forms.BooleanField(
        label=_("Shown in the client's report"), required=False, initial=True
    )
    sites = SiteChoices(
        queryset=Site.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        label=_("Sites"),
        error_messages={"required": _("Tick at least one site.")},
    )

    def __init__(self, *args: Any, agency: Agency, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        sites, category = self.fields["sites"], self.fields["category"]
        assert isinstance(sites, forms.ModelMultipleChoiceField) and isinstance(category, forms.ChoiceField)
        sites.queryset = (
            Site.objects.filter(agency=agency).select_related("client").order_by("client__name", "name", "pk")
        )
        category.choices = task_categories()
        # Today in the agency's zone, not the server's.
        self.fields["date"].initial = timezone.now().astimezone(ZoneInfo(agency.time_zone)).date()

    def tasks(self) -> list[MaintenanceTask]:
        """The rows to store, each validated by the model (the same rules as the admin's)."""
        rows = []
        for site in self.cleaned_data["sites"]:
            task = MaintenanceTask(
                client=site.client,
                agency_id=site.agency_id,
                site=site,
                date=self.cleaned_data["date"],
                category=self.cleaned_data["category"],
                description=self.cleaned_data["description"],
                visible_to_client=self.cleaned_data["visible_to_client"],
            )
            try:
                task.full_clean()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field if field in self.fields else None, messages)
                return []
            rows.append(task)
        return rows


def task_categories() -> list[tuple[str, Any]]:
    return [
        (MaintenanceTask.Category.CMS_CORE, _("CMS core update")),
        (MaintenanceTask.Category.PLUGIN, _("Plugin update")),
        (MaintenanceTask.Category.BACKUP, _("Backup")),
        (MaintenanceTask.Category.SECURITY, _("Security")),
        (MaintenanceTask.Category.PERFORMANCE, _("Performance")),
        (MaintenanceTask.Category.OTHER, _("Other")),
    ]
