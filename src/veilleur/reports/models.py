"""The archive of the reports of each client: drafts the agency reviews, and what was published
and sent, kept byte for byte."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import LANGUAGE_CHOICES, AgencyOwned
from veilleur.clients.models import Client
from veilleur.reports.editorial import HIDEABLE_SECTIONS, EditorialText
from veilleur.text_fields import ParagraphField

# The agency's text in a report: a few paragraphs, not a document of its own.
EDITORIAL_MAX_LENGTH = 4000


def validate_hidden_sections(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
        raise ValidationError(gettext_lazy("a list of section keys"))
    unknown = sorted(set(value) - set(HIDEABLE_SECTIONS))
    if unknown:
        raise ValidationError(
            gettext_lazy("unknown sections: %(unknown)s (known: %(known)s)"),
            params={"unknown": ", ".join(unknown), "known": ", ".join(HIDEABLE_SECTIONS)},
        )


class Report(AgencyOwned):
    """One client's report for one period (a month or a quarter), as HTML and PDF.

    A report is a draft until it is published: the agency reads it, writes its text (kept when
    the report is generated again) and publishes it, or the worker publishes it once
    ``send_after`` is past. Publishing renders the final document and queues it for the client's
    report contacts in one transaction; a published report is never generated again (its content
    is what the client received). ``sent_at`` records when it was queued for the contacts."""

    class Kind(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MONTHLY)
    period_start = models.DateField(help_text="The first day of the period (of the month or the quarter).")
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="fr")
    # The headline the e-mail quotes, kept so that sending never recomputes the report.
    uptime_percent = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    html = models.TextField()
    pdf = models.BinaryField()
    generated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Report mechanics: draft → review → publish.
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    send_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The worker publishes the draft and sends it at this time. Empty: it waits for the agency.",
    )
    # When the schedule took the report up (generated it as due, told the agency or sent it): the
    # compare-and-set that makes each "ready to review" notice go out once.
    scheduled_at = models.DateTimeField(null=True, blank=True)
    intro = ParagraphField(blank=True, validators=[MaxLengthValidator(EDITORIAL_MAX_LENGTH)])
    closing_note = ParagraphField(blank=True, validators=[MaxLengthValidator(EDITORIAL_MAX_LENGTH)])
    next_steps = ParagraphField(blank=True, validators=[MaxLengthValidator(EDITORIAL_MAX_LENGTH)])
    hidden_sections = models.JSONField(default=list, blank=True, validators=[validate_hidden_sections])

    class Meta:
        ordering = ["-period_start", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind", "period_start"], name="report_one_per_period"),
            models.CheckConstraint(
                condition=models.Q(state="draft") | models.Q(published_at__isnull=False),
                name="report_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report {self.period_start:%Y-%m} of client {self.client_id}"

    @property
    def editorial(self) -> EditorialText:
        return EditorialText(
            intro=self.intro,
            closing_note=self.closing_note,
            next_steps=self.next_steps,
            hidden_sections=frozenset(self.hidden_sections or ()),
        )

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.DRAFT
