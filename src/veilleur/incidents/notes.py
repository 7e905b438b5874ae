"""Internal and resolution notes on an incident: the agency's own record, for staff only."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy

from veilleur.accounts.models import StaffUser
from veilleur.domain.validators import check_text
from veilleur.incidents.models import Incident, IncidentNote
from veilleur.validators import refusal

MAX_NOTE_LENGTH = 5000


def add_note(incident: Incident, kind: str, text: str, *, by: StaffUser) -> IncidentNote:
    """Keep a note; raises ValidationError naming the field on a bad kind or text."""
    text = text.strip()
    errors: dict[str, str | ValidationError] = {}
    if kind not in IncidentNote.Kind.values:
        errors["kind"] = ValidationError(
            gettext_lazy("unknown kind %(kind)r (expected one of: %(kinds)s)"),
            params={"kind": kind, "kinds": ", ".join(IncidentNote.Kind.values)},
        )
    if not text:
        errors["text"] = ValidationError(gettext_lazy("the note is empty"))
    elif len(text) > MAX_NOTE_LENGTH:
        errors["text"] = ValidationError(
            gettext_lazy("the note is longer than %(limit)d characters"), params={"limit": MAX_NOTE_LENGTH}
        )
    else:
        try:
            check_text(text)
        except ValueError as exc:
            errors["text"] = refusal(exc)
    if errors:
        raise ValidationError(errors)
    return IncidentNote.objects.create(
        incident=incident,
        kind=kind,
        text=text,
        written_at=max(timezone.now(), incident.first_failed_at),
        written_by=by,
        written_by_label=by.name or by.email,
    )
