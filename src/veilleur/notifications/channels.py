"""The agency's notification channels other than e-mail: their URL rules, how their URLs are
shown, and which channels hear about an incident."""

from __future__ import annotations

from urllib.parse import urlsplit

from veilleur.domain.validators import check_http_url
from veilleur.incidents.models import Incident
from veilleur.notifications.models import NotificationChannel

Kind = NotificationChannel.Kind
HIDDEN = "…"


def check_channel_url(kind: str, url: str) -> str:
    """``url`` when it suits a channel of ``kind``; a ValueError saying why not otherwise. The
    URL is never repeated in the message: it holds the channel's credentials."""
    if kind == Kind.WEBHOOK:
        try:
            return check_http_url(url)
        except ValueError:
            raise ValueError("a webhook URL must be an absolute http:// or https:// address") from None
    if kind == Kind.APPRISE:
        # Apprise (and the HTTP stack it brings) is loaded only where a channel uses it: the
        # checker queues notices through this module and never needs it.
        from veilleur.notifications.apprise_target import check_apprise_url

        return check_apprise_url(url)
    raise ValueError(f"unknown channel kind {kind!r} (expected webhook or apprise)")


def masked_url(kind: str, url: str) -> str:
    """The URL with its secret parts hidden, for lists and logs: the scheme, and the host when it
    is a real host name (webhooks and Apprise's generic json/xml/form targets); for services
    such as ``slack://`` the "host" is already part of the token."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if kind == Kind.WEBHOOK:
        shows_host = True
    else:
        from veilleur.notifications.apprise_target import is_generic_http_scheme

        shows_host = is_generic_http_scheme(scheme)
    try:
        host = parts.hostname if shows_host else None
        port = parts.port if shows_host else None
    except ValueError:
        host, port = None, None
    if not host:
        return f"{scheme}://{HIDDEN}" if scheme else HIDDEN
    where = f"[{host}]" if ":" in host else host
    return f"{scheme}://{where}{f':{port}' if port else ''}/{HIDDEN}"


def password_masked(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part hidden (``user:…@host``), for
    those who may read a monitor but not use its credentials; unchanged when it has none."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    credentials, _, host = parts.netloc.rpartition("@")
    user = credentials.partition(":")[0]
    return parts._replace(netloc=f"{user}:{HIDDEN}@{host}").geturl()


def channels_for(incident: Incident, kind: str) -> list[NotificationChannel]:
    """The enabled channels of the incident's agency whose scope covers its client and that
    asked for events of this kind, by key. Unlike on-call e-mail, they do not depend on the
    plan's e-mail alerts flag: a channel's own scope says who it is for."""
    client = incident.monitor.site.client
    candidates = NotificationChannel.objects.filter(
        NotificationChannel.covering(client), agency_id=incident.agency_id, enabled=True
    )
    # Filtered here rather than in SQL: JSON list containment is not portable to SQLite, and an
    # agency has a handful of channels.
    return [channel for channel in candidates.order_by("key") if kind in (channel.events or [])]
