"""The software a site runs (CMS and version), looked at once a day from its home page.

``SoftwareCheck`` is the daily look (one row per site: when, what was seen, why it failed);
``SoftwareChange`` is recorded once per change: the first product seen, then every new product
or version ("WordPress 6.8.1 → 6.9 on 12 Nov").
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from veilleur.accounts.models import AgencyOwned
from veilleur.clients.models import Site


class SoftwareCheck(AgencyOwned):
    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="software_check")
    checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now)
    product = models.CharField(max_length=40, blank=True)  # "" when nothing was recognised
    version = models.CharField(max_length=40, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["next_check_at"], name="software_check_due")]

    def __str__(self) -> str:
        return f"{self.site_id}: {self.product} {self.version}".strip()


class SoftwareChange(AgencyOwned):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="software_changes")
    product = models.CharField(max_length=40)
    version = models.CharField(max_length=40, blank=True)
    previous_product = models.CharField(max_length=40, blank=True)  # "" for the first sighting
    previous_version = models.CharField(max_length=40, blank=True)
    detected_at = models.DateTimeField()
    evidence = models.CharField(max_length=200)  # where it was seen: "meta generator", a header

    class Meta:
        ordering = ["-detected_at", "-id"]
        indexes = [models.Index(fields=["site", "-detected_at"], name="software_change_recent")]

    def __str__(self) -> str:
        return f"{self.product} {self.version}".strip()
