"""What the deep certificate check learned about each site's HTTPS hosts.

One :class:`CertificateTarget` per site, host and port (the hosts of the site's https monitors):
when it is next due, which worker holds it, and the latest audit (the certificate served, its
findings). :class:`CertificateChange` is the history of the certificates a target served, one
row each time a different one appeared. :class:`CertificateNotice` is one notice decided for a
target (an expiry threshold crossed, a finding that appeared, a change of certificate); its
unique key is what makes each notice happen once, and its outbox rows hang off it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from veilleur.accounts.models import AgencyOwned
from veilleur.clients.models import Site


class CertificateTarget(AgencyOwned):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="certificate_targets")
    host = models.CharField(max_length=253)
    port = models.PositiveIntegerField(default=443)
    # Schedule and claim: a worker takes a due target with a compare-and-set on claimed_until.
    next_audit_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    # The latest audit. ``error`` is set when no certificate could be read at all.
    audited_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    fingerprint_sha256 = models.CharField(max_length=64, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    issuer = models.CharField(max_length=300, blank=True)
    issuer_cn = models.CharField(max_length=300, blank=True)
    serial = models.CharField(max_length=100, blank=True)
    key_description = models.CharField(max_length=40, blank=True)  # "RSA 2048", "EC 256"
    signature_hash = models.CharField(max_length=20, blank=True)  # "sha256", "sha1"
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    protocol = models.CharField(max_length=16, blank=True)
    # [{"code": "weak_key", "severity": "warning", "params": {...}}], see probes/tls_audit.py
    findings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["site", "host", "port"]
        constraints = [
            models.UniqueConstraint(fields=["site", "host", "port"], name="certificate_target_once")
        ]
        indexes = [models.Index(fields=["next_audit_at"], name="certificate_target_due")]

    def __str__(self) -> str:
        return f"{self.host}:{self.port} ({self.site})"


class CertificateChange(AgencyOwned):
    """A certificate a target served, from the audit that first saw it."""

    class Kind(models.TextChoices):
        FIRST = "first", "First seen"
        RENEWED = "renewed", "Renewed"  # same issuer, later expiry: good news
        NEW_ISSUER = "new_issuer", "New issuer"  # worth a look: who changed it, and why?
        REPLACED = "replaced", "Replaced"  # same issuer, no later expiry

    target = models.ForeignKey(CertificateTarget, on_delete=models.CASCADE, related_name="changes")
    seen_at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    fingerprint_sha256 = models.CharField(max_length=64)
    subject = models.CharField(max_length=300, blank=True)
    issuer = models.CharField(max_length=300, blank=True)
    issuer_cn = models.CharField(max_length=300, blank=True)
    serial = models.CharField(max_length=100, blank=True)
    key_description = models.CharField(max_length=40, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at", "-id"]
        indexes = [models.Index(fields=["target", "-seen_at"], name="certificate_change_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.fingerprint_sha256[:16]} ({self.target})"

    @property
    def kind_label(self) -> str:
        """The kind in the reader's language."""
        from veilleur.certificates.wording import change_in_words

        return change_in_words(self.kind)


class CertificateNotice(AgencyOwned):
    """One notice about a target, decided once: ``key`` names what it is about (the certificate's
    fingerprint and the threshold or finding, or the change), unique per target."""

    class Kind(models.TextChoices):
        EXPIRY = "expiry", "Expiry warning"
        FINDING = "finding", "New finding"
        CHANGED = "changed", "Certificate changed"

    target = models.ForeignKey(CertificateTarget, on_delete=models.CASCADE, related_name="notices")
    change = models.ForeignKey(
        CertificateChange, on_delete=models.CASCADE, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    key = models.CharField(max_length=200)
    # The facts as they were when decided (the mail tells what was true then).
    facts = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["target", "key"], name="certificate_notice_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.target})"
