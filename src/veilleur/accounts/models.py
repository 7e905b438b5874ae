"""The agency that runs Veilleur, its opening-hours calendar, its staff and its API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone

from veilleur.text_fields import LowercaseEmailModel, NameField
from veilleur.validators import (
    validate_color,
    validate_country,
    validate_holidays,
    validate_http_url,
    validate_key,
    validate_time_zone,
    validate_weekly_hours,
)

MANAGED_APPS = frozenset(
    {"accounts", "plans", "clients", "monitoring", "incidents", "notifications", "statuspages"}
)
LANGUAGE_CHOICES = [("fr", "Français"), ("en", "English")]


class Agency(models.Model):
    """The business that sells maintenance plans. Every other row belongs to one."""

    key = models.CharField(max_length=64, unique=True, validators=[validate_key])
    name = NameField(max_length=200)
    base_url = models.URLField(
        max_length=300,
        blank=True,
        validators=[validate_http_url],
        help_text="Public address of this Veilleur, used in links sent by email.",
    )
    time_zone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    country = models.CharField(
        max_length=2,
        default="FR",
        validators=[validate_country],
        help_text="ISO 3166 code; its public holidays seed the opening-hours calendar.",
    )
    logo_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    primary_color = models.CharField(max_length=7, default="#1d4ed8", validators=[validate_color])
    accent_color = models.CharField(max_length=7, default="#f59e0b", validators=[validate_color])
    sender_email = models.EmailField(
        blank=True,
        help_text="The address notifications are sent from. Empty: veilleur@ the host of the public address.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgencyOwned(models.Model):
    """Base of every tenant row: queries are scoped with ``agency=…`` in one step."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", editable=False)

    class Meta:
        abstract = True

    def validate_constraints(self, exclude: Any = None) -> None:
        # The agency is never a form field, so Django would skip every "unique per agency"
        # constraint; once the agency is known those constraints must be checked all the same.
        if exclude and self.agency_id:
            exclude = set(exclude) - {"agency"}
        super().validate_constraints(exclude)


class BusinessCalendar(models.Model):
    """The agency's opening hours: they drive the SLA clock of business-hours plans."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="calendar")
    time_zone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    weekly_hours = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_weekly_hours],
        help_text='Per weekday, a list of ranges: {"mon": ["09:00-12:30", "14:00-18:00"], …}. '
        "An end before its start runs overnight.",
    )
    holidays = models.JSONField(
        default=list, blank=True, validators=[validate_holidays], help_text="Closed dates, YYYY-MM-DD."
    )
    version = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Raised on every change of hours or holidays; incidents record the version they used.",
    )

    def __str__(self) -> str:
        return f"Opening hours of {self.agency}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk:
            before = (
                BusinessCalendar.objects.filter(pk=self.pk)
                .values("time_zone", "weekly_hours", "holidays")
                .first()
            )
            now = {"time_zone": self.time_zone, "weekly_hours": self.weekly_hours, "holidays": self.holidays}
            if before is not None and before != now:
                self.version += 1
        super().save(*args, **kwargs)


DEFAULT_WEEKLY_HOURS = {day: ["09:00-18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


class StaffUserManager(BaseUserManager["StaffUser"]):
    def create_user(self, email: str, agency: Agency, password: str | None = None, **extra: Any) -> StaffUser:
        user = self.model(email=self.normalize_email(email).lower(), agency=agency, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user


class StaffUser(LowercaseEmailModel, AbstractBaseUser):
    """Someone who works at the agency. They sign in with their email address."""

    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="staff")
    email = models.EmailField(unique=True)
    name = NameField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = StaffUserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def is_staff(self) -> bool:
        """Every active staff member may open the admin; what they may change depends on the role."""
        return self.is_active

    @property
    def is_superuser(self) -> bool:
        return False

    @property
    def manages_agency(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.ADMIN)

    # Permissions follow the role, not Django's per-user permission tables: owners and admins
    # change everything of their agency; members read everything and keep the maintenance log.
    MEMBER_WRITABLE: ClassVar[frozenset[str]] = frozenset({"maintenancetask"})

    def has_perm(self, perm: str, obj: object = None) -> bool:
        if not self.is_active:
            return False
        app_label, _, codename = perm.partition(".")
        if app_label not in MANAGED_APPS:
            return False
        action, _, model = codename.partition("_")
        if self.manages_agency:
            # The agency row itself is made by the first run, never added or deleted by hand.
            return not (model == "agency" and action in ("add", "delete"))
        return action == "view" or model in self.MEMBER_WRITABLE

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return all(self.has_perm(perm, obj) for perm in perm_list)

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_active and app_label in MANAGED_APPS


def _digest(secret: str) -> str:
    # Tokens are 256-bit random values, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(AgencyOwned):
    """A bearer token for the REST API. Only its hash is stored; the token is shown once."""

    name = NameField(max_length=100)
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="api_token_name_unique_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def new_secret(self) -> str:
        """Give this token a fresh secret; returns the clear token, which is never stored."""
        self.prefix = secrets.token_hex(4)
        clear = f"vlr_{self.prefix}_{secrets.token_urlsafe(32)}"
        self.digest = _digest(clear)
        return clear

    @classmethod
    def issue(cls, agency: Agency, name: str) -> tuple[ApiToken, str]:
        """Create a token; returns the row and the clear token."""
        token = cls(agency=agency, name=name)
        clear = token.new_secret()
        token.save()
        return token, clear

    @classmethod
    def authenticate(cls, clear: str) -> ApiToken | None:
        parts = clear.split("_", 2)
        if len(parts) != 3 or parts[0] != "vlr":
            return None
        token = cls.objects.select_related("agency").filter(prefix=parts[1], revoked_at__isnull=True).first()
        if token is None or not secrets.compare_digest(token.digest, _digest(clear)):
            return None
        return token

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class SetupLink(models.Model):
    """A one-time link that lets a staff member set their password (first run, invitations)."""

    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="setup_links")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Setup link for {self.user}"

    @classmethod
    def issue(cls, user: StaffUser, valid_for: timedelta) -> str:
        """Invalidate the user's earlier unused links and return a fresh token."""
        now = timezone.now()
        cls.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
        token = secrets.token_urlsafe(32)
        cls.objects.create(user=user, digest=_digest(token), expires_at=now + valid_for)
        return token

    @classmethod
    def find_valid(cls, token: str) -> SetupLink | None:
        return (
            cls.objects.select_related("user", "user__agency")
            .filter(digest=_digest(token), used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )

    def consume(self) -> bool:
        """Mark the link used; False when another request used it first."""
        return SetupLink.objects.filter(pk=self.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1
