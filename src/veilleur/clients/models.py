"""The agency's clients, who they are, their sites, planned maintenance and the work done."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import LANGUAGE_CHOICES, AgencyOwned
from veilleur.domain.maintenance import WindowRule
from veilleur.plans.models import Plan
from veilleur.text_fields import LowercaseEmailModel, NameField, ParagraphField
from veilleur.validators import (
    validate_http_url,
    validate_key,
    validate_optional_color,
    validate_rrule,
    validate_time_zone,
)

# The last day of the month a report may be generated on: every month has it.
REPORT_DAY_MAX = 28
# A draft waits at most this long before it is sent automatically.
REPORT_SEND_AFTER_DAYS_MAX = 60


class Client(AgencyOwned):
    key = models.CharField(max_length=64, validators=[validate_key])
    name = NameField(max_length=200)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    time_zone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="clients")
    logo_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    primary_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_optional_color],
        help_text="Empty: the agency's colour.",
    )
    accent_color = models.CharField(max_length=7, blank=True, validators=[validate_optional_color])
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    demo = models.BooleanField(
        default=False,
        editable=False,
        help_text="Made up by 'veilleur demo': its sites are never probed (the checker records healthy "
        "synthetic checks) and its contacts are never mailed.",
    )
    # Report mechanics: when the client's reports are sent, in which language, and whether the
    # agency reviews them first.
    report_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(REPORT_DAY_MAX)],
        help_text="Day of the month (1–28, the client's time) the reports are generated. "
        "Empty: the server's default.",
    )
    report_language = models.CharField(
        max_length=2,
        choices=LANGUAGE_CHOICES,
        blank=True,
        help_text="The language of the reports and their e-mails. Empty: the client's language.",
    )
    report_send_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=0,
        validators=[MaxValueValidator(REPORT_SEND_AFTER_DAYS_MAX)],
        help_text="0: a report is sent as soon as it is generated. N: it waits N days as a draft for "
        "the agency's review, then is sent. Empty: it waits until the agency publishes it.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["agency", "key"], name="client_key_unique_per_agency")]

    def __str__(self) -> str:
        return self.name

    @property
    def reports_language(self) -> str:
        """The language of the client's reports and report e-mails: its own, unless set apart."""
        return self.report_language or self.language

    def clean(self) -> None:
        if self.plan_id and self.agency_id and self.plan.agency_id != self.agency_id:
            raise ValidationError({"plan": gettext_lazy("this plan belongs to another agency")})


class ClientChild(AgencyOwned):
    """A row under a client: its agency is always the client's, set on save."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.client.agency_id
        super().save(*args, **kwargs)


class Contact(LowercaseEmailModel, ClientChild):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = NameField(max_length=200, blank=True)
    email = models.EmailField()
    receives_reports = models.BooleanField(default=True)
    receives_incident_notices = models.BooleanField(default=False)
    receives_maintenance_notices = models.BooleanField(default=False)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="contact_email_unique_per_client")
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class Site(ClientChild):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="sites")
    key = models.CharField(max_length=64, validators=[validate_key])
    name = NameField(max_length=200)
    url = models.URLField(max_length=500, validators=[validate_http_url], help_text="The site's home page.")
    apdex_threshold_ms = models.PositiveIntegerField(
        default=500,
        validators=[MinValueValidator(1)],
        help_text="Apdex T: responses up to T are satisfying, up to 4T tolerable.",
    )
    # Degraded performance: empty follows the plan's threshold.
    degraded_above_ms = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(100), MaxValueValidator(120_000)],
        help_text="Slow above this total time (ms); empty: the plan's threshold.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["client__name", "name"]
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="site_key_unique_per_client")]

    def __str__(self) -> str:
        return f"{self.client.name} — {self.name}"


class MaintenanceWindow(ClientChild):
    """Planned work: checks go on and are marked, no incident opens, the time is not counted.

    The start is a wall time in the client's time zone; a recurring window repeats by an RFC 5545
    RRULE evaluated in that zone, so "every Tuesday 22:00" stays 22:00 across DST changes.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="maintenance_windows")
    key = models.CharField(max_length=64, validators=[validate_key])
    title = NameField(max_length=200)
    start_date = models.DateField()
    start_time = models.TimeField()
    duration_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    rrule = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_rrule],
        help_text="Empty for a one-off window; e.g. FREQ=WEEKLY;BYDAY=TU for every Tuesday.",
    )
    sites = models.ManyToManyField(
        Site,
        blank=True,
        related_name="maintenance_windows",
        help_text="None selected: all the client's sites.",
    )
    public_note = ParagraphField(
        max_length=2000,
        blank=True,
        help_text="What the client's status page says about this maintenance, e.g. what is done and why.",
    )

    class Meta:
        ordering = ["start_date", "start_time"]
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="window_key_unique_per_client"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="window_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def check_sites(self, sites: Iterable[Site]) -> None:
        """The sites a window covers are its client's: the one rule the staff pages, the API and
        the config file apply (a many-to-many list is not part of ``full_clean``)."""
        foreign = sorted(site.pk for site in sites if site.client_id != self.client_id)
        if foreign:
            message = gettext_lazy("site %(site)s belongs to another client")
            raise ValidationError({"sites": ValidationError(message, params={"site": foreign[0]})})

    def rule(self, zone: ZoneInfo) -> WindowRule:
        """The window as the domain's recurrence rule, in the client's zone ``zone``."""
        return WindowRule(
            start_local=datetime.combine(self.start_date, self.start_time),
            duration=timedelta(minutes=self.duration_minutes),
            zone=zone,
            rrule=self.rrule,
        )


class MaintenanceTask(ClientChild):
    """Work the agency did, shown to the client in reports: "WordPress 6.8 → 6.9"."""

    class Category(models.TextChoices):
        CMS_CORE = "cms_core", "CMS core update"
        PLUGIN = "plugin", "Plugin update"
        BACKUP = "backup", "Backup"
        SECURITY = "security", "Security"
        PERFORMANCE = "performance", "Performance"
        OTHER = "other", "Other"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="maintenance_tasks")
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="maintenance_tasks"
    )
    date = models.DateField()
    category = models.CharField(max_length=20, choices=Category.choices)
    description = ParagraphField()
    visible_to_client = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "date"], name="task_client_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_category_display()}: {self.description[:60]}"

    def clean(self) -> None:
        if self.site is not None and self.client_id and self.site.client_id != self.client_id:
            raise ValidationError({"site": gettext_lazy("this site belongs to another client")})


class BrandLogo(models.Model):
    """A logo address (an agency's, a client's or a status page's) and the image fetched from it.

    Fetched once through the SSRF guard by the worker (``veilleur.clients.logos``), with size and
    type limits; reports and status pages show these bytes and never fetch the address
    themselves. Keyed by the address alone: it is a copy of a public image, the same for every
    agency that names it. ``failure`` says why the last try stored nothing.
    """

    url = models.URLField(max_length=500, unique=True)
    media_type = models.CharField(max_length=20, blank=True)
    data = models.BinaryField(blank=True, default=b"")
    digest = models.CharField(max_length=64, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    tried_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url

    @property
    def usable(self) -> bool:
        return bool(self.data) and not self.failure
