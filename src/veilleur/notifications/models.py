"""The outbox, the agency's on-call addresses and its other notification channels.

Nothing is ever sent directly: an event writes outbox rows in its own transaction, and the worker
delivers them. A row carries everything delivery needs to be safe when several workers run and
any of them may die: an idempotency key (an event cannot enqueue twice), a claim with a lease
(compare-and-set), an attempt count with the next attempt's time, and a Message-ID fixed at
enqueue so that the rare repeat after a crash is recognisable as the same mail.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import LANGUAGE_CHOICES, AgencyOwned
from veilleur.clients.models import Client
from veilleur.domain.validators import check_key
from veilleur.incidents.models import Incident
from veilleur.plans.models import Plan
from veilleur.text_fields import LowercaseEmailModel, NameField
from veilleur.validators import refusal


def describe_scope(plan: Plan | None, client: Client | None) -> str:
    """A scope in words, as lists and change lines show it: "every client", "plan premium"…"""
    if client is not None:
        return f"client {client.key}"
    if plan is not None:
        return f"plan {plan.key}"
    return "every client"


class ClientScoped(AgencyOwned):
    """Who an address or a channel is for: every client, the clients on one plan, or one client."""

    plan = models.ForeignKey(
        Plan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only the clients on this plan. Empty (and no client): every client.",
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only this client. Empty (and no plan): every client.",
    )

    class Meta:
        abstract = True

    @property
    def scope_label(self) -> str:
        return describe_scope(self.plan, self.client)

    @staticmethod
    def covering(client: Client) -> Q:
        """The rows whose scope includes ``client``."""
        return Q(plan__isnull=True, client__isnull=True) | Q(plan_id=client.plan_id) | Q(client_id=client.pk)


class OnCallAddress(LowercaseEmailModel, ClientScoped):
    """An address that receives the agency's incident alerts: for every client, for the clients
    on one plan, or for one client."""

    email = models.EmailField()
    escalation = models.BooleanField(
        default=False,
        help_text="Also receives the notice when a response is overdue (SLA breach). When no address "
        "in scope is marked, every on-call address in scope receives it.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["email"]
        verbose_name = "on-call address"
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=True) | Q(client__isnull=True), name="oncall_one_scope_at_most"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.scope_label})"

    def clean(self) -> None:
        if self.plan_id and self.client_id:
            raise ValidationError({"client": gettext_lazy("choose a plan or a client, not both")})
        if self.agency_id and self.plan is not None and self.plan.agency_id != self.agency_id:
            raise ValidationError({"plan": gettext_lazy("this plan belongs to another agency")})
        if self.agency_id and self.client is not None and self.client.agency_id != self.agency_id:
            raise ValidationError({"client": gettext_lazy("this client belongs to another agency")})


class OutboxMessage(AgencyOwned):
    """One notification to one recipient on one channel."""

    class Kind(models.TextChoices):
        INCIDENT_CONFIRMED = "incident_confirmed", "Incident confirmed"
        INCIDENT_RECOVERED = "incident_recovered", "Incident recovered"
        SLA_WARNING = "sla_warning", "Response due soon"
        SLA_BREACH = "sla_breach", "Response overdue"
        # Degraded performance (slow, not down): to the agency on-call, once each way.
        PERFORMANCE_DEGRADED = "performance_degraded", "Performance degraded"
        PERFORMANCE_RESTORED = "performance_restored", "Performance back to normal"
        MONTHLY_REPORT = "monthly_report", "Monthly report"
        # Report mechanics: the quarterly review to the client's contacts, and "a draft is ready
        # to review" to the agency.
        QUARTERLY_REVIEW = "quarterly_review", "Quarterly review"
        REPORT_READY = "report_ready", "Report ready to review"
        # To a status page's subscribers.
        SUBSCRIPTION_CONFIRM = "subscription_confirm", "Subscription confirmation"
        STATUS_INCIDENT_OPENED = "status_incident_opened", "Status page: incident opened"
        STATUS_INCIDENT_UPDATED = "status_incident_updated", "Status page: incident update"
        STATUS_INCIDENT_RESOLVED = "status_incident_resolved", "Status page: incident resolved"
        # To a person invited to the agency's team: the one-time link to choose a password.
        STAFF_INVITATION = "staff_invitation", "Staff invitation"
        # Certificate monitoring, to the agency's on-call addresses (certificates/notices.py).
        CERTIFICATE_EXPIRY = "certificate_expiry", "Certificate expires soon"
        CERTIFICATE_FINDING = "certificate_finding", "Certificate problem found"
        CERTIFICATE_CHANGED = "certificate_changed", "Certificate changed"
        # To the agency: a site's domain registration expires soon (domains/notices.py).
        DOMAIN_EXPIRY = "domain_expiry", "Domain registration expires soon"
        # To the agency: one of our checkers lost its network or DNS, and when it is back
        # (checker/outage_notices.py).
        CHECKER_IMPAIRED = "checker_impaired", "Checker cut off"
        CHECKER_RECOVERED = "checker_recovered", "Checker back"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        # Rows of these channels name the agency's NotificationChannel by its key.
        WEBHOOK = "webhook", "Webhook"
        APPRISE = "apprise", "Apprise"

    class Audience(models.TextChoices):
        # The agency's people get the technical detail and the acknowledgement link; the client's
        # contacts get a plain notice. Stored, because the same address may be both.
        AGENCY = "agency", "Agency on-call"
        CLIENT = "client", "Client contact"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # A monthly report's e-mail: its text and its PDF attachment come from the archived report.
    report = models.ForeignKey(
        "reports.Report", on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # A status page subscriber's notice, and the public update it carries (when it carries one).
    subscription = models.ForeignKey(
        "statuspages.Subscription",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    incident_update = models.ForeignKey(
        "incidents.IncidentUpdate",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    certificate_notice = models.ForeignKey(
        "certificates.CertificateNotice",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.AGENCY)
    recipient = models.CharField(max_length=254)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    idempotency_key = models.CharField(max_length=400, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Delivery attempts begun so far.")
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=100, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outbox message"
        indexes = [
            # The delivery query reads only undelivered rows, a handful at any time, while sent
            # rows pile up: a partial index keeps that query as cheap on day 1,000 as on day 1.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="outbox_undelivered_due",
            ),
            models.Index(fields=["agency", "-created_at"], name="outbox_agency_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.state})"


# The incident events a webhook or Apprise channel can hear about (reports go by e-mail only).
# What a webhook or Apprise channel can hear about: the agency's incident events. Reports and
# the status page subscribers' mails are e-mail to one person, never a channel's business.
EVENT_KINDS: tuple[str, ...] = (
    OutboxMessage.Kind.INCIDENT_CONFIRMED,
    OutboxMessage.Kind.INCIDENT_RECOVERED,
    OutboxMessage.Kind.SLA_WARNING,
    OutboxMessage.Kind.SLA_BREACH,
)


def all_event_kinds() -> list[str]:
    return list(EVENT_KINDS)


def new_channel_secret() -> str:
    """The key a webhook's signature is made with: 256 random bits, as hex."""
    return secrets.token_hex(32)


