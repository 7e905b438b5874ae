"""What the registries say about the domains of monitored sites (RDAP), and the notices sent.

A registration is public data about a domain, not a client's data: one row per registrable
domain serves every site under it, so a registry is asked at most once a day per domain
whichever sites and agencies share it. Pages reach a row only through a site of their own.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from veilleur.accounts.models import AgencyOwned
from veilleur.clients.models import Site


class DomainRegistration(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Not looked up yet"
        FOUND = "found", "Expiry date published"
        NOT_PUBLISHED = "not_published", "Not published by the registry"
        UNKNOWN_DOMAIN = "unknown_domain", "Unknown to the registry"
        ERROR = "error", "Lookup failed"

    domain = models.CharField(max_length=253, unique=True)  # registrable, lower-case, A-labels
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    registrar = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Where the answer came from (the registry's or the registrar's RDAP service).
    source_url = models.CharField(max_length=500, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(default=timezone.now)
    # Why the last lookup failed ("" after a good answer). A failure keeps the facts found before.
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["domain"]
        indexes = [models.Index(fields=["next_check_at"], name="domain_registration_due")]

    def __str__(self) -> str:
        return self.domain


class RdapBootstrap(models.Model):
    """The IANA RDAP bootstrap file (which service answers for which TLD), kept between runs:
    fetched again once a week, not for every lookup."""

    url = models.CharField(max_length=500, unique=True)
    body = models.BinaryField()
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url


class DomainNotice(AgencyOwned):
    """One warning to the agency that a site's domain expires in ``threshold_days`` days or
    less. Unique per site, domain, expiry date and threshold: written in the transaction of its
    outbox rows, so it is sent once whatever the number of workers; a renewal (a new expiry
    date) starts the thresholds again."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="domain_notices")
    domain = models.CharField(max_length=253)
    expires_at = models.DateTimeField()
    threshold_days = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "domain", "expires_at", "threshold_days"], name="domain_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.domain}: {self.threshold_days} days"
