"""One row per counted attempt: the limiter counts the rows of a subject inside its window."""

from __future__ import annotations

from django.db import models


class Attempt(models.Model):
    """An attempt that counts against a limit (a wrong status-page password, a subscription
    request). ``subject`` says what is limited: a page, a client address; rows older than the
    longest window are deleted as new ones arrive."""

    scope = models.CharField(max_length=40)
    subject = models.CharField(max_length=100)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scope", "subject", "at"], name="throttle_scope_subject_at")]

    def __str__(self) -> str:
        return f"{self.scope} {self.subject} at {self.at:%Y-%m-%d %H:%M:%S}"
