"""What is checked, how, and how often."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from veilleur.accounts.models import AgencyOwned
from veilleur.clients.models import Site
from veilleur.plans.models import validate_interval
from veilleur.validators import (
    validate_headers,
    validate_http_method,
    validate_http_url,
    validate_key,
    validate_status_spec,
)


class Monitor(AgencyOwned):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="monitors")
    key = models.CharField(max_length=64, validators=[validate_key])
    url = models.URLField(max_length=1000, validators=[validate_http_url])
    method = models.CharField(max_length=7, default="GET", validators=[validate_http_method])
    request_headers = models.JSONField(default=dict, blank=True, validators=[validate_headers])
    expected_status = models.CharField(
        max_length=200,
        default="200-399",
        validators=[validate_status_spec],
        help_text="Codes and ranges, e.g. 200-299,301.",
    )
    keyword = models.CharField(max_length=500, blank=True, help_text="Text that must appear in the body.")
    forbidden_keyword = models.CharField(max_length=500, blank=True, help_text="Text that must not appear.")
    timeout_seconds = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    follow_redirects = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[validate_interval],
        help_text="Empty: the plan's interval.",
    )
    paused = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["site", "key"]
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="monitor_key_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site} — {self.key}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.site.agency_id
        self.method = self.method.upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        interval = self.effective_interval_seconds() if self.site_id else None
        if interval is not None and self.timeout_seconds >= interval:
            raise ValidationError(
                {"timeout_seconds": f"the timeout must be shorter than the interval ({interval} s)"}
            )

    def effective_interval_seconds(self) -> int:
        return self.interval_seconds or self.site.client.plan.check_interval_seconds
