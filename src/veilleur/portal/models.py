"""The client portal's people: a client's users, their invitations, and the agency's portal domain.

A ``ClientUser`` is not a staff account (``AUTH_USER_MODEL`` is ``StaffUser``): it never passes
Django's authentication middleware and opens only portal pages (``portal/access.py``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from veilleur.accounts.models import Agency
from veilleur.clients.models import Client, ClientChild
from veilleur.text_fields import LowercaseEmailModel, NameField
from veilleur.validators import validate_domain

INVITATION_VALIDITY = timedelta(days=7)


def _digest(token: str) -> str:
    # Tokens are 256-bit random values: a fast hash is enough, there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


class ClientUser(LowercaseEmailModel, ClientChild, AbstractBaseUser):
    """Someone at the client who signs in to the portal and sees that client's data only."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_users")
    email = models.EmailField()
    name = NameField(max_length=200, blank=True)
    invited_at = models.DateTimeField(default=timezone.now, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    objects = models.Manager["ClientUser"]()

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["client", "email"], name="portal_user_email_unique_per_client")
        ]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def state(self) -> str:
        """``revoked``, ``active`` (has set a password) or ``invited``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.activated_at is not None else "invited"

    @classmethod
    def signing_in(cls, agency: Agency | None = None) -> models.QuerySet[ClientUser]:
        """Users who may sign in now: not revoked, and their client's plan includes the portal.
        On an agency's own portal domain, that agency's users only."""
        users = cls.objects.filter(revoked_at__isnull=True, client__plan__client_portal=True)
        return users if agency is None else users.filter(agency=agency)


def able_to_sign_in_during(client: Client, start: datetime, end: datetime) -> int:
    """How many of ``client``'s users could sign in at some time in ``[start, end)``: what a
    report may say about the portal."""
    return (
        ClientUser.objects.filter(client=client, activated_at__lt=end)
        .filter(Q(revoked_at__isnull=True) | (Q(revoked_at__gt=start) & Q(revoked_at__gt=F("activated_at"))))
        .count()
    )


class Invitation(models.Model):
    """A one-time link by which a client user sets their password. Only its hash is stored; a
    new one (regenerated) ends the earlier ones."""

    user = models.ForeignKey(ClientUser, on_delete=models.CASCADE, related_name="invitations")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Invitation of {self.user}"

    @classmethod
    def issue(cls, user: ClientUser, now: datetime | None = None) -> str:
        """End the user's unused invitations and return the token of a fresh one."""
        now = now or timezone.now()
        cls.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        token = secrets.token_urlsafe(32)
        cls.objects.create(
            user=user, digest=_digest(token), created_at=now, expires_at=now + INVITATION_VALIDITY
        )
        return token

    @classmethod
    def find_valid(cls, token: str, agency: Agency | None = None) -> Invitation | None:
        found = (
            cls.objects.select_related("user", "user__client", "user__agency")
            .filter(digest=_digest(token), used_at__isnull=True, expires_at__gt=timezone.now())
            .filter(user__in=ClientUser.signing_in(agency))
            .first()
        )
        return found

    def consume(self) -> bool:
        """Mark the invitation used; False when another request used it first."""
        return Invitation.objects.filter(pk=self.pk, used_at__isnull=True).update(used_at=timezone.now()) == 1

    @property
    def pending(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class PortalDomain(models.Model):
    """The agency's own address for its clients' portal (e.g. ``portal.agency.example``): served
    there as on the agency's host, with a certificate obtained on demand (docs/portal.md)."""

    agency = models.OneToOneField(Agency, on_delete=models.CASCADE, related_name="portal_domain")
    domain = models.CharField(
        max_length=253,
        unique=True,
        validators=[validate_domain],
        help_text="e.g. portal.your-agency.example, pointed at this install by a CNAME or A record.",
    )

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = self.domain.strip().rstrip(".").lower()
        super().save(*args, **kwargs)
