"""What the agency sells. Everything Veilleur does for a site follows from the client's plan."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import Agency, AgencyOwned
from veilleur.domain.plans import (
    DEFAULT_CERTIFICATE_LIFETIME_FRACTION,
    DEFAULT_CERTIFICATE_WARNING_DAYS,
    DEFAULT_DEGRADED_ABOVE_MS,
    DEFAULT_DEGRADED_AFTER_CHECKS,
    DEFAULT_DEGRADED_BASELINE_FACTOR,
    DEFAULT_DOMAIN_WARNING_DAYS,
    DEFAULT_PLANS,
    CreditStep,
    check_warning_days,
)
from veilleur.text_fields import NameField
from veilleur.validators import refusal, validate_key


def validate_service_credits(value: Any) -> None:
    """A list of {"below_percent": 99.9, "credit_percent": 10} steps."""
    if not isinstance(value, list):
        raise ValidationError(
            gettext_lazy("service credits must be a list of {below_percent, credit_percent} steps")
        )
    for step in value:
        if not isinstance(step, dict) or set(step) != {"below_percent", "credit_percent"}:
            raise ValidationError(
                gettext_lazy("each service-credit step has exactly below_percent and credit_percent")
            )
        try:
            below = Decimal(str(step["below_percent"]))
        except ArithmeticError as exc:
            raise ValidationError(
                gettext_lazy("below_percent %(value)s is not a number"),
                params={"value": repr(step["below_percent"])},
            ) from exc
        credit = step["credit_percent"]
        if not (Decimal(0) < below <= Decimal(100)):
            raise ValidationError(
                gettext_lazy("below_percent %(value)s must lie in (0, 100]"), params={"value": below}
            )
        if not isinstance(credit, int) or isinstance(credit, bool) or not 0 < credit <= 100:
            raise ValidationError(
                gettext_lazy("credit_percent %(value)s must be a whole number in 1..100"),
                params={"value": repr(credit)},
            )


# --- certificate monitoring: expiry warning thresholds (domain/certificates.py) ---
def validate_warning_days(value: Any) -> None:
    """Days before expiry at which to warn: distinct whole numbers from 1 to 365."""
    if not isinstance(value, list) or not value:
        raise ValidationError(gettext_lazy("give a list of whole numbers of days, e.g. [30, 14, 7, 3, 1]"))
    for days in value:
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            raise ValidationError(
                gettext_lazy("%(days)s is not a whole number of days from 1 to 365"),
                params={"days": repr(days)},
            )
    if len(set(value)) != len(value):
        raise ValidationError(gettext_lazy("a number of days is listed twice"))


def default_warning_days() -> list[int]:
    return list(DEFAULT_CERTIFICATE_WARNING_DAYS)


def validate_interval(value: int) -> None:
    minimum = settings.VEILLEUR_MIN_INTERVAL_SECONDS
    if value < minimum:
        raise ValidationError(
            gettext_lazy("check interval %(value)s s is below the minimum of %(minimum)s s"),
            params={"value": value, "minimum": minimum},
        )


def validate_domain_warning_days(value: Any) -> None:
    try:
        check_warning_days(value)
    except ValueError as exc:
        raise refusal(exc) from exc


def default_domain_warning_days() -> list[int]:
    return list(DEFAULT_DOMAIN_WARNING_DAYS)


class Plan(AgencyOwned):
    class ResponseCalendar(models.TextChoices):
        BUSINESS = "business", "Business hours"
        ALWAYS = "always", "24/7"

    key = models.CharField(max_length=64, validators=[validate_key])
    name = NameField(max_length=100)
    check_interval_seconds = models.PositiveIntegerField(validators=[validate_interval])
    price_min_eur = models.PositiveIntegerField(default=0)
    price_max_eur = models.PositiveIntegerField(default=0)
    email_alerts = models.BooleanField(default=True)
    monthly_report = models.BooleanField(default=True)
    maintenance_log = models.BooleanField(default=True)
    status_page = models.BooleanField(default=False)
    client_portal = models.BooleanField(default=False)
    ssl_monitoring = models.BooleanField(default=False)
    performance_monitoring = models.BooleanField(default=False)
    quarterly_review = models.BooleanField(default=False)
    response_target_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    response_calendar = models.CharField(max_length=10, choices=ResponseCalendar.choices)
    uptime_target_percent = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
    )
    service_credits = models.JSONField(default=list, blank=True, validators=[validate_service_credits])
    confirmation_checks = models.PositiveSmallIntegerField(
        default=2,
        validators=[MaxValueValidator(5)],
        help_text="Re-checks of a failure before an incident opens, and of a success before it closes.",
    )
    # Degraded performance (plans with performance_monitoring): the defaults of the slowness rules.
    degraded_above_ms = models.PositiveIntegerField(
        default=DEFAULT_DEGRADED_ABOVE_MS,
        validators=[MinValueValidator(100), MaxValueValidator(120_000)],
        help_text="A check slower than this (total time, ms) is slow; a site may set its own threshold.",
    )
    degraded_after_checks = models.PositiveSmallIntegerField(
        default=DEFAULT_DEGRADED_AFTER_CHECKS,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=(
            "Consecutive slow checks before a degraded-performance incident opens, "
            "and normal ones before it closes."
        ),
    )
    degraded_baseline_factor = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=DEFAULT_DEGRADED_BASELINE_FACTOR,
        validators=[MinValueValidator(Decimal("1.2")), MaxValueValidator(Decimal("20"))],
        help_text="Slow when the last 15 minutes' p95 is above this many times the site's 14-day p95.",
    )
    # --- certificate monitoring (with ssl_monitoring): expiry warnings, docs/certificates.md ---
    certificate_warning_days = models.JSONField(
        default=default_warning_days,
        blank=True,
        validators=[validate_warning_days],
        help_text="Warn this many days before a certificate expires, e.g. [30, 14, 7, 3, 1].",
    )
    certificate_lifetime_fraction = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=DEFAULT_CERTIFICATE_LIFETIME_FRACTION,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.9"))],
        help_text="Also warn when this share of a certificate's lifetime is left (0.3333: a third); "
        "earlier day thresholds are skipped for short-lived certificates.",
    )
    # Domains and CMS versions. The domain's registration expiry is watched with the
    # certificates (``ssl_monitoring``); these are when the agency hears of it.
    cms_versions = models.BooleanField(
        default=False, help_text="Record the site's CMS and its version (one home-page fetch a day)."
    )
    domain_warning_days = models.JSONField(
        default=default_domain_warning_days,
        blank=True,
        validators=[validate_domain_warning_days],
        help_text="Days before the domain's registration expires at which the agency is warned.",
    )

    class Meta:
        ordering = ["check_interval_seconds", "key"]
        constraints = [models.UniqueConstraint(fields=["agency", "key"], name="plan_key_unique_per_agency")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.price_max_eur < self.price_min_eur:
            raise ValidationError({"price_max_eur": gettext_lazy("the highest price is below the lowest")})

    def domain_warning_thresholds(self) -> tuple[int, ...]:
        """The domain warning thresholds, largest first."""
        return check_warning_days(self.domain_warning_days)

    def credit_steps(self) -> tuple[CreditStep, ...]:
        return tuple(
            CreditStep(Decimal(str(step["below_percent"])), int(step["credit_percent"]))
            for step in self.service_credits
        )


def seed_default_plans(agency: Agency) -> list[Plan]:
    """Create the three plans of DESIGN.md §1 for a new agency (existing keys are left alone)."""
    created = []
    for spec in DEFAULT_PLANS:
        if Plan.objects.filter(agency=agency, key=spec.key).exists():
            continue
        created.append(
            Plan.objects.create(
                agency=agency,
                key=spec.key,
                name=spec.name,
                check_interval_seconds=spec.check_interval_seconds,
                price_min_eur=spec.price_min_eur,
                price_max_eur=spec.price_max_eur,
                email_alerts=spec.email_alerts,
                monthly_report=spec.monthly_report,
                maintenance_log=spec.maintenance_log,
                status_page=spec.status_page,
                client_portal=spec.client_portal,
                ssl_monitoring=spec.ssl_monitoring,
                performance_monitoring=spec.performance_monitoring,
                quarterly_review=spec.quarterly_review,
                response_target_minutes=spec.response_target_minutes,
                response_calendar=spec.response_calendar,
                uptime_target_percent=spec.uptime_target_percent,
                service_credits=[
                    {"below_percent": float(step.below_percent), "credit_percent": step.credit_percent}
                    for step in spec.service_credits
                ],
                confirmation_checks=spec.confirmation_checks,
                # Degraded performance
                degraded_above_ms=spec.degraded_above_ms,
                degraded_after_checks=spec.degraded_after_checks,
                degraded_baseline_factor=spec.degraded_baseline_factor,
                certificate_warning_days=list(spec.certificate_warning_days),
                certificate_lifetime_fraction=spec.certificate_lifetime_fraction,
                cms_versions=spec.cms_versions,
                domain_warning_days=list(spec.domain_warning_days),
            )
        )
    return created
