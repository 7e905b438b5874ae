"""A client's public status page, the sites it shows, and the people subscribed to it."""

from __future__ import annotations

import secrets
from contextlib import suppress
from typing import Any

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import LANGUAGE_CHOICES, AgencyOwned
from veilleur.clients.models import Client, ClientChild, Site
from veilleur.domain.validators import check_embed_origins
from veilleur.text_fields import LowercaseEmailModel, NameField
from veilleur.validators import (
    validate_domain,
    validate_embed_origins,
    validate_http_url,
    validate_key,
    validate_optional_color,
)


def new_domain_token() -> str:
    return secrets.token_urlsafe(24)


class StatusPage(ClientChild):
    """The page a client shows the world. ``slug`` is global, as ``/s/<slug>/`` is one namespace
    for the whole install; a custom domain is served only once it is verified."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        PASSWORD = "password", "Password-protected"

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="status_page")
    slug = models.CharField(max_length=64, unique=True, validators=[validate_key])
    title = NameField(max_length=200)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    password_hash = models.CharField(max_length=200, blank=True, editable=False)
    logo_url = models.URLField(
        max_length=500, blank=True, validators=[validate_http_url], help_text="Empty: the client's logo."
    )
    favicon_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    primary_color = models.CharField(
        max_length=7,
        blank=True,
        validators=[validate_optional_color],
        help_text="Empty: the client's colour.",
    )
    accent_color = models.CharField(max_length=7, blank=True, validators=[validate_optional_color])
    footer_text = NameField(max_length=200, blank=True)
    footer_url = models.URLField(max_length=500, blank=True, validators=[validate_http_url])
    # None: no domain (a column once unique, where several empty values had to be NULL).
    custom_domain = models.CharField(  # noqa: DJ001
        max_length=253,
        null=True,
        blank=True,
        # Unique only once verified (see Meta); indexed for the routing's look-up by Host.
        db_index=True,
        validators=[validate_domain],
        help_text="e.g. status.example.com; served once verified (CNAME or TXT record).",
    )
    # The https origins whose pages may show this one in a frame; empty: none may.
    embed_origins = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_embed_origins],
        help_text="e.g. https://www.example.com; empty: no other site may show the page in a frame.",
    )
    domain_token = models.CharField(max_length=64, default=new_domain_token, editable=False)
    domain_verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped whenever something the page shows changes; cached renderings carry the version
    # they were made from, so a state change is visible on the next request.
    state_version = models.PositiveBigIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # What an agency sets on a page, the same in the admin and the config file (the password
    # and the components have their own rules).
    SETTINGS = (
        "slug",
        "title",
        "language",
        "visibility",
        "logo_url",
        "favicon_url",
        "primary_color",
        "accent_color",
        "footer_text",
        "footer_url",
        "custom_domain",
        "embed_origins",
    )

    class Meta:
        ordering = ["slug"]
        constraints = [
            # Several pages may claim a domain while it is pending (a claim proves nothing); only
            # one may hold it verified, so a squatter's unverified claim blocks nobody.
            models.UniqueConstraint(
                Lower("custom_domain"),
                condition=Q(domain_verified_at__isnull=False),
                name="custom_domain_unique_once_verified",
                violation_error_message="This domain is already verified by another status page.",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def normalise(self) -> None:
        if self.custom_domain is not None:
            self.custom_domain = self.custom_domain.strip().lower() or None
        if isinstance(self.embed_origins, list):
            # Kept as typed when wrong: validation then names what is wrong with it.
            with suppress(ValueError):
                self.embed_origins = check_embed_origins(self.embed_origins)

    def clean_fields(self, exclude: Any = None) -> None:
        # Normalised before validation, so that uniqueness is checked on the value stored.
        self.normalise()
        super().clean_fields(exclude)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.normalise()
        super().save(*args, **kwargs)
        # Any edit changes what the page shows; bumped in the database, not from this object's
        # copy, so a concurrent bump by the checker is never overwritten with an older number.
        StatusPage.objects.filter(pk=self.pk).update(state_version=F("state_version") + 1)

    def clean(self) -> None:
        if self.visibility == self.Visibility.PASSWORD and not self.password_hash:
            raise ValidationError({"visibility": gettext_lazy("a password-protected page needs a password")})

    @property
    def is_protected(self) -> bool:
        return self.visibility == self.Visibility.PASSWORD

    @property
    def domain_verified(self) -> bool:
        return bool(self.custom_domain) and self.domain_verified_at is not None

    def set_password(self, raw: str) -> None:
        if len(raw) < 8:
            raise ValidationError({"password": gettext_lazy("the password must have at least 8 characters")})
        self.password_hash = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return bool(self.password_hash) and check_password(raw, self.password_hash)

    def set_custom_domain(self, domain: str | None) -> None:
        """A new domain must be verified again, with a new token."""
        domain = (domain or "").strip().lower() or None
        if domain != self.custom_domain:
            self.custom_domain = domain
            self.domain_verified_at = None
            self.domain_token = new_domain_token()


def bump_pages_of_clients(client_ids: Any) -> None:
    """Something these clients' pages show has changed: their cached renderings are stale."""
    StatusPage.objects.filter(client_id__in=client_ids).update(state_version=F("state_version") + 1)


class StatusComponent(AgencyOwned):
    """A site shown on a page, under a public name and an optional group."""

    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="components")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="status_components")
    public_name = NameField(max_length=200, blank=True, help_text="Empty: the site's name.")
    group = NameField(max_length=100, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["page", "site"], name="component_site_unique_per_page")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.public_name or self.site.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.page.agency_id
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.site_id and self.page_id and self.site.client_id != self.page.client_id:
            raise ValidationError({"site": gettext_lazy("this site belongs to another client")})


class Subscription(LowercaseEmailModel, AgencyOwned):
    """Someone who asked for a page's incident notices by email: double opt-in, one-click out.

    ``token`` is the secret in the confirmation and unsubscribe links; it is never shown
    anywhere else.
    """

    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="subscriptions")
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, default=new_domain_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["page", "email"], name="subscription_email_unique_per_page")
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.agency_id = self.page.agency_id
        super().save(*args, **kwargs)  # which normalises the address

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None
