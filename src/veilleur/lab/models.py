"""Lab page metrics: once a day, a site's home page loaded in headless Chromium.

One :class:`LabRun` per site and UTC day. The row is inserted before the browser starts, so the
unique (site, day) key is what keeps two workers from measuring the same site twice; a row left
``running`` by a worker killed mid-run is taken over once its lease has expired (``lab/jobs.py``).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from veilleur.clients.models import Site


class LabStatus(models.TextChoices):
    RUNNING = "running", _("being measured")
    MEASURED = "measured", _("measured")
    FAILED = "failed", _("the page could not be measured")
    NO_BROWSER = "no_browser", _("not measured: Chromium not installed")


class LabRun(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="lab_runs", db_index=False)
    day = models.DateField(help_text="UTC date of the measurement.")
    status = models.CharField(max_length=16, choices=LabStatus.choices, default=LabStatus.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=500, help_text="The page measured (the site's home page).")
    ttfb_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Time to first byte.")
    lcp_ms = models.PositiveIntegerField(null=True, blank=True, help_text="Largest contentful paint.")
    cls = models.FloatField(null=True, blank=True, help_text="Cumulative layout shift (no unit).")
    transferred_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    request_count = models.PositiveIntegerField(null=True, blank=True)
    blocked_requests = models.PositiveIntegerField(
        default=0, help_text="Requests refused because they led to a private or reserved address."
    )
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["site", "-day"]
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="lab_run_one_per_site_day")]

    def __str__(self) -> str:
        return f"lab metrics of site {self.site_id} on {self.day}"
