"""Incidents (confirmed outages) with every timestamp, and blips (unconfirmed failures)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from veilleur.accounts.models import AgencyOwned, StaffUser
from veilleur.monitoring.models import Monitor
from veilleur.text_fields import NameField, ParagraphField


class AckChannel(models.TextChoices):
    EMAIL_LINK = "email_link", "Link in the alert email"
    STAFF_PAGE = "staff_page", "Staff pages (incident page or queue)"
    API = "api", "REST API"


class Incident(AgencyOwned):
    """A confirmed outage. Downtime runs from ``first_failed_at`` to ``recovered_at``.

    Timestamps (DESIGN.md §5): first_failed_at (the first failed check of the confirmed streak),
    confirmed_at (when the check that confirmed it completed), notified_at, acknowledged_at (+ who, which
    channel), first_client_update_at, recovered_at (the first successful check of the confirmed
    recovery), resolved_at (the check that confirmed the recovery). The database refuses them out
    of order, and refuses a second open incident of the same kind on a monitor.

    A DEGRADED incident (slow but up, ``incidents/degraded.py``) uses the same timestamps: the first
    slow check of the streak, the check that made the rule fire, the first check of the clearing
    streak and the check that cleared it. It is never downtime (DESIGN.md §5).

    A PARTIAL incident (checkers in several regions, ``domain/quorum.py``): some regions failed
    while most succeeded. Its timestamps are those of the rounds that opened and ended it; it is
    never downtime either.
    """

    class Kind(models.TextChoices):
        DOWN = "down", "Down"
        DEGRADED = "degraded", "Degraded performance"
        PARTIAL = "partial", "Partial outage"

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="incidents")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.DOWN)
    first_failed_at = models.DateTimeField()
    confirmed_at = models.DateTimeField()
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        StaffUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_by_label = models.CharField(
        max_length=200,
        blank=True,
        help_text="Who acknowledged, in words: a staff member, the address an alert went to, an API token.",
    )
    ack_channel = models.CharField(max_length=20, blank=True, choices=AckChannel.choices)
    first_client_update_at = models.DateTimeField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    cause_error_class = models.CharField(max_length=24)
    cause_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    cause_message = models.CharField(max_length=300, blank=True)
    # A PARTIAL incident: the regions that failed while the others succeeded (comma-separated).
    regions = models.CharField(max_length=400, blank=True)
    # The response SLA clock (DESIGN.md §5), fixed when the incident is confirmed.
    sla_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_calendar = models.CharField(max_length=10, blank=True, help_text="business or always")
    sla_calendar_version = models.PositiveIntegerField(null=True, blank=True)
    sla_started_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True)
    sla_warning_sent_at = models.DateTimeField(null=True, blank=True)
    sla_breach_sent_at = models.DateTimeField(null=True, blank=True)
    proof = models.JSONField(default=list, blank=True, help_text="The checks that confirmed the outage.")
    recovery_proof = models.JSONField(
        default=list, blank=True, help_text="The checks that confirmed the recovery."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-first_failed_at"]
        indexes = [
            models.Index(fields=["monitor", "first_failed_at"], name="incident_monitor_start"),
            models.Index(fields=["agency", "resolved_at"], name="incident_agency_open"),
            models.Index(fields=["agency", "-first_failed_at"], name="incident_agency_recent"),
        ]
        constraints = [
            # One open incident per monitor and kind: a site can be slow (DEGRADED) and then go
            # down (DOWN) while the slow incident is still open.
            models.UniqueConstraint(
                fields=["monitor", "kind"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_incident_per_monitor_kind",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_at__gte=F("first_failed_at")), name="incident_confirmed_after_failure"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_at__gte=F("confirmed_at")),
                name="incident_acknowledged_after_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(recovered_at__isnull=True) | Q(recovered_at__gt=F("confirmed_at")),
                name="incident_recovered_after_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(recovered_at__isnull=False, resolved_at__gte=F("recovered_at")),
                name="incident_resolved_after_recovered",
            ),
        ]

    def __str__(self) -> str:
        state = "slow" if self.kind == self.Kind.DEGRADED else "down"
        return f"{self.monitor} {state} since {self.first_failed_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.monitor.agency_id
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None

    def downtime_seconds(self, now: Any = None) -> float:
        end = self.recovered_at or now or timezone.now()
        return max(0.0, (end - self.first_failed_at).total_seconds())


class Blip(models.Model):
    """A failure that confirmation checks did not confirm: no downtime, but listed."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="blips", db_index=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    error_class = models.CharField(max_length=24)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["monitor", "started_at"], name="blip_monitor_start")]

    def __str__(self) -> str:
        return f"blip {self.started_at:%Y-%m-%d %H:%M:%S} {self.error_class}"


class IncidentUpdate(AgencyOwned):
    """A public note on an incident, written by the agency for the client's status page.

    The first one sets the incident's ``first_client_update_at``: the proof of when the client
    was first told.
    """

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=Status.choices)
    message = ParagraphField(max_length=5000)
    posted_at = models.DateTimeField(default=timezone.now)
    posted_by_label = NameField(max_length=200, blank=True)

    class Meta:
        ordering = ["posted_at", "id"]
        indexes = [models.Index(fields=["incident", "posted_at"], name="update_incident_time")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.posted_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.incident.agency_id
        super().save(*args, **kwargs)


class IncidentNote(AgencyOwned):
    """What the agency keeps for itself about an incident: an internal note (who is on it, what
    was tried) or the resolution note (what fixed it). Staff only: never on a status page, in a
    notice or in a client's document."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal note"
        RESOLUTION = "resolution", "Resolution note"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.INTERNAL)
    text = ParagraphField(max_length=5000)
    written_at = models.DateTimeField(default=timezone.now)
    written_by = models.ForeignKey(
        StaffUser, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    written_by_label = NameField(max_length=200, blank=True)

    class Meta:
        ordering = ["written_at", "id"]
        indexes = [models.Index(fields=["incident", "written_at"], name="note_incident_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.written_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.incident.agency_id
        super().save(*args, **kwargs)