def _validate_key(value: str) -> None:
    try:
        check_key(value)
    except ValueError as exc:
        raise refusal(exc) from exc


def _validate_events(value: Any) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(gettext_lazy("give at least one event"))
    unknown = [item for item in value if item not in EVENT_KINDS]
    if unknown:
        raise ValidationError(
            gettext_lazy("unknown event %(event)s (expected one of: %(choices)s)"),
            params={"event": repr(unknown[0]), "choices": ", ".join(EVENT_KINDS)},
        )
    if len(set(value)) != len(value):
        raise ValidationError(gettext_lazy("an event is listed twice"))


class NotificationChannel(ClientScoped):
    """Somewhere other than e-mail that hears about incidents: our own signed webhook, or any
    service Apprise can reach (Slack, Microsoft Teams, Telegram, …). Scoped like on-call
    addresses: every client, the clients on one plan, or one client."""

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Webhook (Veilleur's JSON)"
        APPRISE = "apprise", "Apprise URL"

    key = models.CharField(max_length=64, validators=[_validate_key], help_text="Stable, unique per agency.")
    name = NameField(max_length=200)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # A secret: Slack, Teams and Telegram URLs carry the credentials that let anyone post.
    url = models.CharField(max_length=2000)
    secret = models.CharField(
        max_length=128,
        default=new_channel_secret,
        help_text="Webhooks: the key of the X-Veilleur-Signature header (HMAC-SHA256 of the body).",
    )
    events = models.JSONField(default=all_event_kinds, validators=[_validate_events])
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["key"]
        verbose_name = "notification channel"
        constraints = [
            models.UniqueConstraint(fields=["agency", "key"], name="channel_key_unique_per_agency"),
            models.CheckConstraint(
                condition=Q(plan__isnull=True) | Q(client__isnull=True), name="channel_one_scope_at_most"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind})"

    def clean(self) -> None:
        # Imported here: the URL rules load Apprise, which the models module does not need.
        from veilleur.notifications.channels import check_channel_url

        if self.plan_id and self.client_id:
            raise ValidationError({"client": gettext_lazy("choose a plan or a client, not both")})
        if self.agency_id and self.plan is not None and self.plan.agency_id != self.agency_id:
            raise ValidationError({"plan": gettext_lazy("this plan belongs to another agency")})
        if self.agency_id and self.client is not None and self.client.agency_id != self.agency_id:
            raise ValidationError({"client": gettext_lazy("this client belongs to another agency")})
        if self.kind in self.Kind.values and self.url:
            try:
                check_channel_url(self.kind, self.url)
            except ValueError as exc:
                raise ValidationError({"url": refusal(exc)}) from exc
        if len(self.secret) < 16:
            raise ValidationError({"secret": gettext_lazy("use at least 16 characters")})
