"""What the non-e-mail channels say: one sentence about the event for the webhook's
``message``, and a title with a short body for chat services reached through Apprise.

Written in the row's language (the agency's) with instants in the agency's time zone, like the
agency's e-mail alerts, whose subject lines and acknowledgement link they reuse.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from veilleur.incidents.causes import cause_in_words
from veilleur.incidents.models import Incident
from veilleur.notifications.models import OutboxMessage
from veilleur.notifications.rendering import COMPOSERS, CannotRender
from veilleur.notifications.tokens import ack_url, public_base_url
from veilleur.notifications.wording import format_instant, format_span

Kind = OutboxMessage.Kind
# Events whose e-mail carries an acknowledgement link; a recovery announces, it asks nothing.
KINDS_ASKING_FOR_ACK = frozenset({Kind.INCIDENT_CONFIRMED, Kind.SLA_WARNING, Kind.SLA_BREACH})


@dataclass(frozen=True)
class ChatMessage:
    title: str
    body: str


def incident_of(row: OutboxMessage) -> Incident:
    if row.incident is None:
        raise CannotRender("the incident of this notice no longer exists")
    return row.incident


def staff_page_url(incident: Incident) -> str:
    """The incident's page for the agency's staff."""
    path = reverse("incident-detail", kwargs={"incident_id": incident.pk})
    return f"{public_base_url(incident.agency)}{path}"


def ack_link(row: OutboxMessage, incident: Incident) -> str | None:
    """The signed acknowledgement link, as in the e-mail of the same event; None once the
    incident is acknowledged, and for recoveries."""
    if row.kind not in KINDS_ASKING_FOR_ACK or incident.acknowledged_at is not None:
        return None
    return ack_url(incident, row)


def event_sentence(row: OutboxMessage) -> str:
    """The event in one sentence, e.g. "Boutique (Boulangerie Martin) is down since …: …"."""
    incident = incident_of(row)
    compose = SENTENCES.get(row.kind)
    if compose is None:
        raise CannotRender(f"no wording for notices of kind {row.kind!r}")
    with translation.override(row.language), timezone.override(ZoneInfo(row.agency.time_zone)):
        return compose(incident)


def chat_message(row: OutboxMessage) -> ChatMessage:
    """The e-mail's subject as the title; the sentence, then the links, as the body."""
    incident = incident_of(row)
    compose = COMPOSERS.get(row.kind)
    if compose is None:
        raise CannotRender(f"no wording for notices of kind {row.kind!r}")
    sentence = event_sentence(row)
    with translation.override(row.language), timezone.override(ZoneInfo(row.agency.time_zone)):
        title, _body = compose(row, incident)
        lines = [sentence, ""]
        link = ack_link(row, incident)
        if link is not None:
            lines.append(_labelled(_("Acknowledge the incident"), link))
        lines.append(_labelled(_("Incident page"), staff_page_url(incident)))
    return ChatMessage(title=title, body="\n".join(lines))


def _labelled(label: str, value: str) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _names(incident: Incident) -> dict[str, str]:
    site = incident.monitor.site
    return {"site": site.name, "client": site.client.name}


def _confirmed(incident: Incident) -> str:
    pattern = (
        _("%(site)s (%(client)s) is slow since %(since)s: %(cause)s.")
        if incident.kind == Incident.Kind.DEGRADED
        else _("%(site)s (%(client)s) is down since %(since)s: %(cause)s.")
    )
    cause = cause_in_words(
        incident.cause_error_class, incident.cause_status_code, incident.cause_message, detail=True
    )
    return pattern % {**_names(incident), "since": format_instant(incident.first_failed_at), "cause": cause}


def _recovered(incident: Incident) -> str:
    recovered_at = incident.recovered_at or incident.confirmed_at
    downtime = format_span(incident.first_failed_at, recovered_at)
    return _("%(site)s (%(client)s) is back up since %(when)s, after %(downtime)s.") % {
        **_names(incident),
        "when": format_instant(recovered_at),
        "downtime": downtime,
    }


def _sla_warning(incident: Incident) -> str:
    if incident.sla_due_at is None:
        pattern = _(
            "The outage of %(site)s is not acknowledged yet and most of the response time has passed."
        )
        return pattern % _names(incident)
    pattern = _(
        "The outage of %(site)s (%(client)s) is not acknowledged yet; the response is due by %(due)s."
    )
    return pattern % {**_names(incident), "due": format_instant(incident.sla_due_at)}


def _sla_breach(incident: Incident) -> str:
    if incident.sla_due_at is None:
        pattern = _("The outage of %(site)s was not acknowledged within the plan's response time.")
        return pattern % _names(incident)
    pattern = _("The outage of %(site)s (%(client)s) was not acknowledged by %(due)s, as the plan requires.")
    return pattern % {**_names(incident), "due": format_instant(incident.sla_due_at)}


SENTENCES: dict[str, Callable[[Incident], str]] = {
    Kind.INCIDENT_CONFIRMED: _confirmed,
    Kind.INCIDENT_RECOVERED: _recovered,
    Kind.SLA_WARNING: _sla_warning,
    Kind.SLA_BREACH: _sla_breach,
}
