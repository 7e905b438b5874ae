"""``veilleur statuspage verify SLUG`` and ``veilleur statuspage list``.

Exit statuses follow the CLI's: 0 done (for ``verify``: the domain is verified), 1 not verified,
2 bad input (an unknown page, a page without a custom domain).
"""

from __future__ import annotations

import sys

from django.utils import translation

from veilleur.accounts.provisioning import prepare_database, resolve_agency
from veilleur.statuspages.domains import verify_domain
from veilleur.statuspages.models import StatusPage

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def verify_command(slug: str, *, agency_key: str | None) -> int:
    # The command's words are English, like the rest of the CLI, whatever the site's language.
    with translation.override("en"):
        prepare_database()
        agency = resolve_agency(agency_key)
        page = StatusPage.objects.filter(agency=agency, slug=slug).select_related("client").first()
        if page is None:
            known = ", ".join(StatusPage.objects.filter(agency=agency).values_list("slug", flat=True))
            print(f"error: no status page with slug {slug!r} (known: {known or 'none'})", file=sys.stderr)
            return EXIT_BAD_INPUT
        if not page.custom_domain:
            print(
                f"error: the status page {slug!r} has no custom domain to verify "
                f"(it is served at /s/{page.slug}/)",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT
        check = verify_domain(page)
        print(check.message)
        return EXIT_OK if check.ok else EXIT_FAILURE


def list_command(*, agency_key: str | None) -> int:
    prepare_database()
    agency = resolve_agency(agency_key)
    pages = StatusPage.objects.filter(agency=agency).select_related("client").order_by("slug")
    for page in pages:
        if not page.custom_domain:
            domain, verified = "-", "-"
        elif page.domain_verified_at is not None:
            domain, verified = page.custom_domain, f"verified {page.domain_verified_at:%Y-%m-%d %H:%M} UTC"
        else:
            domain, verified = page.custom_domain, "not verified"
        print(f"{page.slug}\t{page.client.key}\t{domain}\t{verified}")
    return EXIT_OK
