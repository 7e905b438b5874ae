"""The worker's daily look at each site's software: one fetch of the home page, nothing more.

Sites whose client's plan has ``cms_versions`` (demo clients aside) get a ``SoftwareCheck``
row; once a day the worker claims it with a compare-and-set on ``next_check_at`` (any number of
workers fetch a site once), fetches the home page through the SSRF guard (``probes.fetch``),
and records a ``SoftwareChange`` when the product or the stated version differs from the last
one seen, in the same transaction as the check. The checker's own checks are not touched: the
cost is one request a day per site.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from veilleur.clients.models import Site
from veilleur.cms.models import SoftwareChange, SoftwareCheck
from veilleur.probes.cms import MAX_SCANNED_BYTES, Detection, detect, is_change
from veilleur.probes.fetch import FetchFailed, fetch_small
from veilleur.probes.guard import AddressGuard
from veilleur.probes.http import make_tls_context

log = logging.getLogger("veilleur.cms")

CHECK_EVERY = timedelta(days=1)
CLAIM_FOR = timedelta(minutes=10)  # a fetch that takes longer is given up and retried
FETCH_TIMEOUT_SECONDS = 15.0
MAX_CHECKS_PER_RUN = 20  # one run never holds the worker for long
ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"


@dataclass
class SoftwareReport:
    checked: list[int] = field(default_factory=list)
    changed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.checked or self.failed)

    def __str__(self) -> str:
        return (
            f"{len(self.checked)} site(s) looked at, {len(self.changed)} change(s), "
            f"{len(self.failed)} could not be fetched"
        )


def check_software(now: datetime) -> SoftwareReport:
    """Look at the sites that are due; add new ones, forget those whose plan dropped it."""
    watched = Site.objects.filter(client__plan__cms_versions=True, client__demo=False)
    for site_id, agency_id in watched.exclude(software_check__isnull=False).values_list("pk", "agency_id"):
        with contextlib.suppress(IntegrityError):  # another worker added it a moment ago
            SoftwareCheck.objects.create(site_id=site_id, agency_id=agency_id, next_check_at=now)
    report = SoftwareReport()
    due = SoftwareCheck.objects.filter(site__in=watched, next_check_at__lte=now).select_related("site")
    for row in due.order_by("next_check_at")[:MAX_CHECKS_PER_RUN]:
        claimed = SoftwareCheck.objects.filter(pk=row.pk, next_check_at=row.next_check_at).update(
            next_check_at=now + CLAIM_FOR
        )
        if claimed != 1:
            continue  # another worker has it
        try:
            found = look_at(row.site.url)
        except FetchFailed as failure:
            log.warning("software of site %s could not be looked at: %s", row.site_id, failure)
            SoftwareCheck.objects.filter(pk=row.pk).update(
                checked_at=now, next_check_at=now + CHECK_EVERY, error=str(failure)[:300]
            )
            report.failed.append(row.site_id)
            continue
        if record(row, found, now):
            report.changed.append(row.site_id)
        report.checked.append(row.site_id)
    return report


def look_at(url: str) -> Detection | None:
    """Fetch the home page (its first part only) and say what it runs."""
    fetched = fetch_small(
        url,
        guard=AddressGuard(allow_private=bool(settings.VEILLEUR_ALLOW_PRIVATE_TARGETS)),
        max_bytes=MAX_SCANNED_BYTES,
        timeout_seconds=FETCH_TIMEOUT_SECONDS,
        tls_context=make_tls_context(settings.VEILLEUR_CA_FILE or None),
        accept=ACCEPT,
        first_bytes_only=True,
    )
    return detect(fetched.headers, fetched.body)


def record(row: SoftwareCheck, found: Detection | None, now: datetime) -> bool:
    """Store the look; True when it recorded a change."""
    before = (row.product, row.version)
    changed = found is not None and is_change(before, found)
    product = found.product if found else ""
    # A version the site stops stating is not forgotten: "WordPress" after "WordPress 6.8.1"
    # is still 6.8.1 as far as anyone knows.
    version = (found.version or (row.version if product == row.product else "")) if found else ""
    with transaction.atomic():
        if changed and found is not None:
            last = SoftwareChange.objects.filter(site_id=row.site_id).first()
            previous = (last.product, last.version) if last else ("", "")
            SoftwareChange.objects.create(
                agency_id=row.agency_id,
                site_id=row.site_id,
                product=found.product,
                version=found.version,
                previous_product=previous[0],
                previous_version=previous[1],
                detected_at=now,
                evidence=found.evidence,
            )
        keep = {"product": product, "version": version} if found or not row.product else {}
        SoftwareCheck.objects.filter(pk=row.pk).update(
            checked_at=now, next_check_at=now + CHECK_EVERY, error="", **keep
        )
    return changed
