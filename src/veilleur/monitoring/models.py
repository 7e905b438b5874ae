"""What is checked, how, and how often."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

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
    # The pause flag as the database last held it (None: not loaded), so that ``save`` records
    # when a pause begins or ends.
    _paused_in_db: bool | None = None

    class Meta:
        ordering = ["site", "key"]
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="monitor_key_unique_per_site")]

    def __str__(self) -> str:
        return f"{self.site} — {self.key}"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> Monitor:
        monitor = super().from_db(db, field_names, values)
        monitor._paused_in_db = monitor.__dict__.get("paused")
        return monitor

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.site.agency_id
        self.method = self.method.upper()
        with transaction.atomic():
            super().save(*args, **kwargs)
            if self.paused != bool(self._paused_in_db):
                record_pauses([self.pk], self.paused)
        self._paused_in_db = self.paused

    def clean(self) -> None:
        interval = self.effective_interval_seconds() if self.site_id else None
        if interval is not None and self.timeout_seconds >= interval:
            raise ValidationError(
                {
                    "timeout_seconds": ValidationError(
                        gettext_lazy("the timeout must be shorter than the interval (%(interval)s s)"),
                        params={"interval": interval},
                    )
                }
            )

    def effective_interval_seconds(self) -> int:
        return self.interval_seconds or self.site.client.plan.check_interval_seconds


class MonitorRuntime(models.Model):
    """The checker's working state of a monitor, apart from its configuration.

    Schedule: ``next_slot_at`` is the next regular check, always a whole number of intervals
    from the monitor's phase, so the cadence never drifts; ``confirm_at`` is an extra check that
    confirms a failure or a recovery; ``due_at`` is the earlier of the two (one indexed column
    for the lease query). Lease: a checker owns the monitor until ``lease_expires_at``; a dead
    checker's lease simply expires. State: the incident state machine's value
    (``domain.incidents.MonitorState``), stored in the same transaction as the result that made it.
    """

    monitor = models.OneToOneField(
        Monitor, on_delete=models.CASCADE, primary_key=True, related_name="runtime"
    )
    due_at = models.DateTimeField()
    next_slot_at = models.DateTimeField()
    confirm_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    phase = models.CharField(max_length=16, default="up")
    streak = models.PositiveSmallIntegerField(default=0)
    streak_started_at = models.DateTimeField(null=True, blank=True)
    cause_error_class = models.CharField(max_length=24, blank=True)
    cause_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    cause_message = models.CharField(max_length=300, blank=True)
    incident_started_at = models.DateTimeField(null=True, blank=True)
    streak_proof = models.JSONField(default=list, blank=True)

    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True, blank=True)
    last_error_class = models.CharField(max_length=24, blank=True)
    last_total_ms = models.PositiveIntegerField(null=True, blank=True)
    # The SHA-256 of the leaf certificate the last check was served (upper-case hex), for plans
    # with certificate monitoring: a change makes the deep certificate check run at once.
    served_certificate_sha256 = models.CharField(max_length=64, blank=True)

    # Checkers in several regions (checker/regions.py): who may make the pending confirming check
    # (only this region, or none of these, written ",a,b,"), and the regions of the partial
    # outage now open (same form; empty: none).
    confirm_only_region = models.CharField(max_length=32, blank=True)
    confirm_not_regions = models.CharField(max_length=400, blank=True)
    partial_regions = models.CharField(max_length=400, blank=True)

    class Meta:
        indexes = [models.Index(fields=["due_at"], name="runtime_due")]

    def __str__(self) -> str:
        return f"runtime of monitor {self.monitor_id}"


class CheckResult(models.Model):
    """One check, as it happened. Kept for the raw-result retention, then only in rollups."""

    id = models.BigAutoField(primary_key=True)
    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="results", db_index=False)
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    confirmation = models.BooleanField(
        default=False, help_text="An extra check confirming a change of state."
    )
    in_maintenance = models.BooleanField(default=False)
    error_class = models.CharField(max_length=24, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    dns_ms = models.PositiveIntegerField(null=True, blank=True)
    connect_ms = models.PositiveIntegerField(null=True, blank=True)
    tls_ms = models.PositiveIntegerField(null=True, blank=True)
    ttfb_ms = models.PositiveIntegerField(null=True, blank=True)
    total_ms = models.PositiveIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    region = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["monitor", "checked_at"], name="result_monitor_time")]

    def __str__(self) -> str:
        return f"{self.checked_at:%Y-%m-%d %H:%M:%S} {'ok' if self.ok else self.error_class}"


class CheckerHeartbeat(models.Model):
    """A checker process, as last seen: which regions are alive (checker/regions.py).

    Written when the checker leases and renews its leases (every few seconds); a region is alive
    while one of its checkers was seen recently."""

    owner = models.CharField(max_length=64, primary_key=True)
    region = models.CharField(max_length=32, blank=True)
    last_seen = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["last_seen"], name="heartbeat_last_seen")]

    def __str__(self) -> str:
        return f"checker {self.owner} ({self.region or 'default region'})"


class NoDataGap(models.Model):
    """A span with no result for longer than 2 × interval + 30 s: Veilleur's own outage, never
    counted as up or down (DESIGN.md §5)."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="gaps", db_index=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["monitor", "started_at"], name="gap_monitor_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gt=models.F("started_at")), name="gap_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"no data {self.started_at:%Y-%m-%d %H:%M}–{self.ended_at:%H:%M}"


