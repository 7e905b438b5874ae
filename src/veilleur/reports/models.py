"""The archive of the reports sent to clients: what was sent is kept, byte for byte."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from veilleur.accounts.models import LANGUAGE_CHOICES, AgencyOwned
from veilleur.clients.models import Client


class Report(AgencyOwned):
    """One client's report for one period, as HTML and PDF. Regenerating replaces the content of
    the same row; ``sent_at`` records when the worker queued it for the client's contacts."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MONTHLY)
    period_start = models.DateField(help_text="The first day of the period (of the month).")
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    # The headline the e-mail quotes, kept so that sending never recomputes the report.
    uptime_percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    html = models.TextField()
    pdf = models.BinaryField()
    generated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_start", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "period_start"], name="report_one_per_period"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report {self.period_start:%Y-%m} of client {self.client_id}"
