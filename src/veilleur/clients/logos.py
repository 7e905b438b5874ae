"""Logos fetched once, through the SSRF guard, and stored: what reports and status pages show.

Agencies type logo addresses (the agency's, a client's, a status page's). Nothing that renders a
page or a PDF fetches them: the worker fetches every address in use that has no stored copy (or
whose copy is a day old, or whose last try failed an hour ago) with ``probes.fetch`` under the
same guard as monitors, keeps only PNG, JPEG, GIF and WebP images within the limits of
``domain.images`` and stores the bytes. A report embeds the stored bytes as a ``data:`` URI; a
status page serves them from its own ``logo`` path. An address that cannot be loaded leaves no
stored image, and pages then show the name instead.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F, Q
from django.utils.translation import gettext

from veilleur.accounts.models import Agency
from veilleur.clients.models import BrandLogo, Client
from veilleur.domain.images import MAX_LOGO_BYTES, NotALogo, check_logo
from veilleur.probes.fetch import FetchFailed, fetch_small
from veilleur.probes.guard import AddressGuard
from veilleur.probes.http import make_tls_context

log = logging.getLogger("veilleur.logos")

FETCH_TIMEOUT_SECONDS = 10.0
REFRESH_AFTER = timedelta(days=1)  # the agency may put a new image at the same address
RETRY_AFTER = timedelta(hours=1)  # after a failed try
MAX_FETCHES_PER_RUN = 20  # one run never holds the worker for long
ACCEPT = "image/png, image/jpeg, image/gif, image/webp"


@dataclass
class LogoReport:
    stored: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.stored or self.failed)

    def __str__(self) -> str:
        return f"{len(self.stored)} logo(s) stored, {len(self.failed)} could not be loaded"


def logo_addresses() -> set[str]:
    """Every logo address some agency, client or status page names."""
    from veilleur.statuspages.models import StatusPage

    found: set[str] = set()
    for model in (Agency, Client, StatusPage):
        found.update(model.objects.exclude(logo_url="").values_list("logo_url", flat=True))
    return found


def refresh_logos(now: datetime) -> LogoReport:
    """Fetch the logos that are missing or due; forget addresses no longer named."""
    wanted = logo_addresses()
    known = {row.url: row for row in BrandLogo.objects.defer("data")}
    due = sorted(url for url in wanted if url not in known or _is_due(known[url], now))
    report = LogoReport()
    for url in due[:MAX_FETCHES_PER_RUN]:
        failure = store_logo(url, now)
        (report.failed if failure else report.stored).append(url)
    BrandLogo.objects.exclude(url__in=wanted).delete()
    return report


def _is_due(row: BrandLogo, now: datetime) -> bool:
    return row.tried_at + (RETRY_AFTER if row.failure else REFRESH_AFTER) <= now


def store_logo(url: str, now: datetime) -> str:
    """Fetch ``url`` through the guard and store it; the reason it failed, or "" when stored.

    A failed try keeps the image stored before (a logo server down for an hour does not take
    the logo off the pages) and records why.
    """
    try:
        fetched = fetch_small(
            url,
            guard=AddressGuard(allow_private=bool(settings.VEILLEUR_ALLOW_PRIVATE_TARGETS)),
            max_bytes=MAX_LOGO_BYTES,
            timeout_seconds=FETCH_TIMEOUT_SECONDS,
            tls_context=make_tls_context(settings.VEILLEUR_CA_FILE or None),
            accept=ACCEPT,
        )
        image = check_logo(fetched.body)
    except (FetchFailed, NotALogo) as exc:
        failure = str(exc)[:300]
        log.warning("logo %s could not be loaded: %s", url, failure)
        _save(url, {"failure": failure, "tried_at": now})
        return failure
    digest = hashlib.sha256(fetched.body).hexdigest()
    previous = BrandLogo.objects.filter(url=url).values_list("digest", flat=True).first()
    _save(
        url,
        {
            "media_type": image.media_type,
            "data": fetched.body,
            "digest": digest,
            "failure": "",
            "tried_at": now,
        },
    )
    if previous != digest:
        _pages_showing(url).update(state_version=F("state_version") + 1)  # cached renderings
    return ""


def _save(url: str, values: dict[str, object]) -> None:
    # Another worker storing it at the same moment makes this fail: its copy will do.
    with contextlib.suppress(IntegrityError):
        BrandLogo.objects.update_or_create(url=url, defaults=values)


def _pages_showing(url: str):  # type: ignore[no-untyped-def]
    from veilleur.statuspages.models import StatusPage

    return StatusPage.objects.filter(Q(logo_url=url) | Q(logo_url="", client__logo_url=url))


def stored_logo(url: str) -> BrandLogo | None:
    """The stored image of a logo address, or None when there is none (yet, or ever)."""
    if not url:
        return None
    row = BrandLogo.objects.filter(url=url).exclude(digest="").first()
    return row if row is not None and row.data else None


def logo_digest(url: str) -> str:
    """A short fingerprint of the stored image ("" when there is none): names its version."""
    if not url:
        return ""
    digest = BrandLogo.objects.filter(url=url).exclude(digest="").values_list("digest", flat=True).first()
    return (digest or "")[:16]


def logo_data_uri(url: str) -> str:
    """The stored image as a ``data:`` URI, or "" when there is none."""
    row = stored_logo(url)
    if row is None:
        return ""
    return f"data:{row.media_type};base64,{base64.b64encode(bytes(row.data)).decode('ascii')}"


def logo_state(url: str) -> str:
    """What the admin says about a logo address: stored, waiting, or why it could not be loaded."""
    if not url:
        return gettext("No logo: pages and reports show the name.")
    row = BrandLogo.objects.filter(url=url).defer("data").first()
    if row is None:
        return gettext("Not fetched yet: the worker fetches it within a minute.")
    kind = row.media_type.removeprefix("image/").upper()
    if row.failure and row.digest:
        return gettext("Stored (%(kind)s); the last try failed: %(reason)s") % {
            "kind": kind,
            "reason": row.failure,
        }
    if row.failure:
        return gettext("Could not be loaded: %(reason)s. Pages and reports show the name instead.") % {
            "reason": row.failure
        }
    return gettext("Stored (%(kind)s); pages and reports show this copy.") % {"kind": kind}