class PausedSpan(models.Model):
    """A span during which a monitor was paused: excluded from its monitored time (DESIGN.md §5),
    never counted as up or down. ``ended_at`` is empty while the pause lasts."""

    monitor = models.ForeignKey(Monitor, on_delete=models.CASCADE, related_name="pauses", db_index=False)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["monitor", "started_at"], name="pause_monitor_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="pause_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["monitor"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_pause_per_monitor",
            ),
        ]

    def __str__(self) -> str:
        return f"paused from {self.started_at:%Y-%m-%d %H:%M}"


def set_paused(monitor_ids: list[int], paused: bool) -> int:
    """Pause or resume several monitors at once (bulk actions), recording their spans.

    Compare-and-set on the flag: only the monitors whose flag changes here open or close a span.
    Returns how many changed."""
    with transaction.atomic():
        changed = list(
            Monitor.objects.select_for_update()
            .filter(pk__in=monitor_ids, paused=not paused)
            .values_list("pk", flat=True)
        )
        Monitor.objects.filter(pk__in=changed).update(paused=paused)
        record_pauses(changed, paused)
    return len(changed)


def record_pauses(monitor_ids: list[int], paused: bool) -> None:
    """Open a pause span now (for monitors without one open), or close the open ones. Idempotent:
    a repeated call changes nothing, so two requests pausing one monitor record one pause."""
    now = timezone.now()
    if not paused:
        PausedSpan.objects.filter(monitor_id__in=monitor_ids, ended_at__isnull=True).update(ended_at=now)
        return
    # The database keeps one open span per monitor: a pause already open is left as it began.
    PausedSpan.objects.bulk_create(
        [PausedSpan(monitor_id=pk, started_at=now) for pk in monitor_ids], ignore_conflicts=True
    )


class CheckerOutage(models.Model):
    """A span during which one checker could not see the Internet (its network or its DNS was
    lost): its verdicts were withheld, so no client incident opened for an outage of ours. Not
    owned by an agency: a checker serves every agency of the install (docs/operations.md)."""

    owner = models.CharField(max_length=100, help_text="The checker (host:pid) that was cut off.")
    region = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while the outage lasts.")
    reason = models.CharField(max_length=300)
    monitors_affected = models.PositiveIntegerField(
        default=0, help_text="Monitors whose checks this checker withheld or gave back to others."
    )
    stopped = models.BooleanField(
        default=False,
        help_text="Ended because the checker stopped (or was found dead), not because it could reach "
        "the Internet again.",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "checker outage"
        indexes = [models.Index(fields=["ended_at"], name="checker_outage_open")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__isnull=True) | models.Q(ended_at__gte=models.F("started_at")),
                name="checker_outage_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"checker {self.owner} cut off since {self.started_at:%Y-%m-%d %H:%M:%S}"
